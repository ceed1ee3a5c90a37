"""Remembered sessions are forgotten the moment the database changes them.

Each test first makes a successful request, so the session is remembered, then ends it
and expects the very next request to fail. The PostgreSQL tests make the change from a
separate connection with plain SQL, as another gunicorn worker, another app instance or
an operator at psql would: only the database's notice can tell this process about it.
That notice reaches this process a few microseconds after the other connection's commit
returns (measured here: on the socket already in 98 % of commits, at most 0.5 ms), so
those tests allow it half a second before calling the session still alive.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Session, User
from accounts.session_cache import session_cache
from accounts.tokens import SESSION_CLAIM
from tests.accounts.helpers import LOGOUT_URL, ME_URL, bearer, sign_in


def _signed_in(email: str, password: str) -> tuple[APIClient, str]:
    tokens = sign_in(email, password)
    client = bearer(tokens["access"])
    assert client.get(ME_URL).status_code == 200
    session_id = str(Session.objects.get(user__email=email, revoked_at__isnull=True).pk)
    return client, session_id


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["logout", "deactivate", "password", "bulk_update"])
def test_orm_changes_in_this_process_end_a_remembered_session_at_once(
    patient: User, password: str, change: str
):
    client, session_id = _signed_in("pat@example.org", password)
    assert client.get(ME_URL).status_code == 200  # served from what was remembered
    if change == "logout":
        assert client.post(LOGOUT_URL, {}, format="json").status_code == 204
    elif change == "deactivate":
        patient.is_active = False
        patient.save()
    elif change == "password":
        patient.set_password("an entirely new passphrase 7")
        patient.save()
    else:
        Session.objects.filter(pk=session_id).update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get(ME_URL).status_code == 401


def _refused_soon(client: APIClient, within: float = 0.5) -> bool:
    deadline = time.monotonic() + within
    while client.get(ME_URL).status_code == 200:
        if time.monotonic() > deadline:
            return False
    return True


def _other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], host=db["HOST"] or None, port=db["PORT"] or None,
        user=db["USER"] or None, password=db["PASSWORD"] or None, autocommit=True,
    )  # fmt: skip


SQL_CHANGES = {
    "revoke": "UPDATE accounts_session SET revoked_at = now() WHERE id = %(session)s",
    "deactivate": "UPDATE accounts_user SET is_active = false WHERE id = %(user)s",
    "delete_session": "WITH t AS (DELETE FROM accounts_refreshtoken WHERE session_id ="
    " %(session)s) DELETE FROM accounts_session WHERE id = %(session)s",
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", sorted(SQL_CHANGES))
def test_a_change_committed_elsewhere_ends_a_remembered_session_at_once(
    patient: User, password: str, change: str
):
    client, session_id = _signed_in("pat@example.org", password)
    assert session_cache.ready() is not None, "the listener should be up on PostgreSQL"
    assert session_cache.get(session_id, str(patient.pk), timezone.now()) is not None
    with _other_connection() as other:
        other.execute(SQL_CHANGES[change], {"session": session_id, "user": patient.pk})
    assert _refused_soon(client)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_user_changed_elsewhere_is_read_afresh(patient: User, password: str):
    client, _ = _signed_in("pat@example.org", password)
    assert client.get(ME_URL).json()["timezone"] == patient.timezone != "Asia/Tokyo"
    with _other_connection() as other:
        other.execute(
            "UPDATE accounts_user SET timezone = 'Asia/Tokyo' WHERE id = %s", [patient.pk]
        )
    deadline = time.monotonic() + 0.5
    while client.get(ME_URL).json()["timezone"] != "Asia/Tokyo":
        assert time.monotonic() < deadline, "the remembered user was never read again"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_listener_forgets_everything_and_the_database_decides(patient: User, password: str):
    client, session_id = _signed_in("pat@example.org", password)
    with _other_connection() as other:
        other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'relief-session-cache' AND datname = current_database()"
        )
        # The revocation happens while no one listens: its notice reaches nobody.
        other.execute(SQL_CHANGES["revoke"], {"session": session_id})
    assert _refused_soon(client)  # the loss shows on the socket: the database is asked
    assert session_cache.get(session_id, str(patient.pk), timezone.now()) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unrelated_change_keeps_other_sessions(
    patient: User, other_patient: User, password: str
):
    client, session_id = _signed_in("pat@example.org", password)
    with _other_connection() as other:
        other.execute(SQL_CHANGES["deactivate"], {"user": other_patient.pk})
    assert client.get(ME_URL).status_code == 200
    assert session_cache.get(session_id, str(patient.pk), timezone.now()) is not None


@pytest.mark.django_db
def test_an_unknown_session_id_in_a_valid_token_is_refused(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    forged = AccessToken(tokens["access"])
    forged[SESSION_CLAIM] = str(uuid.uuid4())
    assert bearer(str(forged)).get(ME_URL).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_remembered_session_is_checked_again_after_recheck_after(
    patient: User, password: str, monkeypatch: pytest.MonkeyPatch
):
    from accounts import session_cache as module

    client, session_id = _signed_in("pat@example.org", password)
    assert session_cache.get(session_id, str(patient.pk), timezone.now()) is not None
    monkeypatch.setattr(module, "RECHECK_AFTER", 0.0)
    assert session_cache.get(session_id, str(patient.pk), timezone.now()) is None
    assert client.get(ME_URL).status_code == 200  # asked the database again: still valid


@pytest.mark.django_db
def test_a_token_kept_decoded_stops_working_when_it_expires(
    patient: User, password: str, monkeypatch: pytest.MonkeyPatch
):
    import rest_framework_simplejwt.tokens as simplejwt_tokens

    import accounts.authentication as authentication

    access = AccessToken(sign_in("pat@example.org", password)["access"])
    client = bearer(str(access))
    assert client.get(ME_URL).status_code == 200  # decoded once, kept by its text
    later = access["exp"] + 1  # the clock moves past the token's expiry
    monkeypatch.setattr(
        authentication, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic)
    )
    monkeypatch.setattr(
        simplejwt_tokens, "aware_utcnow", lambda: datetime.fromtimestamp(later, UTC)
    )
    assert client.get(ME_URL).status_code == 401
