"""Settings for bench/api.py's gunicorn: the product's, plus the baselines' URLconf.

``BENCH_NEW_CONNECTION=1`` turns the connection pool off (CONN_MAX_AGE 0): a new database
connection per request, the API-4 baseline.
"""

from __future__ import annotations

import os
from datetime import timedelta

from config.settings import *  # noqa: F403
from config.settings import DATABASES, SIMPLE_JWT

ROOT_URLCONF = "api_bench_urls"
# The run outlasts the product's 5-minute access tokens.
ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
SIMPLE_JWT = {**SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
if os.environ.get("BENCH_NEW_CONNECTION") == "1":
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
