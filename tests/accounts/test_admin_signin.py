"""/admin/ sign-in: the API's limits and security events, a device cookie of its own, and
TOTP (django-otp) for staff who turn it on with ``relief totp_enroll``.

Django's test Client with CSRF checks on, as a browser posts the form.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signin_limit
from accounts.models import SecurityEvent, User
from tests.factories import PhysicianFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
OPERATOR = "203.0.113.5"
ATTACKER = "198.51.100.66"
LIMIT_MESSAGE = "Too many sign-in attempts. Try again later."
WRONG_PASSWORD = (
    "Please enter the correct email and password for a staff account. "
    "Note that both fields may be case-sensitive."
)


@pytest.fixture
def staff(db: None) -> User:
    return PhysicianFactory(email="ops@example.org", display_name="Ops", is_staff=True)


def browser(address: str = OPERATOR) -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address)


def sign_in(client: Client, email: str, password: str, **extra: str) -> Any:
    form = client.get(LOGIN)
    assert form.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert csrf is not None
    data = {"csrfmiddlewaretoken": csrf[1], "username": email, "password": password, **extra}
    return client.post(f"{LOGIN}?next=/admin/", data)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def errors(response: Any) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def code_at(key: bytes, steps_ahead: int = 0) -> str:
    """The 6-digit code an authenticator app shows for ``key`` now (or that many 30-second
    steps later: the server accepts one step either way, but never a code twice)."""
    return f"{totp(key, step=30, t0=-30 * steps_ahead, digits=6):06d}"


def totp_code(device: TOTPDevice) -> str:
    return code_at(device.bin_key)


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_wrong_admin_passwords_then_the_right_one_is_refused_with_the_limit(
    staff: User, password: str, settings
):
    """Issue #14: 39 wrong passwords then the right one, from one address, all accepted."""
    client = browser()
    for _ in range(settings.SIGNIN_LIMIT_PER_ACCOUNT):
        wrong = sign_in(client, "ops@example.org", "guess")
        assert (wrong.status_code, errors(wrong)) == (200, [WRONG_PASSWORD])

    response = sign_in(client, "ops@example.org", password)

    assert response.status_code == 429
    assert errors(response) == [LIMIT_MESSAGE]
    assert LIMIT_MESSAGE in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= settings.SIGNIN_LIMIT_WINDOW_SECONDS
    assert "_auth_user_id" not in client.session
    assert not signed_in(client)
    assert list(
        SecurityEvent.objects.values("kind", "user__email", "client_address", "count", "detail")
    ) == [
        {
            "kind": "signin_limited",
            "user__email": "ops@example.org",
            "client_address": OPERATOR,
            "count": 1,
            "detail": {"scope": "account", "via": "admin"},
        }
    ]


def test_admin_and_api_attempts_share_the_address_limit(staff: User, password: str, settings):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 2
    api = Client(REMOTE_ADDR=ATTACKER)
    for i in range(2):
        answer = api.post(
            "/api/v1/auth/token/",
            {"email": f"x{i}@example.org", "password": "guess"},
            content_type="application/json",
        )
        assert answer.status_code == 401

    response = sign_in(browser(ATTACKER), "ops@example.org", password)

    assert (response.status_code, errors(response)) == (429, [LIMIT_MESSAGE])
    assert SecurityEvent.objects.get().detail == {"scope": "address", "via": "admin"}


