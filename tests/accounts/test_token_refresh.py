from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import RefreshToken, SecurityEvent, Session, User
from tests.accounts.helpers import LOGOUT_URL, ME_URL, REFRESH_URL, bearer, sign_in
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


def refresh(raw: str | None = None, client: APIClient | None = None):
    client = client or APIClient()
    data = {"refresh": raw} if raw else {}
    return client.post(REFRESH_URL, data, format="json")


def test_refresh_with_body_returns_a_new_pair_and_spends_the_old_token(
    patient: User, password: str
):
    first = sign_in("pat@example.org", password)
    response = refresh(first["refresh"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["refresh"] != first["refresh"]
    assert body["user"]["id"] == str(patient.id)
    assert bearer(body["access"]).get(ME_URL).status_code == 200
    tokens = RefreshToken.objects.order_by("issued_at")
    assert [t.used_at is not None for t in tokens] == [True, False]
    assert response.cookies[settings.REFRESH_COOKIE_NAME].value == body["refresh"]


def test_refresh_with_the_cookie_only(patient: User, password: str):
    client = APIClient()
    sign_in("pat@example.org", password, client=client)
    response = refresh(client=client)
    assert response.status_code == 200
    assert bearer(response.json()["access"]).get(ME_URL).status_code == 200


def test_refresh_without_any_token_is_400_naming_refresh(db: None):
    response = refresh()
    assert response.status_code == 400
    assert response.json()["fields"] == {"refresh": ["A refresh token is required."]}


def test_garbage_refresh_token_is_401(db: None):
    response = refresh("not-a-token")
    assert response.status_code == 401
    assert response.json() == {
        "code": "session_expired",
        "detail": "The session has ended. Sign in again.",
    }


def test_access_token_is_not_accepted_as_refresh(patient: User, password: str):
    assert refresh(sign_in("pat@example.org", password)["access"]).status_code == 401


@pytest.mark.parametrize("grace", [0])
def test_reusing_a_spent_refresh_token_revokes_the_whole_family(
    patient: User, password: str, settings, grace: int
):
    settings.REFRESH_REUSE_GRACE_SECONDS = grace
    first = sign_in("pat@example.org", password)
    second = refresh(first["refresh"]).json()
    third = refresh(second["refresh"]).json()

    reuse = refresh(first["refresh"])

    assert reuse.status_code == 401
    session = Session.objects.get()
    assert session.revoked_reason == Session.Reason.REUSE
    # Every token descended from that sign-in is dead: access and refresh.
    assert bearer(third["access"]).get(ME_URL).status_code == 401
    assert refresh(third["refresh"]).status_code == 401
    event = SecurityEvent.objects.get()
    assert event.kind == SecurityEvent.Kind.REFRESH_REUSE
    assert event.user == patient
    assert event.session == session


def test_a_second_presentation_within_the_grace_window_is_refused_but_keeps_the_session(
    patient: User, password: str
):
    first = sign_in("pat@example.org", password)
    second = refresh(first["refresh"]).json()

    raced = refresh(first["refresh"])
    assert raced.status_code == 401
    assert raced.json()["code"] == "refresh_in_progress"
    assert 1 <= int(raced["Retry-After"]) <= settings.REFRESH_REUSE_GRACE_SECONDS
    # The loser must not clear the cookie that the winner's response just set.
    assert settings.REFRESH_COOKIE_NAME not in raced.cookies
    assert Session.objects.get().revoked_at is None
    assert not SecurityEvent.objects.exists()
    assert refresh(second["refresh"]).status_code == 200


def test_reuse_revokes_only_that_sign_in(patient: User, password: str, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0
    phone = sign_in("pat@example.org", password)
    laptop = sign_in("pat@example.org", password)
    second = refresh(phone["refresh"]).json()
    assert refresh(second["refresh"]).status_code == 200
    assert refresh(phone["refresh"]).status_code == 401
    assert bearer(laptop["access"]).get(ME_URL).status_code == 200
    phone_session, laptop_session = Session.objects.order_by("created_at")
    assert phone_session.revoked_reason == Session.Reason.REUSE
    assert laptop_session.revoked_at is None


def _age(seconds: float) -> None:
    """Move every refresh token's issue and use back in time, as if ``seconds`` had passed."""
    delta = timedelta(seconds=seconds)
    RefreshToken.objects.update(issued_at=F("issued_at") - delta)
    RefreshToken.objects.filter(used_at__isnull=False).update(used_at=F("used_at") - delta)


def test_a_lost_answer_is_recovered_and_the_token_it_never_received_dies(
    patient: User, password: str
):
    """A phone sends a refresh, the server rotates, the response (and its cookie) is lost:
    presenting the old token again later gives a new pair instead of signing the patient
    out; the token whose answer was lost can never be used after that."""
    first = sign_in("pat@example.org", password)
    lost = refresh(first["refresh"]).json()
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)

    response = refresh(first["refresh"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == str(patient.id)
    assert body["refresh"] not in {first["refresh"], lost["refresh"]}
    assert response.cookies[settings.REFRESH_COOKIE_NAME].value == body["refresh"]
    assert bearer(body["access"]).get(ME_URL).status_code == 200
    root = RefreshToken.objects.get(parent__isnull=True)
    replaced, current = RefreshToken.objects.filter(parent=root).order_by("issued_at")
    assert root.used_at is not None
    assert replaced.used_at is not None and current.used_at is None
    assert list(RefreshToken.objects.filter(used_at__isnull=True)) == [current]
    session = Session.objects.get()
    assert session.revoked_at is None
    # A security reviewer sees each re-issue, from where, and which token it replaced.
    event = SecurityEvent.objects.get()
    assert event.kind == SecurityEvent.Kind.REFRESH_RECOVERED
    assert (event.user, event.session, event.client_address) == (patient, session, "127.0.0.1")
    assert event.detail == {"jti": str(root.jti), "replaced": str(replaced.jti)}
    # The new token works as any other...
    assert refresh(body["refresh"]).status_code == 200
    # ...and whoever holds the replaced one is a stale copy: reuse ends the session.
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)
    assert refresh(lost["refresh"]).status_code == 401
    session.refresh_from_db()
    assert session.revoked_reason == Session.Reason.REUSE
    reuse = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REFRESH_REUSE)
    assert reuse.detail == {"jti": str(replaced.jti)}


def test_answers_lost_twice_in_a_row_are_both_recovered(patient: User, password: str):
    first = sign_in("pat@example.org", password)
    refresh(first["refresh"])
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)
    assert refresh(first["refresh"]).status_code == 200  # this answer is lost too
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)

    response = refresh(first["refresh"])

    assert response.status_code == 200
    assert RefreshToken.objects.filter(used_at__isnull=True).count() == 1
    assert refresh(response.json()["refresh"]).status_code == 200
    assert Session.objects.get().revoked_at is None


