"""Password rules (NIST SP 800-63B-4) on every path that sets a password: invitation accept,
the admin's add-user and change-password forms, createsuperuser and changepassword."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import CareLink, Invitation, User
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/invitations/accept/"
SHORT = (
    "This password is too short: use at least 15 characters. A few words in a row make a good one."
)
BLANK = "This password is only spaces or invisible characters."
PERSONAL = "This password contains your email address or your name."
SERVICE = "This password is built from the service's name."
REPEATS = (
    "This password repeats a shorter one: use at least 15 characters that do not repeat a pattern."
)
COMMON = "This password is too common."
TOO_LONG = "This password is too long: at most 128 characters."
SIMILAR_EMAIL = "The password is too similar to the email."
SIMILAR_NAME = "The password is too similar to the display name."

# Invited as "Nia New" <new.patient@example.org>.
BAD_PASSWORDS = [
    pytest.param(" " * 8, [BLANK, SHORT], id="eight-spaces"),
    pytest.param("\u00a0" * 8, [BLANK, SHORT], id="eight-nbsp"),
    pytest.param("\u00a0" * 20, [BLANK, REPEATS], id="twenty-nbsp"),
    pytest.param("\u3000" * 20, [BLANK, REPEATS], id="twenty-ideographic-spaces"),
    pytest.param(
        "\u2003\u200b\ufeff\t\u3000\u00a0\u2009\u202f\u205f\u2028\u2029\u200e\u200f\u2060\u180e\u0085",
        [BLANK],
        id="sixteen-kinds-of-space-and-invisible",
    ),
    pytest.param("Nia New", [SHORT, PERSONAL, SIMILAR_NAME], id="display-name"),
    pytest.param("new.patient", [SHORT, PERSONAL, SIMILAR_EMAIL], id="email-local-part"),
    pytest.param("new.patient@example.org", [PERSONAL, SIMILAR_EMAIL], id="email"),
    pytest.param("NIA-NEW and a few more words", [PERSONAL], id="contains-display-name"),
    pytest.param(
        "\uff4e\uff45\uff57\uff0e\uff50\uff41\uff54\uff49\uff45\uff4e\uff54 forever and ever",
        [PERSONAL],
        id="full-width-local-part",
    ),
    pytest.param("relief-relief-2026", [SERVICE], id="service-name"),
    pytest.param("abcabcabcabcabcabc", [REPEATS], id="short-pattern-repeated"),
    pytest.param("1q2w3e4r5t6y7u8i9o0p", [COMMON], id="common-password"),
    pytest.param("x7" * 65, [TOO_LONG], id="130-characters"),
    # 10 code points typed, 180 after NFKC: the length is counted after normalisation.
    pytest.param("\ufdfa" * 10, [TOO_LONG], id="nfkc-expands-past-the-maximum"),
]


def invite(client: APIClient) -> str:
    response = client.post(
        "/api/v1/invitations/",
        {"email": "new.patient@example.org", "display_name": "Nia New"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["code"]


def accept(code: str, password: str):  # type: ignore[no-untyped-def]
    return APIClient().post(
        ACCEPT, {"code": code, "password": password, "timezone": "Europe/Paris"}, format="json"
    )


@pytest.mark.parametrize(("password", "messages"), BAD_PASSWORDS)
def test_a_weak_password_is_refused_at_accept_and_the_code_stays_usable(
    physician_client: APIClient, password: str, messages: list[str]
):
    code = invite(physician_client)

    response = accept(code, password)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input: password.",
        "fields": {"password": messages},
    }
    assert not User.objects.filter(email="new.patient@example.org").exists()
    assert not CareLink.objects.exists()
    invitation = Invitation.objects.get()
    assert (invitation.accepted_at, invitation.patient) == (None, None)
    # The code was not spent: the patient can choose a better password with it.
    assert accept(code, "a long and private passphrase").status_code == 201


@pytest.mark.parametrize(
    "password",
    [
        "a long and private passphrase",
        "correct horse battery staple",
        # Fifteen code points exactly, letters and spaces of another script.
        "ночь улица фонарь",
        # A name that is too short to look for (two letters) does not forbid its letters.
        "relief comes slowly after day three",
    ],
)
def test_a_good_password_is_accepted(physician_client: APIClient, password: str):
    code = invite(physician_client)

    response = accept(code, password)

    assert response.status_code == 201, response.content
    assert sign_in("new.patient@example.org", password)["user"]["email"] == (
        "new.patient@example.org"
    )


def _superuser() -> Client:
    admin = User.objects.create_superuser("ops@example.org", PASSWORD, display_name="Olga Operator")
    client = Client()
    client.force_login(admin)
    return client


def test_admin_add_user_form_checks_the_password_against_the_new_user():
    client = _superuser()
    form = {
        "email": "dana.doctor@example.org",
        "display_name": "Dana Doctor",
        "role": "physician",
        "timezone": "Europe/Berlin",
        "usable_password": "true",
    }

    weak = client.post(
        "/admin/accounts/user/add/",
        {**form, "password1": "dana.doctor 2026 x", "password2": "dana.doctor 2026 x"},
    )

    assert weak.status_code == 200
    assert weak.context["adminform"].form.errors == {"password2": [PERSONAL, SIMILAR_NAME]}
    assert not User.objects.filter(email="dana.doctor@example.org").exists()

    strong = client.post(
        "/admin/accounts/user/add/",
        {**form, "password1": "lantern orbit tangerine", "password2": "lantern orbit tangerine"},
    )
    assert strong.status_code == 302
    assert User.objects.get(email="dana.doctor@example.org").check_password(
        "lantern orbit tangerine"
    )


def test_admin_change_password_form_checks_the_password_against_the_user(patient: User):
    client = _superuser()
    url = f"/admin/accounts/user/{patient.pk}/password/"

    weak = client.post(url, {"password1": "\u00a0" * 16, "password2": "\u00a0" * 16})

    assert weak.status_code == 200
    assert weak.context["form"].errors == {"password2": [BLANK, REPEATS]}
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)

    personal = client.post(
        url, {"password1": "Pat Patient 12345", "password2": "Pat Patient 12345"}
    )
    assert personal.context["form"].errors == {"password2": [PERSONAL, SIMILAR_NAME]}

    strong = client.post(
        url,
        {"password1": "a new and private passphrase", "password2": "a new and private passphrase"},
    )
    assert strong.status_code == 302
    patient.refresh_from_db()
    assert patient.check_password("a new and private passphrase")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", SHORT),
        ("ops.admin-and-more", f"{PERSONAL} {SIMILAR_EMAIL}"),
        (" " * 20, f"{BLANK} {REPEATS}"),
    ],
)
def test_createsuperuser_without_input_checks_the_password(monkeypatch, password, message):
    """Django's own command takes DJANGO_SUPERUSER_PASSWORD unchecked with --noinput."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)

    with pytest.raises(CommandError) as refused:
        call_command(
            "createsuperuser",
            interactive=False,
            email="ops.admin@example.org",
            display_name="Ops Admin",
            role="physician",
            stdout=StringIO(),
        )

    assert str(refused.value) == f"DJANGO_SUPERUSER_PASSWORD: {message}"
    assert not User.objects.exists()

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "lantern orbit tangerine")
    call_command(
        "createsuperuser",
        interactive=False,
        email="ops.admin@example.org",
        display_name="Ops Admin",
        role="physician",
        stdout=StringIO(),
    )
    admin = User.objects.get()
    assert (admin.email, admin.is_superuser) == ("ops.admin@example.org", True)
    assert admin.check_password("lantern orbit tangerine")


