"""Password reset by an emailed link: the same answer whether the account exists, a link
that works once for 30 minutes (only its hash stored), every session ended, the account
told by mail, and sign-in's limits (with counters of their own)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory

from accounts import apis
from accounts.models import OutboundMail, PasswordReset, SecurityEvent, Session, User
from accounts.password_reset import ResetLinkInvalid, password_reset_confirm
from core.secrets import secret_digest
from tests.accounts.helpers import ME_URL, REFRESH_URL, TOKEN_URL, bearer, sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

RESET_URL = "/api/v1/auth/password/reset/"
CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
NEW_PASSWORD = "a brand new passphrase for spring"
SENT = {
    "detail": "If an account exists for that email, we have sent a link to reset its "
    "password. The link works for 30 minutes."
}
BAD_TOKEN = {
    "code": "invalid_token",
    "detail": "This link has expired or has already been used. Ask for a new one.",
    "fields": {"token": ["This link has expired or has already been used. Ask for a new one."]},
}
LIMITED = {
    "code": "too_many_attempts",
    "detail": "Too many requests for a password reset. Try again later.",
}


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PUBLIC_URL = "https://relief.example.org"


def ask(email: str, address: str = "203.0.113.7") -> Any:
    return APIClient(REMOTE_ADDR=address).post(RESET_URL, {"email": email}, format="json")


def confirm(token: str, password: str = NEW_PASSWORD, address: str = "203.0.113.7") -> Any:
    return APIClient(REMOTE_ADDR=address).post(
        CONFIRM_URL, {"token": token, "password": password}, format="json"
    )


def link_token(mail: OutboundMail) -> str:
    """The token in a reset mail's link (the mail is not sent in these tests, which never
    commit, so its body is still there)."""
    match = re.search(r"https://relief\.example\.org/#/reset\?token=([\w-]+)\n", mail.body)
    assert match, mail.body
    return match.group(1)


def reset_mail() -> OutboundMail:
    return OutboundMail.objects.get(subject="Reset your Relief password")


def test_the_answer_is_the_same_for_an_account_and_for_no_account(patient: User):
    known, unknown = ask("Pat@Example.org"), ask("ghost@example.org")

    assert (known.status_code, known.json()) == (202, SENT)
    assert (unknown.status_code, unknown.json()) == (202, SENT)
    assert known.headers.keys() - {"X-Request-ID"} == unknown.headers.keys() - {"X-Request-ID"}
    # Only the account gets a link and a mail; nothing is written for the other address.
    reset = PasswordReset.objects.get()
    mail = reset_mail()
    assert (reset.user_id, reset.used_at, reset.mail_id) == (patient.pk, None, mail.pk)
    assert (mail.to, mail.status, mail.discard_after) == (
        "pat@example.org",
        "pending",
        reset.created_at + timedelta(minutes=30),
    )
    token = link_token(mail)
    assert mail.body == (
        "Hello Pat Patient,\n\nSomeone asked to reset the password of your Relief account, "
        "we hope it was you. Open this link within 30 minutes to choose a new password:"
        f"\n\n    https://relief.example.org/#/reset?token={token}\n\nThe link works once. "
        "If you did not ask for it, you can ignore this email: your password stays as it is."
    )
    # Only the hash is stored.
    assert reset.token_hash == secret_digest(token)
    assert token not in str(list(PasswordReset.objects.values()))
    assert OutboundMail.objects.count() == 1


def test_the_answer_is_given_before_the_address_is_looked_up(
    patient: User, django_assert_num_queries: Any
):
    """The view does the same work for both addresses (no query at all) and answers; the
    lookup, the link and the mail come after the answer has been sent."""
    view = apis.PasswordResetApi.as_view()
    responses = []
    for email in ("pat@example.org", "ghost@example.org"):
        request = APIRequestFactory().post(RESET_URL, {"email": email}, format="json")
        with django_assert_num_queries(0):
            response = view(request)
            response.render()
        responses.append(response)
    assert [(r.status_code, r.data) for r in responses] == [(202, SENT), (202, SENT)]
    assert not PasswordReset.objects.exists()

    # What the WSGI server does once the answer is sent (without closing the test's
    # database connection, as Django's test client does too).
    request_finished.disconnect(close_old_connections)
    try:
        for response in responses:
            response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert list(PasswordReset.objects.values_list("user__email", flat=True)) == ["pat@example.org"]


def test_without_public_url_the_link_points_where_the_request_came(patient: User, settings):
    settings.PUBLIC_URL = ""
    APIClient().post(RESET_URL, {"email": "pat@example.org"}, format="json")
    assert "\n    http://testserver/#/reset?token=" in reset_mail().body


def test_an_inactive_account_gets_no_link(patient: User):
    User.objects.filter(pk=patient.pk).update(is_active=False)
    assert (ask("pat@example.org").status_code, ask("pat@example.org").json()) == (202, SENT)
    assert not PasswordReset.objects.exists()
    assert not OutboundMail.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "not an address"}, {"email": ["Enter a valid email address."]}),
        ({}, {"email": ["This field is required."]}),
        ({"email": "pat@example.org", "role": "x"}, {"role": ["Unknown field."]}),
    ],
)
def test_a_bad_request_names_its_field(patient: User, body: dict[str, Any], fields: Any):
    response = APIClient().post(RESET_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == fields
    assert not PasswordReset.objects.exists()


def test_the_link_sets_the_password_once_and_ends_every_session(patient: User, password: str):
    phone, laptop = sign_in("pat@example.org", password), sign_in("pat@example.org", password)
    ask("pat@example.org")
    token = link_token(reset_mail())

    response = confirm(token)

    assert (response.status_code, response.json()) == (200, {"email": "pat@example.org"})
    # Every session has ended: access and refresh tokens alike.
    assert set(Session.objects.values_list("revoked_reason", flat=True)) == {"password_changed"}
    for tokens in (phone, laptop):
        assert bearer(tokens["access"]).get(ME_URL).status_code == 401
        again = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
        assert again.status_code == 401
    # The new password signs in; the old one does not.
    assert sign_in("pat@example.org", NEW_PASSWORD)["user"]["email"] == "pat@example.org"
    old = APIClient().post(
        TOKEN_URL, {"email": "pat@example.org", "password": password}, format="json"
    )
    assert old.status_code == 401
    reset = PasswordReset.objects.get()
    assert reset.used_at is not None
    assert list(
        SecurityEvent.objects.values_list("kind", "user_id", "client_address", "detail")
    ) == [("password_reset", patient.pk, "203.0.113.7", {"reset": reset.pk})]
    notice = OutboundMail.objects.get(subject="Your Relief password was changed")
    assert notice.to == "pat@example.org"
    assert notice.body == (
        "Hello Pat Patient,\n\nThe password of your Relief account was changed with a reset "
        f"link on {reset.used_at:%Y-%m-%d at %H:%M} UTC. Every device signed in to it has "
        "been signed out.\n\nIf that was you, there is nothing more to do. If it was not, "
        "choose a new password now at\n\n    https://relief.example.org/#/reset\n\n"
        "and tell your clinic."
    )

    # Single use.
    second = confirm(token, password="yet another passphrase for autumn")
    assert (second.status_code, second.json()) == (400, BAD_TOKEN)
    assert User.objects.get(pk=patient.pk).check_password(NEW_PASSWORD)


def test_using_one_link_spends_every_other_link_of_the_account(patient: User):
    ask("pat@example.org")
    ask("pat@example.org")
    first, second = (link_token(m) for m in OutboundMail.objects.order_by("id"))

    assert confirm(second).status_code == 200

    assert (confirm(first).status_code, confirm(first).json()) == (400, BAD_TOKEN)
    assert PasswordReset.objects.filter(used_at__isnull=True).count() == 0


def test_a_link_works_for_30_minutes(patient: User):
    ask("pat@example.org")
    token = link_token(reset_mail())
    created = PasswordReset.objects.get().created_at

    with pytest.raises(ResetLinkInvalid):
        password_reset_confirm(
            token=token,
            password=NEW_PASSWORD,
            client_address=None,
            app_url="https://relief.example.org",
            now=created + timedelta(minutes=30),
        )
    user = password_reset_confirm(
        token=token,
        password=NEW_PASSWORD,
        client_address=None,
        app_url="https://relief.example.org",
        now=created + timedelta(minutes=29, seconds=59),
    )
    assert user.pk == patient.pk
    assert User.objects.get(pk=patient.pk).check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused_naming_token(patient: User, password: str):
    ask("pat@example.org")
    token = link_token(reset_mail())
    PasswordReset.objects.update(created_at=timezone.now() - timedelta(minutes=31))

    response = confirm(token)

    assert (response.status_code, response.json()) == (400, BAD_TOKEN)
    assert User.objects.get(pk=patient.pk).check_password(password)
    assert not SecurityEvent.objects.exists()


def test_a_link_of_a_deactivated_account_is_refused(patient: User):
    ask("pat@example.org")
    token = link_token(reset_mail())
    User.objects.filter(pk=patient.pk).update(is_active=False)
    assert (confirm(token).status_code, confirm(token).json()) == (400, BAD_TOKEN)


@pytest.mark.parametrize("token", ["made-up-token", "x" * 200])
def test_an_unknown_token_is_refused_naming_token(patient: User, token: str):
    assert (confirm(token).status_code, confirm(token).json()) == (400, BAD_TOKEN)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"password": NEW_PASSWORD}, {"token": ["This field is required."]}),
        ({"token": "", "password": NEW_PASSWORD}, {"token": ["This field may not be blank."]}),
        ({"token": "abc"}, {"password": ["This field is required."]}),
    ],
)
def test_a_confirm_without_its_fields_names_them(db: None, body: dict[str, Any], fields: Any):
    response = APIClient().post(CONFIRM_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == fields


def test_a_weak_password_is_refused_naming_password_and_the_link_stays_usable(
    patient: User, password: str
):
    tokens = sign_in("pat@example.org", password)
    ask("pat@example.org")
    token = link_token(reset_mail())

    response = confirm(token, password="short one")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input: password.",
        "fields": {
            "password": [
                "This password is too short: use at least 15 characters. A few words in a "
                "row make a good one."
            ]
        },
    }
    assert User.objects.get(pk=patient.pk).check_password(password)
    assert bearer(tokens["access"]).get(ME_URL).status_code == 200
    assert PasswordReset.objects.get().used_at is None
    assert confirm(token, password="Pat Patient forever and ever").json()["fields"] == {
        "password": ["This password contains your email address or your name."]
    }
    assert confirm(token).status_code == 200


def test_asking_is_limited_per_account_without_telling_whether_it_exists(
    patient: User, password: str, settings: Any
):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 2
    for email in ("pat@example.org", "ghost@example.org"):
        assert [ask(email, address=f"198.51.100.{i}").status_code for i in range(2)] == [202, 202]

        limited = ask(email, address="198.51.100.9")

        assert (limited.status_code, limited.json()) == (429, LIMITED)
        assert 1 <= int(limited["Retry-After"]) <= settings.SIGNIN_LIMIT_WINDOW_SECONDS
    assert PasswordReset.objects.count() == 2
    # Counted, not listed: one row per address and window.
    assert list(SecurityEvent.objects.values_list("kind", "user__email", "count", "detail")) == [
        ("reset_limited", "pat@example.org", 2, {"scope": "account", "via": "reset_request"})
    ]
    # Reset requests have counters of their own: signing in still works.
    assert sign_in("pat@example.org", password)["user"]["email"] == "pat@example.org"


def test_a_browser_that_signed_in_before_is_not_locked_out_of_asking(
    patient: User, password: str, settings: Any
):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 1
    phone = APIClient(REMOTE_ADDR="192.0.2.10")
    sign_in("pat@example.org", password, client=phone)  # sets the device cookie
    assert ask("pat@example.org", address="198.51.100.1").status_code == 202
    assert ask("pat@example.org", address="198.51.100.2").status_code == 429

    response = phone.post(RESET_URL, {"email": "pat@example.org"}, format="json")

    assert (response.status_code, response.json()) == (202, SENT)
    assert PasswordReset.objects.count() == 2


def test_using_links_is_limited_per_address(patient: User, settings: Any):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 2
    ask("pat@example.org")
    token = link_token(reset_mail())
    assert [confirm(f"guess-{i}").status_code for i in range(2)] == [400, 400]

    limited = confirm(token)

    assert (limited.status_code, limited.json()) == (429, LIMITED)
    assert PasswordReset.objects.get().used_at is None
    assert list(SecurityEvent.objects.values_list("kind", "user_id", "detail")) == [
        ("reset_limited", None, {"scope": "address", "via": "reset_confirm"})
    ]
    # Another address is not held up.
    assert confirm(token, address="198.51.100.77").status_code == 200


def test_a_weak_password_with_a_good_link_does_not_count_against_the_limit(
    patient: User, settings: Any
):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 1
    ask("pat@example.org")
    token = link_token(reset_mail())
    assert confirm(token, password="short").status_code == 400
    assert confirm(token).status_code == 200


def test_another_accounts_link_never_touches_this_account(patient: User, password: str):
    PatientFactory(email="olive@example.org", display_name="Olive Other")
    ask("olive@example.org")
    token = link_token(reset_mail())

    assert confirm(token).status_code == 200

    assert User.objects.get(pk=patient.pk).check_password(password)
    assert User.objects.get(email="olive@example.org").check_password(NEW_PASSWORD)