def test_an_operators_own_browser_is_not_locked_out_by_an_attacker(
    staff: User, password: str, settings
):
    client = browser()
    response = sign_in(client, "ops@example.org", password)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    cookie = response.cookies["relief_admin_device"]
    assert (cookie["httponly"], cookie["secure"], cookie["samesite"], cookie["path"]) == (
        True,
        True,
        "Strict",
        "/admin/",
    )
    assert [uid for uid, _ in signing.loads(cookie.value, salt=signin_limit.DEVICE_SALT)] == [
        str(staff.pk)
    ]
    client.post("/admin/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert not signed_in(client)
    for _ in range(settings.SIGNIN_LIMIT_PER_ACCOUNT + 3):
        sign_in(browser(ATTACKER), "ops@example.org", "guess")

    assert sign_in(client, "ops@example.org", password).status_code == 302
    assert signed_in(client)
    refused = sign_in(browser("192.0.2.8"), "ops@example.org", password)
    assert (refused.status_code, errors(refused)) == (429, [LIMIT_MESSAGE])


def test_staff_without_totp_sign_in_with_the_password(staff: User, password: str):
    client = browser()
    assert sign_in(client, "ops@example.org", password).status_code == 302
    assert signed_in(client)


def test_staff_with_totp_must_give_the_token(staff: User, password: str):
    confirmed_device(staff)
    client = browser()

    response = sign_in(client, "ops@example.org", password)

    assert (response.status_code, errors(response)) == (200, ["Please enter your OTP token."])
    assert "_auth_user_id" not in client.session
    assert not signed_in(client)


def test_staff_with_totp_are_refused_a_wrong_token(staff: User, password: str):
    device = confirmed_device(staff)
    client = browser()
    wrong = code_at(device.bin_key, steps_ahead=10)  # outside the accepted drift

    response = sign_in(client, "ops@example.org", password, otp_token=wrong)

    assert response.status_code == 200
    assert errors(response) == ["Invalid token. Please make sure you have entered it correctly."]
    assert not signed_in(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_staff_with_totp_sign_in_with_password_and_token(staff: User, password: str):
    device = confirmed_device(staff)
    client = browser()

    response = sign_in(client, "ops@example.org", password, otp_token=totp_code(device))

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert signed_in(client)
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_session_from_before_totp_was_confirmed_must_sign_in_again(staff: User):
    client = Client()
    client.force_login(staff)
    assert signed_in(client)

    confirmed_device(staff)

    response = client.get("/admin/")
    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")


def test_totp_enroll_prints_a_uri_an_app_can_use_and_confirms_with_its_code(
    staff: User, password: str, capsys: pytest.CaptureFixture[str]
):
    call_command("totp_enroll", "OPS@example.org")
    out = capsys.readouterr().out
    uri = re.search(r"otpauth://\S+", out)
    assert uri is not None
    parts = urlsplit(uri[0])
    assert (parts.netloc, parts.path) == ("totp", "/Relief%3Aops%40example.org")
    query = parse_qs(parts.query)
    assert {k: v for k, v in query.items() if k != "secret"} == {
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
        "issuer": ["Relief"],
    }
    # What an authenticator app does with the URI: the base32 secret and the clock.
    key = base64.b32decode(query["secret"][0] + "=" * (-len(query["secret"][0]) % 8))
    # Not in force until confirmed: the password alone still signs in.
    assert sign_in(browser(), "ops@example.org", password).status_code == 302

    call_command("totp_enroll", "ops@example.org", confirm=code_at(key))

    device = TOTPDevice.objects.get(user=staff)
    assert (device.confirmed, device.bin_key) == (True, key)
    client = browser()
    response = sign_in(client, "ops@example.org", password)
    assert (response.status_code, errors(response)) == (200, ["Please enter your OTP token."])
    # The next step's code: the one used to confirm cannot be used again.
    response = sign_in(client, "ops@example.org", password, otp_token=code_at(key, 1))
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert signed_in(client)


def test_totp_enroll_refuses_non_staff_and_removes_devices(staff: User, patient: User):
    with pytest.raises(CommandError, match="No staff user"):
        call_command("totp_enroll", "pat@example.org")
    with pytest.raises(CommandError, match="No staff user"):
        call_command("totp_enroll", "nobody@example.org")
    with pytest.raises(CommandError, match="Nothing to confirm"):
        call_command("totp_enroll", "ops@example.org", confirm="123456")
    call_command("totp_enroll", "ops@example.org")
    device = TOTPDevice.objects.get(user=staff)
    with pytest.raises(CommandError, match="does not match"):
        call_command("totp_enroll", "ops@example.org", confirm=code_at(device.bin_key, 10))
    device.refresh_from_db()
    assert device.confirmed is False
    confirmed_device(staff)

    call_command("totp_enroll", "ops@example.org", remove=True)

    assert not TOTPDevice.objects.exists()
    assert not TOTPDevice.objects.filter(user=patient).exists()
