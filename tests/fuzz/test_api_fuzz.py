"""Schemathesis against the OpenAPI schema, once per role, with every check.

Pass: no 5xx, every response conforms to the schema (status, content type, headers, body),
and no response carries a stack trace, SQL or token text. Bounded by FUZZ_EXAMPLES (per
operation and role) so that `make test` stays quick; raise it for a deeper run.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.services import session_start
from config.wsgi import application
from tests.factories import PatientFactory, PhysicianFactory, link, make_entry, make_visit

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \".*\.py\", line|"
    r"\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|psycopg|sqlite3|IntegrityError|"
    r"eyJ[A-Za-z0-9_-]{10,}\.eyJ",
)

# Authorization is set per role by the test itself; schemathesis must not generate (or, in
# negative cases, drop) it, or a "missing header" case would be sent with the header on.
CONFIG = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@schemathesis.check
def no_internals_leak(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """No stack trace, SQL or JWT in a response, except the token endpoints' own tokens."""
    if case.path.startswith("/api/v1/auth/token"):
        return None
    text = response.text or ""
    found = LEAKS.search(text)
    if found:
        raise AssertionError(f"response leaks internals: {found.group(0)[:60]!r}")
    return None


# Checks whose premise does not hold for a health API that scopes every record to its
# owner: "positive data acceptance" expects a schema-valid body to be accepted, but a
# schema-valid visit for a patient who is not yours must be refused (400/404).
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def _keep_test_connection():  # type: ignore[no-untyped-def]
    """Schemathesis calls the WSGI app directly, whose request signals would close the
    test's database connection; Django's own test client disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db: None, _keep_test_connection: None) -> dict[str, str]:
    patient = PatientFactory(timezone="America/New_York")
    physician = PhysicianFactory()
    link(physician, patient)
    make_visit(physician, patient, timezone.now() - timedelta(days=5), baseline_pain=7)
    make_entry(patient, datetime(2026, 1, 10, 12, tzinfo=UTC), notes="fuzz")
    return {
        "patient": session_start(user=patient).access,
        "physician": session_start(user=physician).access,
    }


def _run(case, token: str | None) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case.call_and_validate(
        headers=headers,
        additional_checks=[no_internals_leak],
        excluded_checks=EXCLUDED,
    )


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case, world):  # type: ignore[no-untyped-def]
    _run(case, None)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_patient(case, world):  # type: ignore[no-untyped-def]
    _run(case, world["patient"])


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_physician(case, world):  # type: ignore[no-untyped-def]
    _run(case, world["physician"])
