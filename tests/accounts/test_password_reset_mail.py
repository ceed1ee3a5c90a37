"""The reset mail through a real SMTP server (aiosmtpd on a free port): read back, its link
followed, the password set, and the "your password was changed" notice read back too.

These tests commit (``transaction=True``): the reset mail is queued after the answer has
been sent, and the task worker (``tests.worker.run_worker_once``, the real ``relief worker
--once``) sends it.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import OutboundMail, PasswordReset, User
from tests.accounts.helpers import sign_in
from tests.net import free_port
from tests.worker import run_worker_once

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a brand new passphrase for spring"


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self) -> list[Message]:
        return [email.message_from_bytes(m.content) for m in self.messages]


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_TIMEOUT = 2.0
    settings.PUBLIC_URL = "https://relief.example.org"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


def test_the_reset_mail_arrives_and_its_link_sets_the_password(
    inbox: Inbox, patient: User, password: str
):
    response = APIClient().post(
        "/api/v1/auth/password/reset/", {"email": "pat@example.org"}, format="json"
    )
    assert response.status_code == 202
    assert inbox.messages == []  # queued, not sent by the request
    run_worker_once()

    [message] = inbox.parsed()
    assert inbox.messages[0].rcpt_tos == ["pat@example.org"]
    assert (message["To"], message["Subject"]) == ("pat@example.org", "Reset your Relief password")
    body = message.get_payload(decode=True).decode()
    [link] = re.findall(r"https://\S+", body)
    # The mail is sent and its body (the link) no longer kept.
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.body) == ("sent", "")
    assert PasswordReset.objects.get().mail_id == mail.pk

    # Follow the link: the web app's page, whose route (after #) holds the token.
    url = urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "relief.example.org", "/")
    page = Client().get(url.path)
    assert page.status_code == 200
    assert b'<script type="module"' in b"".join(page.streaming_content)
    route, _, query = url.fragment.partition("?")
    assert route == "/reset"
    [token] = parse_qs(query)["token"]

    confirmed = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"token": token, "password": NEW_PASSWORD},
        format="json",
    )

    assert (confirmed.status_code, confirmed.json()) == (200, {"email": "pat@example.org"})
    assert sign_in("pat@example.org", NEW_PASSWORD)["user"]["email"] == "pat@example.org"
    run_worker_once()
    _, notice = inbox.parsed()
    assert (notice["To"], notice["Subject"]) == (
        "pat@example.org",
        "Your Relief password was changed",
    )
    text = notice.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert "changed with a reset link on " in text
    assert "\n    https://relief.example.org/#/reset\n" in text
    assert token not in str(list(OutboundMail.objects.values()))


def test_no_mail_for_an_address_without_an_account(inbox: Inbox, db: None):
    response = APIClient().post(
        "/api/v1/auth/password/reset/", {"email": "ghost@example.org"}, format="json"
    )
    assert response.status_code == 202
    run_worker_once()
    assert inbox.messages == []
    assert not OutboundMail.objects.exists()


def test_with_the_mail_server_down_the_answer_is_still_202(
    inbox: Inbox, patient: User, settings: Any
):
    """Nothing listens on the port: the answer was sent before the mail was tried; the
    worker's delivery fails and the mail waits for its retry."""
    settings.EMAIL_PORT = free_port()

    response = APIClient().post(
        "/api/v1/auth/password/reset/", {"email": "pat@example.org"}, format="json"
    )
    run_worker_once()

    assert response.status_code == 202
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == ("failed", 1)
    assert "#/reset?token=" in mail.body  # kept for the retry, until sent or expired
