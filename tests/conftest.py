"""The cast every test draws on: patients, physicians and API clients for each."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rest_framework.test import APIClient

    from accounts.models import User

# Django-dependent imports stay inside fixtures so that the pure analytics tests can run
# without Django (`pytest -p no:django tests/recovery`).
PASSWORD = "correct horse battery staple"


ROOT = Path(__file__).resolve().parents[1]


def compile_catalogs() -> None:
    """Compile each server catalog (backend/locale) whose .mo is missing or older than its
    .po, as `make install` does, so that a clean clone's suite runs: the .mo files are
    never committed. Before Django reads any catalog; atomic (a temporary file renamed),
    so that parallel test processes never read half a file."""
    for po in sorted((ROOT / "backend" / "locale").glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        if shutil.which("msgfmt") is None:
            raise pytest.UsageError(
                f"{mo} must be compiled and msgfmt is missing: make install-dev"
            )
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        subprocess.run(["msgfmt", "--check-format", "-o", str(partial), str(po)], check=True)
        partial.replace(mo)


def pytest_configure(config: pytest.Config) -> None:
    # The SQLite test database is a file under var/ (see settings).
    (ROOT / "var").mkdir(exist_ok=True)
    compile_catalogs()
    # In CI the suite must run where it was asked to: no silent fall-back to SQLite.
    if (
        os.environ.get("CI")
        and not os.environ.get("DATABASE_URL")
        and not os.environ.get("RELIEF_ALLOW_SQLITE")
    ):
        raise pytest.UsageError(
            "CI is set but DATABASE_URL is not: refusing to fall back to SQLite. Set "
            "DATABASE_URL=postgres://… (or RELIEF_ALLOW_SQLITE=1 for the SQLite pass)."
        )


@pytest.fixture(scope="session", autouse=True)
def _database_reachable(request: pytest.FixtureRequest) -> None:
    """Fail loudly, once, when DATABASE_URL points at a database that does not answer."""
    if not os.environ.get("DATABASE_URL") or not request.config.pluginmanager.hasplugin("django"):
        return
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock():
        try:
            connection.ensure_connection()
        except Exception as exc:
            pytest.exit(f"DATABASE_URL is set but the database is unreachable: {exc}", 3)
        finally:
            # The pool opened here is bound to the configured database name; close it so
            # the test database (test_<name>) gets a pool of its own.
            connection.close()
            if hasattr(connection, "close_pool"):
                connection.close_pool()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, whose teardown first closes the session cache's
    LISTEN connection (an open connection would stop the database being dropped).

    pytest-django empties it between transactional tests with TRUNCATE, which the audit log
    refuses on PostgreSQL: in this test database only, that one trigger is off
    (tests/audit/guard.py)."""
    from tests.audit.guard import set_truncate_guard

    with django_db_blocker.unblock():
        set_truncate_guard(enabled=False)
    yield
    from accounts.session_cache import session_cache

    session_cache.close()


@pytest.fixture(autouse=True)
def _clean_cache(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    yield
    cache.clear()
    # A request in Spanish leaves Spanish active in this thread (as a server thread's next
    # request would reset it): the next test starts in the default language.
    translation.deactivate()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it there")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def patient(db: None) -> User:
    from tests.factories import PatientFactory

    return PatientFactory(email="pat@example.org", display_name="Pat Patient")


@pytest.fixture
def other_patient(db: None) -> User:
    from tests.factories import PatientFactory

    return PatientFactory(email="olive@example.org", display_name="Olive Other")


@pytest.fixture
def physician(db: None) -> User:
    from tests.factories import PhysicianFactory

    return PhysicianFactory(email="dr.hope@example.org", display_name="Dr. Hope")


@pytest.fixture
def other_physician(db: None) -> User:
    from tests.factories import PhysicianFactory

    return PhysicianFactory(email="dr.other@example.org", display_name="Dr. Other")


@pytest.fixture
def anon_client() -> APIClient:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    from rest_framework.test import APIClient

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def patient_client(client_for: Callable[[User | None], APIClient], patient: User) -> APIClient:
    return client_for(patient)


@pytest.fixture
def physician_client(client_for: Callable[[User | None], APIClient], physician: User) -> APIClient:
    return client_for(physician)
