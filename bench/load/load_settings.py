"""Settings for the load and fault rigs' gunicorn: the product's, plus the plain twin's URLs.

Everything else is the product's own configuration (pooled PostgreSQL connections, 5-minute
access tokens, single-use refresh tokens, no throttling changes), so the rig measures what a
deployment would run.
"""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "plain_urls"

if os.environ.get("RIG_WITHOUT_OUTAGE_GATE") == "1":
    # For showing what the gate changes (bench/faults): the pool's own behaviour alone.
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "core.outage.DatabaseOutageGate"]  # noqa: F405