def test_presenting_again_before_the_lost_answer_could_be_told_from_a_race_says_when_to_retry(
    patient: User, password: str
):
    first = sign_in("pat@example.org", password)
    refresh(first["refresh"])
    _age(3)

    early = refresh(first["refresh"])

    assert early.status_code == 401
    assert early.json()["code"] == "refresh_in_progress"
    assert early["Retry-After"] == str(settings.REFRESH_REUSE_GRACE_SECONDS - 3)
    assert settings.REFRESH_COOKIE_NAME not in early.cookies
    assert RefreshToken.objects.filter(used_at__isnull=True).count() == 1
    _age(settings.REFRESH_REUSE_GRACE_SECONDS - 3 + 1)
    assert refresh(first["refresh"]).status_code == 200


def test_a_lost_answer_of_an_idle_physician_session_is_not_taken_for_theft(
    physician: User, password: str
):
    first = sign_in("dr.hope@example.org", password)
    refresh(first["refresh"])  # the answer is lost; the laptop stays closed for 31 minutes
    _age(31 * 60)
    RefreshToken.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    Session.objects.update(last_refreshed_at=timezone.now() - timedelta(minutes=31))

    response = refresh(first["refresh"])

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert not SecurityEvent.objects.exists()
    assert RefreshToken.objects.filter(used_at__isnull=True).count() == 1  # nothing issued
    assert Session.objects.get().revoked_reason == Session.Reason.IDLE


def test_a_spent_token_of_a_signed_out_session_is_refused_without_a_theft_alarm(
    patient: User, password: str
):
    client = APIClient()
    first = sign_in("pat@example.org", password, client=client)
    second = refresh(first["refresh"]).json()
    assert bearer(second["access"]).post(LOGOUT_URL).status_code == 204
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)

    for raw in (first["refresh"], second["refresh"]):
        response = refresh(raw)
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"
    assert Session.objects.get().revoked_reason == Session.Reason.LOGOUT
    assert not SecurityEvent.objects.exists()


def test_a_child_used_moments_ago_makes_its_parent_wait_then_counts_as_reuse(
    patient: User, password: str
):
    first = sign_in("pat@example.org", password)
    second = refresh(first["refresh"]).json()
    _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)
    assert refresh(second["refresh"]).status_code == 200  # the child is used now
    _age(2)

    early = refresh(first["refresh"])

    assert early.status_code == 401
    assert early.json()["code"] == "refresh_in_progress"
    assert early["Retry-After"] == str(settings.REFRESH_REUSE_GRACE_SECONDS - 2)
    assert Session.objects.get().revoked_at is None
    _age(settings.REFRESH_REUSE_GRACE_SECONDS)
    assert refresh(first["refresh"]).status_code == 401
    assert Session.objects.get().revoked_reason == Session.Reason.REUSE


