"""EMAIL_URL is the one mail setting; unset under DEBUG, mail becomes files in var/mail/."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage, get_connection

from tests.config.test_settings import GOOD_JWT_KEY, GOOD_SECRET, relief

PRINT = (
    "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k, None)"
    " for k in ['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER',"
    " 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL']}))"
)
PRODUCTION = {"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT_KEY, "DEBUG": "false"}


def email_settings(**env: str) -> dict[str, Any]:
    result = relief("shell", "-c", PRINT, **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://relief%40clinic.example:p%40ss%2Fw@smtp.clinic.example:587",
            ("smtp.clinic.example", 587, "relief@clinic.example", "p@ss/w", True, False),
        ),
        ("smtp+ssl://smtp.clinic.example", ("smtp.clinic.example", 465, "", "", False, True)),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, "", "", False, False)),
    ],
)
def test_email_url_sets_the_smtp_connection(url: str, expected: tuple[Any, ...]):
    got = email_settings(EMAIL_URL=url)
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        got["EMAIL_HOST"],
        got["EMAIL_PORT"],
        got["EMAIL_HOST_USER"],
        got["EMAIL_HOST_PASSWORD"],
        got["EMAIL_USE_TLS"],
        got["EMAIL_USE_SSL"],
    ) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("consolemail://", "EMAIL_URL must start with smtp://, smtp+tls:// or smtp+ssl://"),
        ("http://mail.example", "EMAIL_URL is not a mail URL"),
        ("smtp://mail.example:25?verify=no", "EMAIL_URL has options Relief does not know: VERIFY"),
    ],
)
def test_a_wrong_email_url_stops_start_up_naming_it(url: str, message: str):
    result = relief("check", **PRODUCTION, EMAIL_URL=url)
    assert result.returncode != 0
    assert message in result.stderr


def test_unset_under_debug_mail_is_a_file_in_var_mail_and_a_console_line(
    settings: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    settings.EMAIL_DEV_DIR = tmp_path / "mail"
    backend = get_connection("core.mail_backends.DevMailBackend")

    sent = EmailMessage(
        subject="Reset your Relief password",
        body="Open this link: http://127.0.0.1:8000/#/reset?token=abc",
        from_email="Relief <no-reply@relief.example>",
        to=["nia@example.org"],
        connection=backend,
    ).send()

    assert sent == 1
    [path] = (tmp_path / "mail").iterdir()
    assert path.name.endswith("-reset-your-relief-password.eml")
    parsed = message_from_bytes(path.read_bytes())
    assert (parsed["To"], parsed["Subject"]) == ("nia@example.org", "Reset your Relief password")
    assert "token=abc" in parsed.get_payload(decode=True).decode()
    assert capsys.readouterr().out == (
        f"[mail] to nia@example.org: 'Reset your Relief password' -> {path}\n"
    )


def test_debug_without_email_url_picks_the_file_backend():
    result = relief("shell", "-c", PRINT, DEBUG="true")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["EMAIL_BACKEND"] == "core.mail_backends.DevMailBackend"