def test_createsuperuser_interactive_checks_the_password_against_the_new_user(monkeypatch):
    """The prompts are answered as a person would: a password containing the email first
    (refused, and the bypass offer declined), then a good one."""
    from django.contrib.auth.management.commands import createsuperuser as django_command

    typed = iter(
        [
            "ops.admin-and-more",
            "ops.admin-and-more",
            "lantern orbit tangerine",
            "lantern orbit tangerine",
        ]
    )
    answers = iter(["ops.admin@example.org", "Ops Admin", "physician", "n"])
    monkeypatch.setattr(django_command.getpass, "getpass", lambda prompt="": next(typed))
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))

    class Tty(StringIO):
        def isatty(self) -> bool:
            return True

    err = StringIO()
    call_command("createsuperuser", interactive=True, stdin=Tty(), stdout=StringIO(), stderr=err)

    assert PERSONAL in err.getvalue().splitlines()
    admin = User.objects.get()
    assert admin.email == "ops.admin@example.org"
    assert admin.check_password("lantern orbit tangerine")


def test_changepassword_checks_the_password_against_the_user(patient: User, monkeypatch):
    typed = iter(["Pat Patient rocks", "Pat Patient rocks"] + ["a new and private passphrase"] * 2)
    from django.contrib.auth.management.commands import changepassword

    monkeypatch.setattr(changepassword.getpass, "getpass", lambda prompt="": next(typed))
    err = StringIO()
    call_command("changepassword", patient.email, stdout=StringIO(), stderr=err)

    assert PERSONAL in err.getvalue().splitlines()
    patient.refresh_from_db()
    assert patient.check_password("a new and private passphrase")
