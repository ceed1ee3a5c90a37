"""The database outage gate: 503 with Retry-After at once while PostgreSQL is known to be
down, never a 500, and back to normal at the first successful probe (see core/outage.py).

The real restart is bench/faults/run.py (``make faults``); these pin the pieces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from psycopg import errors
from psycopg_pool import PoolTimeout

from core import outage as outage_module
from core.outage import is_connection_loss, outage


def outage_error(cause: BaseException) -> OperationalError:
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


@pytest.fixture(autouse=True)
def _fresh_gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    outage.reset()
    closed: list[str] = []
    # Renewing the pool inside a test transaction would pull the connection from under it.
    monkeypatch.setattr(connection, "close_pool", lambda: closed.append("pool"), raising=False)
    yield closed
    outage.reset()


@pytest.mark.parametrize(
    ("cause", "lost"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (errors.AdminShutdown("terminating connection due to administrator command"), True),
        (errors.CannotConnectNow("the database system is starting up"), True),
        (PoolTimeout("couldn't get a connection after 5.00 sec"), True),
        (errors.DeadlockDetected("deadlock detected"), False),
        (errors.QueryCanceled("canceling statement due to statement timeout"), False),
    ],
    ids=["closed", "admin-shutdown", "starting-up", "pool-timeout", "deadlock", "timeout"],
)
def test_only_a_lost_server_counts_as_an_outage(cause: BaseException, lost: bool):
    assert is_connection_loss(outage_error(cause)) is lost


@pytest.mark.postgres
@pytest.mark.django_db
def test_while_down_every_request_is_503_at_once_and_healthz_still_answers(
    monkeypatch: pytest.MonkeyPatch, _fresh_gate: list[str]
):
    probes: list[bool] = []
    monkeypatch.setattr(outage_module, "_probe", lambda: probes.append(False) or False)
    # The interval is a minute here, so a slow machine cannot let it run out between the
    # two requests (at 0.5 s it did, under load).
    monkeypatch.setattr(outage_module, "PROBE_INTERVAL", 60)
    outage.saw(outage_error(psycopg.OperationalError("server closed the connection")))

    response = Client().get("/api/v1/entries/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "Temporarily unavailable. Try again.",
    }
    assert Client().get("/readyz").status_code == 503
    assert len(probes) == 1  # the first request probed; the next one waited for the interval
    assert Client().get("/healthz").status_code == 200

    monkeypatch.setattr(outage_module, "_probe", lambda: True)
    monkeypatch.setattr(outage_module, "PROBE_INTERVAL", 0.0)
    assert Client().get("/readyz").status_code == 200
    assert _fresh_gate == ["pool"]  # the pool was renewed once the database answered
    assert Client().get("/api/v1/entries/").status_code == 401  # back to normal


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_deadlock_does_not_close_the_gate():
    outage.saw(outage_error(errors.DeadlockDetected("deadlock detected")))
    assert Client().get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_outage_during_authentication_is_503_not_500(
    monkeypatch: pytest.MonkeyPatch, patient: Any
):
    """The audited views look at request.user again while handling the error, which runs
    authentication (and the dead connection) a second time, outside DRF's handler."""
    from accounts.authentication import RevocableJWTAuthentication
    from accounts.services import session_start

    def broken(self: Any, request: Any) -> None:
        raise outage_error(psycopg.OperationalError("server closed the connection"))

    monkeypatch.setattr(RevocableJWTAuthentication, "authenticate", broken)
    access = session_start(user=patient).access
    client = Client(raise_request_exception=False)
    for path in ("/api/v1/entries/", f"/api/v1/patients/{patient.pk}/course/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.status_code == 503, path
        assert response["Retry-After"] == "5"
