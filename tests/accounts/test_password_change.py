"""Changing the password when signed in: the current one is checked (as a password guess,
under sign-in's limits), the policy applies, every other session ends and this one stays,
its refresh cookie included."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import OutboundMail, PasswordReset, SecurityEvent, Session, User
from tests.accounts.helpers import ME_URL, REFRESH_URL, TOKEN_URL, bearer, sign_in

pytestmark = pytest.mark.django_db

CHANGE_URL = "/api/v1/auth/password/"
NEW_PASSWORD = "a brand new passphrase for spring"
WRONG = {
    "code": "wrong_password",
    "detail": "That is not your current password.",
    "fields": {"current_password": ["That is not your current password."]},
}


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PUBLIC_URL = "https://relief.example.org"


def signed_in_browser(email: str, password: str, address: str = "192.0.2.10") -> APIClient:
    """A browser as the web app is one: the refresh and device cookies, the access token."""
    browser = APIClient(REMOTE_ADDR=address)
    tokens = sign_in(email, password, client=browser)
    browser.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return browser


def change(browser: APIClient, current: str, new: str = NEW_PASSWORD) -> Any:
    return browser.post(
        CHANGE_URL, {"current_password": current, "new_password": new}, format="json"
    )


def test_other_sessions_end_and_this_one_stays_with_its_refresh_cookie(
    patient: User, password: str
):
    phone = signed_in_browser("pat@example.org", password)
    laptop = sign_in("pat@example.org", password)
    phone_session = Session.objects.order_by("created_at").first()
    assert phone_session is not None

    response = change(phone, password)

    assert (response.status_code, response.content) == (204, b"")
    # The laptop is signed out: its access and refresh tokens no longer work.
    assert bearer(laptop["access"]).get(ME_URL).status_code == 401
    refreshed = APIClient().post(REFRESH_URL, {"refresh": laptop["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert dict(Session.objects.values_list("id", "revoked_reason")) == {
        phone_session.pk: "",
        Session.objects.exclude(pk=phone_session.pk).get().pk: "password_changed",
    }
    # The phone goes on: its access token, then its refresh cookie, then the new token.
    assert phone.get(ME_URL).status_code == 200
    renewed = phone.post(REFRESH_URL, {}, format="json")
    assert renewed.status_code == 200
    assert renewed.cookies[settings.REFRESH_COOKIE_NAME].value
    assert bearer(renewed.json()["access"]).get(ME_URL).json()["email"] == "pat@example.org"
    # The new password is the one now.
    assert sign_in("pat@example.org", NEW_PASSWORD)["user"]["email"] == "pat@example.org"
    old = APIClient().post(
        TOKEN_URL, {"email": "pat@example.org", "password": password}, format="json"
    )
    assert old.status_code == 401
    assert list(
        SecurityEvent.objects.values_list("kind", "user_id", "client_address", "detail")
    ) == [("password_changed", patient.pk, "192.0.2.10", {"kept_session": str(phone_session.pk)})]
    notice = OutboundMail.objects.get()
    assert (notice.to, notice.subject) == ("pat@example.org", "Your Relief password was changed")
    assert "was changed in Settings on " in notice.body
    assert "Other devices signed in to it have been signed out." in notice.body


def test_a_wrong_current_password_changes_nothing(patient: User, password: str):
    phone = signed_in_browser("pat@example.org", password)
    laptop = sign_in("pat@example.org", password)

    response = change(phone, "not my password at all, sorry")

    assert (response.status_code, response.json()) == (400, WRONG)
    assert User.objects.get(pk=patient.pk).check_password(password)
    assert bearer(laptop["access"]).get(ME_URL).status_code == 200
    assert not Session.objects.filter(revoked_at__isnull=False).exists()
    assert not SecurityEvent.objects.exists()
    assert not OutboundMail.objects.exists()


@pytest.mark.parametrize(
    ("new", "messages"),
    [
        (
            "too short",
            [
                "This password is too short: use at least 15 characters. A few words in a "
                "row make a good one."
            ],
        ),
        (
            "pat@example.org and more words",
            ["This password contains your email address or your name."],
        ),
        (
            " " * 15,
            [
                "This password is only spaces or invisible characters.",
                "This password repeats a shorter one: use at least 15 characters that do "
                "not repeat a pattern.",
            ],
        ),
    ],
)
def test_a_new_password_the_policy_refuses_is_named(
    patient: User, password: str, new: str, messages: list[str]
):
    phone = signed_in_browser("pat@example.org", password)

    response = change(phone, password, new)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input: new_password.",
        "fields": {"new_password": messages},
    }
    assert User.objects.get(pk=patient.pk).check_password(password)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"new_password": NEW_PASSWORD}, {"current_password": ["This field is required."]}),
        ({"current_password": "x"}, {"new_password": ["This field is required."]}),
        (
            {"current_password": "x", "new_password": NEW_PASSWORD, "email": "a@b.c"},
            {"email": ["Unknown field."]},
        ),
    ],
)
def test_missing_or_unknown_fields_are_named(
    patient: User, password: str, body: dict[str, Any], fields: Any
):
    phone = signed_in_browser("pat@example.org", password)
    response = phone.post(CHANGE_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == fields


def test_signing_in_is_required(db: None):
    response = APIClient().post(
        CHANGE_URL, {"current_password": "x", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 401


def test_wrong_current_passwords_count_as_sign_in_guesses(
    patient: User, password: str, settings: Any
):
    """The phone is trusted (device cookie): it has a limit of its own, and once over it
    even the right password waits."""
    settings.SIGNIN_LIMIT_PER_DEVICE = 2
    phone = signed_in_browser("pat@example.org", password)
    assert [change(phone, f"guess number {i}").status_code for i in range(2)] == [400, 400]

    limited = change(phone, password)

    assert (limited.status_code, limited.json()) == (
        429,
        {"code": "too_many_attempts", "detail": "Too many attempts. Try again later."},
    )
    assert 1 <= int(limited["Retry-After"]) <= settings.SIGNIN_LIMIT_WINDOW_SECONDS
    assert User.objects.get(pk=patient.pk).check_password(password)
    assert list(SecurityEvent.objects.values_list("kind", "user_id", "detail")) == [
        ("signin_limited", patient.pk, {"scope": "device", "via": "password_change"})
    ]


def test_a_successful_change_gives_its_attempt_back(patient: User, password: str, settings: Any):
    settings.SIGNIN_LIMIT_PER_DEVICE = 1
    phone = signed_in_browser("pat@example.org", password)
    assert change(phone, password).status_code == 204
    assert change(phone, NEW_PASSWORD, "another new passphrase for autumn").status_code == 204


def test_a_change_spends_the_accounts_unused_reset_links(patient: User, password: str):
    APIClient().post("/api/v1/auth/password/reset/", {"email": "pat@example.org"}, format="json")
    assert PasswordReset.objects.filter(used_at__isnull=True).count() == 1
    phone = signed_in_browser("pat@example.org", password)

    assert change(phone, password).status_code == 204

    assert PasswordReset.objects.filter(used_at__isnull=True).count() == 0


def test_a_physician_changes_theirs_too(physician: User, password: str):
    browser = signed_in_browser("dr.hope@example.org", password)
    assert change(browser, password).status_code == 204
    assert User.objects.get(pk=physician.pk).check_password(NEW_PASSWORD)