@pytest.mark.parametrize("recovery", [0, 3600])
def test_past_the_recovery_window_a_spent_token_is_reuse(
    patient: User, password: str, settings, recovery: int
):
    settings.REFRESH_RECOVERY_SECONDS = recovery
    first = sign_in("pat@example.org", password)
    refresh(first["refresh"])  # the answer is lost
    _age(max(recovery, settings.REFRESH_REUSE_GRACE_SECONDS) + 1)

    response = refresh(first["refresh"])

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert Session.objects.get().revoked_reason == Session.Reason.REUSE
    assert SecurityEvent.objects.get().kind == SecurityEvent.Kind.REFRESH_REUSE


def test_physician_session_ends_after_30_minutes_idle(physician: User, password: str):
    first = sign_in("dr.hope@example.org", password)
    Session.objects.update(last_refreshed_at=timezone.now() - timedelta(minutes=31))
    response = refresh(first["refresh"])
    assert response.status_code == 401
    assert Session.objects.get().revoked_reason == Session.Reason.IDLE


def test_physician_refresh_token_expires_with_the_idle_timeout(physician: User, password: str):
    import jwt

    first = sign_in("dr.hope@example.org", password)
    claims = jwt.decode(first["refresh"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 60
    session = Session.objects.get()
    assert session.expires_at - session.created_at == timedelta(hours=12)


@pytest.mark.parametrize("role", ["staff", "practice_admin"])
def test_staff_and_administrators_have_the_physicians_desk_limits(
    physician: User, password: str, role: str
):
    """A practice's other desk roles sign in at a shared clinic computer too: 30 minutes
    idle, 12 hours in all (the administrator can download the practice's outcomes)."""
    import jwt

    from tests.factories import UserFactory

    UserFactory(email="desk@example.org", role=role, practice=physician.practice)
    first = sign_in("desk@example.org", password)
    claims = jwt.decode(first["refresh"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 60
    session = Session.objects.get()
    assert (session.idle_timeout, session.expires_at - session.created_at) == (
        timedelta(minutes=30), timedelta(hours=12),
    )  # fmt: skip
    Session.objects.update(last_refreshed_at=timezone.now() - timedelta(minutes=31))
    assert refresh(first["refresh"]).status_code == 401


def test_patient_session_lasts_30_days_in_all(patient: User, password: str):
    import jwt

    first = sign_in("pat@example.org", password)
    claims = jwt.decode(first["refresh"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refresh(first["refresh"]).status_code == 401
    assert bearer(first["access"]).get(ME_URL).status_code == 401


def test_physician_session_ends_after_12_hours_even_when_active(physician: User, password: str):
    first = sign_in("dr.hope@example.org", password)
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refresh(first["refresh"]).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_give_exactly_one_success(patient: User, password: str):
    """Stock simplejwt could fork a token under this race; the conditional UPDATE cannot."""
    trials, racers = 8, 20
    for _ in range(trials):
        raw = sign_in("pat@example.org", password)["refresh"]
        statuses = run_concurrently(racers, lambda _i, raw=raw: refresh(raw).status_code)
        assert sorted(statuses) == [200] + [401] * (racers - 1)
    # Each sign-in has exactly one live successor token.
    for session in Session.objects.all():
        assert session.refresh_tokens.filter(used_at__isnull=True).count() == 1
        assert session.revoked_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_recoveries_of_one_lost_answer_give_exactly_one_success(
    patient: User, password: str
):
    trials, racers = 4, 12
    for _ in range(trials):
        first = sign_in("pat@example.org", password)
        refresh(first["refresh"])
        _age(settings.REFRESH_REUSE_GRACE_SECONDS + 1)
        raw = first["refresh"]
        responses = run_concurrently(racers, lambda _i, raw=raw: refresh(raw))
        assert sorted(r.status_code for r in responses) == [200] + [401] * (racers - 1)
        assert {r.json()["code"] for r in responses if r.status_code == 401} == {
            "refresh_in_progress"
        }
    for session in Session.objects.all():
        assert session.refresh_tokens.filter(used_at__isnull=True).count() == 1
        assert session.revoked_at is None
    kinds = list(SecurityEvent.objects.values_list("kind", flat=True))
    assert kinds == [SecurityEvent.Kind.REFRESH_RECOVERED] * trials
