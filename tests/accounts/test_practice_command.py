"""`relief practice create "Name" --admin email`: a practice and its administrator's
invitation, mailed by the worker; clear errors that write nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import Invitation, OutboundMail, Practice, User
from tests.accounts.helpers import sign_in
from tests.factories import PatientFactory
from tests.worker import ROOT, database_env, run_worker_once

PASSPHRASE = "a long and private passphrase"


def _code(output: str) -> str:
    match = re.search(r"Invitation code .*:\n    (\S+)$", output)
    assert match, output
    return match.group(1)


@pytest.mark.django_db(transaction=True)  # the worker sends the mail after the commit
def test_create_makes_the_practice_and_mails_its_administrator_an_invitation() -> None:
    out = StringIO()

    call_command("practice", "create", "  Northside Pain Clinic ", "--admin", "Ada@North.example",
                 "--admin-name", "Ada Admin", stdout=out)  # fmt: skip

    practice = Practice.objects.get()
    invitation = Invitation.objects.get()
    code = _code(out.getvalue())
    assert out.getvalue() == (
        f"Created practice 'Northside Pain Clinic' ({practice.pk}).\n"
        "Invited ada@north.example as its administrator: the invitation mail is queued and "
        "goes out with the worker (relief worker).\n"
        f"Invitation code (works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC; enter "
        f"it in the app under 'I have an invitation'):\n    {code}\n"
    )
    assert practice.name == "Northside Pain Clinic"
    assert (invitation.role, invitation.practice, invitation.invited_by, invitation.physician) == (
        "practice_admin", practice, None, None,
    )  # fmt: skip
    assert (invitation.email, invitation.display_name) == ("ada@north.example", "Ada Admin")

    run_worker_once()
    assert [m.to for m in mail.outbox] == [["ada@north.example"]]
    assert "Relief invites you to join Northside Pain Clinic on Relief as the practice " in (
        mail.outbox[0].body
    )
    assert code in mail.outbox[0].body

    accepted = APIClient().post(
        "/api/v1/invitations/accept/",
        {"code": code, "password": PASSPHRASE, "timezone": "Europe/Berlin"},
        format="json",
    )
    assert accepted.status_code == 201, accepted.content
    admin = User.objects.get(email="ada@north.example")
    assert (admin.role, admin.practice, admin.display_name) == (
        "practice_admin", practice, "Ada Admin",
    )  # fmt: skip
    assert sign_in("ada@north.example", PASSPHRASE)


@pytest.mark.django_db
def test_the_administrators_name_defaults_to_the_emails_local_part() -> None:
    call_command(
        "practice", "create", "Clinic", "--admin", "boss@clinic.example", stdout=StringIO()
    )
    assert Invitation.objects.get().display_name == "boss"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("Clinic", "not-an-email", "--admin: 'not-an-email' is not an email address."),
        ("   ", "a@example.org", "name: The practice needs a name."),
        ("x" * 151, "a@example.org", "name: At most 150 characters."),
        ("Clinic", "Pat@Example.org", "--admin: This email address already has an account."),
    ],
)
def test_a_bad_request_is_a_clear_error_that_creates_nothing(
    name: str, email: str, message: str
) -> None:
    PatientFactory(email="pat@example.org")

    with pytest.raises(CommandError) as raised:
        call_command("practice", "create", name, "--admin", email, stdout=StringIO())

    assert str(raised.value) == f"{message} Nothing was created."
    assert not Practice.objects.exists()
    assert not Invitation.objects.exists()
    assert not OutboundMail.objects.exists()


def _relief(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.update(database_env(), PYTHONPATH=str(ROOT / "backend"), DEBUG="true")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-m", "config.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)  # the command's process sees only committed rows
def test_the_command_as_an_operator_runs_it_on_an_empty_database() -> None:
    assert not User.objects.exists() and not Practice.objects.exists()

    done = _relief("practice", "create", "Riverside Clinic", "--admin", "op@river.example")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Created practice 'Riverside Clinic' (")
    code = _code(done.stdout.rstrip("\n"))
    invitation = Invitation.objects.get()
    assert invitation.practice == Practice.objects.get(name="Riverside Clinic")
    assert invitation.email == "op@river.example"
    assert OutboundMail.objects.get().to == "op@river.example"
    assert (
        APIClient()
        .post(
            "/api/v1/invitations/accept/",
            {"code": code, "password": PASSPHRASE, "timezone": "UTC"},
            format="json",
        )
        .status_code
        == 201
    )

    refused = _relief("practice", "create", "Again", "--admin", "op@river.example")

    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "CommandError: --admin: This email address already has an account. Nothing was created."
    )
    assert Practice.objects.count() == 1


@pytest.mark.django_db
@override_settings(PUBLIC_URL="https://relief.northside.example")
def test_with_a_public_url_the_command_prints_and_mails_the_sign_up_link() -> None:
    out = StringIO()
    call_command("practice", "create", "Clinic", "--admin", "boss@clinic.example", stdout=out)
    code = re.search(r"\n    (\S+)\n", out.getvalue()).group(1)  # type: ignore[union-attr]
    link = f"https://relief.northside.example/#/accept?code={code}"
    assert out.getvalue().endswith(f"\n    {code}\nSign-up link: {link}\n")
    assert link in OutboundMail.objects.get().body


@pytest.mark.django_db(transaction=True)  # the worker sends the mail after the commit
def test_create_in_spanish_mails_the_administrator_in_spanish_and_signs_them_up_in_it() -> None:
    out = StringIO()

    call_command("practice", "create", "Clínica Norte", "--admin", "ada@north.example",
                 "--admin-name", "Ada", "--language", "es", stdout=out)  # fmt: skip
    run_worker_once()

    assert Invitation.objects.get().language == "es"
    [sent] = mail.outbox
    assert sent.subject == "Únase a Clínica Norte en Relief"
    assert sent.body.startswith(
        "Hola, Ada:\n\nRelief le invita a unirse a Clínica Norte en Relief como administrador "
        "del consultorio. "
    )
    accepted = APIClient().post(
        "/api/v1/invitations/accept/",
        {"code": _code(out.getvalue()), "password": PASSPHRASE, "timezone": "America/Chicago"},
        format="json",
    )
    assert (accepted.status_code, accepted.json()["language"]) == (201, "es")


@pytest.mark.django_db
def test_a_language_relief_does_not_speak_is_refused_and_nothing_is_created() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'fr'"):
        call_command("practice", "create", "Clinique", "--admin", "a@b.example",
                     "--language", "fr")  # fmt: skip
    assert not Practice.objects.exists()
