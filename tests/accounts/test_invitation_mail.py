"""Invitation mail goes out through the task worker after the commit, to a real SMTP server
(aiosmtpd on a free port), and a mail server that is down or silent is never a 500, never
holds up the request and never loses the code.

These tests commit (``transaction=True``): the worker (``tests.worker.run_worker_once``, the
real ``relief worker --once``) sees a mail's task only after the commit.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.invitation_codes import qr_svg_data_uri
from accounts.mail import RETRY_DELAYS
from accounts.models import CareLink, Invitation, OutboundMail, User
from tests.net import free_port
from tests.worker import Inbox, run_worker_once

pytestmark = pytest.mark.django_db(transaction=True)

INVITE = {"email": "new.patient@example.org", "display_name": "Nia New"}


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[Inbox, int]]:
    """Relief's mail settings pointed at a free port (nothing listens there yet)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_TIMEOUT = 2.0
    yield Inbox(), port


def _start(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def physician_api(physician: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(physician)
    return client


def _expected_body(body: dict[str, Any], invitation: Invitation) -> dict[str, Any]:
    mail = invitation.mail
    return {
        "id": str(invitation.id),
        "email": "new.patient@example.org",
        "display_name": "Nia New",
        "language": None,
        "expires_at": invitation.expires_at.isoformat().replace("+00:00", "Z"),
        "code": body["code"],
        "accept_url": f"http://testserver/#/accept?code={body['code']}",
        "qr_svg": qr_svg_data_uri(body["accept_url"]),  # checked in test_invitation_codes
        "mail_status": mail.status,
        "mail_next_attempt_at": mail.next_attempt_at.isoformat().replace("+00:00", "Z")
        if mail.next_attempt_at
        else None,
    }


def test_the_mail_goes_out_after_the_commit_and_its_body_is_not_kept(
    smtp: tuple[Inbox, int], physician_api: APIClient
):
    inbox, port = smtp
    controller = _start(inbox, port)
    try:
        response = physician_api.post("/api/v1/invitations/", INVITE, format="json")
        # The request only queued the mail; the worker sends it.
        assert inbox.messages == []
        run_worker_once()
    finally:
        controller.stop()

    assert response.status_code == 201
    body = response.json()
    invitation = Invitation.objects.select_related("mail").get()
    assert body["mail_status"] == "pending"
    assert body == _expected_body(body, Invitation.objects.select_related("mail").get()) | {
        "mail_status": "pending",
        "mail_next_attempt_at": body["mail_next_attempt_at"],
    }
    [message] = inbox.messages
    assert message.rcpt_tos == ["new.patient@example.org"]
    assert f"\r\n    {body['code']}\r\n" in message.content.decode()
    assert body["accept_url"] in message.content.decode()
    mail = invitation.mail
    assert (mail.status, mail.attempts, mail.body, mail.last_error) == ("sent", 1, "", "")
    assert mail.sent_at is not None
    # Once sent, the code is nowhere in the database (only its hash).
    stored = str(list(Invitation.objects.values())) + str(list(OutboundMail.objects.values()))
    assert body["code"] not in stored
    listed = physician_api.get("/api/v1/invitations/").json()
    assert listed["results"] == [
        {
            "id": str(invitation.id),
            "email": "new.patient@example.org",
            "display_name": "Nia New",
            "language": None,
            "created_at": invitation.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": invitation.expires_at.isoformat().replace("+00:00", "Z"),
            "accepted_at": None,
            "mail_status": "sent",
            "mail_next_attempt_at": None,
        }
    ]


def test_with_the_mail_server_down_the_invitation_is_created_and_the_code_works(
    smtp: tuple[Inbox, int], physician_api: APIClient, physician: User
):
    """Nothing listens on the port: 201, the worker's delivery fails and is queued again for
    later; the list says "failed" with the next attempt, and the code in the answer (handed
    over in person) creates the account. The retry, when due, sends the mail and blanks its
    body."""
    inbox, port = smtp

    response = physician_api.post("/api/v1/invitations/", INVITE, format="json")
    run_worker_once()

    assert response.status_code == 201
    body = response.json()
    invitation = Invitation.objects.select_related("mail").get()
    mail = invitation.mail
    listed = physician_api.get("/api/v1/invitations/").json()["results"]
    assert [(r["mail_status"], r["mail_next_attempt_at"]) for r in listed] == [
        ("failed", mail.next_attempt_at.isoformat().replace("+00:00", "Z"))
    ]
    assert mail.attempts == 1
    assert mail.next_attempt_at == mail.last_attempt_at + RETRY_DELAYS[0]
    assert mail.last_error.startswith("ConnectionRefusedError")
    assert body["code"] in mail.body  # kept for the retry, and only until it is sent

    accepted = APIClient().post(
        "/api/v1/invitations/accept/",
        {"code": body["code"], "password": "a long and private passphrase", "timezone": "UTC"},
        format="json",
    )
    assert accepted.status_code == 201
    assert CareLink.objects.filter(
        physician=physician, patient__email="new.patient@example.org"
    ).exists()

    # The server is back. Before the retry is due, the worker leaves the mail alone.
    controller = _start(inbox, port)
    try:
        run_worker_once()
        assert inbox.messages == []
        # A minute has passed: the retry the failed delivery enqueued is due.
        from django_tasks_db.models import DBTaskResult

        OutboundMail.objects.filter(pk=mail.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        DBTaskResult.objects.filter(status="READY").update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
        run_worker_once()
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in inbox.messages] == [["new.patient@example.org"]]
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.body, mail.next_attempt_at) == ("sent", 2, "", None)


def test_a_silent_mail_server_costs_the_request_nothing_and_a_delivery_its_timeout(
    smtp: tuple[Inbox, int], physician_api: APIClient, settings: Any
):
    """A server that takes the connection and never answers: the request never talks to it
    (201, "pending"); the worker's delivery gives up within EMAIL_TIMEOUT (the times are
    printed, not asserted) and queues a retry."""
    _inbox, port = smtp
    settings.EMAIL_TIMEOUT = 1.0
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", port))
        silent.listen(8)  # never accepted: the kernel completes the handshake, no banner
        started = time.monotonic()
        response = physician_api.post("/api/v1/invitations/", INVITE, format="json")
        elapsed = time.monotonic() - started
        started = time.monotonic()
        run_worker_once()
        delivery = time.monotonic() - started
    print(f"silent SMTP server: request {elapsed:.2f} s, delivery {delivery:.2f} s")

    assert response.status_code == 201
    assert response.json()["mail_status"] == "pending"
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == ("failed", 1)
    assert mail.last_error.startswith(("TimeoutError", "SMTPServerDisconnected"))
    assert Invitation.objects.filter(mail=mail).exists()


def test_the_retries_end_and_the_body_is_blanked(smtp: tuple[Inbox, int], physician_api: APIClient):
    physician_api.post("/api/v1/invitations/", INVITE, format="json")
    mail = OutboundMail.objects.get()
    # Every scheduled retry has failed but this last one.
    OutboundMail.objects.filter(pk=mail.pk).update(
        attempts=len(RETRY_DELAYS), next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    call_command("send_pending_mail", stdout=(out := StringIO()))

    assert out.getvalue() == "0 sent, 1 failed\n"
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.body, mail.next_attempt_at) == (
        "failed",
        len(RETRY_DELAYS) + 1,
        "",
        None,
    )
    listed = physician_api.get("/api/v1/invitations/").json()["results"]
    assert [(r["mail_status"], r["mail_next_attempt_at"]) for r in listed] == [("failed", None)]


def test_a_mail_whose_code_expired_is_given_up_without_sending(
    smtp: tuple[Inbox, int], physician_api: APIClient
):
    inbox, port = smtp
    physician_api.post("/api/v1/invitations/", INVITE, format="json")
    past = timezone.now() - timedelta(seconds=1)
    OutboundMail.objects.update(next_attempt_at=past, discard_after=past)
    controller = _start(inbox, port)
    try:
        call_command("send_pending_mail", stdout=(out := StringIO()))
    finally:
        controller.stop()

    assert out.getvalue() == "0 sent, 1 failed\n"
    assert inbox.messages == []
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.body, mail.next_attempt_at, mail.last_error) == (
        "failed",
        "",
        None,
        "Expired before it could be sent.",
    )


def test_a_mail_is_sent_once_when_two_senders_reach_it(
    smtp: tuple[Inbox, int], physician_api: APIClient
):
    """A delivery claims the mail first; a second sender finds it taken and leaves it."""
    inbox, port = smtp
    physician_api.post("/api/v1/invitations/", INVITE, format="json")
    mail = OutboundMail.objects.get()
    OutboundMail.objects.filter(pk=mail.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    from accounts.mail import mail_deliver

    controller = _start(inbox, port)
    try:
        first = mail_deliver(mail_id=mail.pk)
        second = mail_deliver(mail_id=mail.pk)
    finally:
        controller.stop()

    assert (first, second) == ("sent", "sent")
    assert len(inbox.messages) == 1
