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

# schemathesis' own defaults for "a schema-valid request is accepted": success, and the
# refusals a valid request can still get from the state of the data (401/403 for the role,
# 404 someone else's or a page past the end, 409 an id in use, 429 the sign-in limit).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


# Refusals that depend on the data or the clock, not on the request's form, which no schema
# can rule out. Each is allowed only on the operations where it can happen, and for a 400
# `state_refusals_only` below holds the body to exactly one of the refusals listed, so any
# other 400 (a schema looser than the server) still fails.
FUTURE_ENTRY = {"felt_at": ["Cannot be more than 10 minutes in the future."]}
EARLY_ENTRY = {"felt_at": ["Must be after 2000-01-01."]}
FUTURE_VISIT = {"performed_at": ["A visit cannot be in the future."]}
EARLY_VISIT = {"performed_at": ["Must be after 2000-01-01."]}
# "Now" moves, so a date-time schema cannot bound it; 2000-01-01 could be a bound, but
# OpenAPI has no minimum for date-times and a pattern cannot weigh the UTC offset.
ENTRY_CLOCK = [FUTURE_ENTRY, EARLY_ENTRY]
VISIT_CLOCK = [FUTURE_VISIT, EARLY_VISIT]
STATE_REFUSALS: dict[str, list[dict]] = {
    # A visit is recorded for one of the physician's own patients; a UUID the fuzzer makes
    # up is nobody's patient (400 naming `patient`, as for another physician's patient).
    "POST /api/v1/visits/": [*VISIT_CLOCK, {"patient": ["Not one of your patients."]}],
    "PUT /api/v1/visits/{id}/": VISIT_CLOCK,
    "PATCH /api/v1/visits/{id}/": VISIT_CLOCK,
    # An invitation code is a one-time secret; a made-up one is unknown (400 naming `code`).
    "POST /api/v1/invitations/accept/": [{"code": ["This code is unknown, used or expired."]}],
    # Which hosts are push services is the server's configuration (PUSH_SERVICE_HOSTS), and
    # whether 65 bytes are a point of P-256 no pattern can say.
    "POST /api/v1/push/subscriptions/": [
        {"endpoint": ["Not a push service this server sends to."]},
        {"keys.p256dh": ["Not a P-256 public key."]},
    ],
    # A reset token is a one-time secret; a made-up one is unknown (400 naming `token`).
    "POST /api/v1/auth/password/reset/confirm/": [
        {"token": ["This link has expired or has already been used. Ask for a new one."]}
    ],
    # The fuzzer does not know the account's password (400 naming `current_password`).
    "POST /api/v1/auth/password/": [{"current_password": ["That is not your current password."]}],
    "POST /api/v1/entries/": ENTRY_CLOCK,
    "PUT /api/v1/entries/{id}/": ENTRY_CLOCK,
    "PATCH /api/v1/entries/{id}/": ENTRY_CLOCK,
}
# A version that is well formed but not the stored one is stale: 412 (RFC 9110 If-Match).
STALE = {"POST /api/v1/entries/", "PUT /api/v1/entries/{id}/", "PATCH /api/v1/entries/{id}/",
         "DELETE /api/v1/entries/{id}/"}  # fmt: skip


def _operation(name: str) -> dict:
    extra = (["400"] if name in STATE_REFUSALS else []) + (["412"] if name in STALE else [])
    return {
        "include-name": name,
        "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *extra]}},
    }


OPERATIONS = [_operation(name) for name in sorted(STATE_REFUSALS.keys() | STALE)]

# Authorization is set per role by the test itself; schemathesis must not generate (or, in
# negative cases, drop) it, or a "missing header" case would be sent with the header on.
CONFIG = SchemathesisConfig.from_dict(
    {"generation": {"with-security-parameters": False}, "operations": OPERATIONS}
)
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


@schemathesis.check
def state_refusals_only(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """Where a schema-valid request may get a 400 (STATE_REFUSALS), it is one of those."""
    meta = case.meta
    allowed = STATE_REFUSALS.get(f"{case.method.upper()} {case.path}")
    if allowed is None or response.status_code != 400 or meta is None:
        return None
    if not meta.generation.mode.is_positive:
        return None
    if (response.json() or {}).get("fields") not in allowed:
        raise AssertionError(f"schema-valid request refused: {response.text[:300]}")
    return None


# Every check runs, positive_data_acceptance included: the schema says exactly what the
# server accepts (issue #14, finding 12).
EXCLUDED: list = []


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
        additional_checks=[no_internals_leak, state_refusals_only],
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
