"""The product's settings for the app processes the deploy tests start, pointed at this
test run's SQLite file (pytest-django's test database) when there is no DATABASE_URL."""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403

if os.environ.get("RELIEF_TEST_SQLITE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["RELIEF_TEST_SQLITE_NAME"]  # noqa: F405
