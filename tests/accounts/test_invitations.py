from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.invitation_codes import qr_svg_data_uri
from accounts.models import CareLink, Invitation, OutboundMail, User
from tests.accounts.helpers import sign_in
from tests.worker import run_worker_once

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/invitations/accept/"


def invite(client: APIClient, email: str = "new.patient@example.org") -> dict:
    response = client.post(
        "/api/v1/invitations/", {"email": email, "display_name": "Nia New"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def accept(code: str, password: str = "a long and private passphrase", tz: str = "Europe/Paris"):
    return APIClient().post(
        ACCEPT, {"code": code, "password": password, "timezone": tz}, format="json"
    )


@pytest.mark.django_db(transaction=True)  # the worker sends the mail after the commit
def test_physician_invites_and_the_code_is_stored_hashed_and_emailed(
    physician: User, physician_client: APIClient
):
    body = invite(physician_client)
    queued = OutboundMail.objects.get()
    run_worker_once()

    invitation = Invitation.objects.get()
    assert body == {
        "id": str(invitation.id),
        "email": "new.patient@example.org",
        "display_name": "Nia New",
        "language": None,
        "expires_at": invitation.expires_at.isoformat().replace("+00:00", "Z"),
        "code": body["code"],
        "accept_url": f"http://testserver/#/accept?code={body['code']}",
        "qr_svg": qr_svg_data_uri(body["accept_url"]),  # checked in test_invitation_codes
        "mail_status": "pending",
        "mail_next_attempt_at": queued.next_attempt_at.isoformat().replace("+00:00", "Z"),
    }
    assert OutboundMail.objects.get().status == "sent"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    # stored: the hash of the code's 16 symbols, without the dashes
    canonical = body["code"].replace("-", "")
    assert invitation.code_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert body["code"] not in str(Invitation.objects.values().get())
    assert body["code"] not in str(OutboundMail.objects.values().get())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.patient@example.org"]
    assert body["code"] in mail.outbox[0].body
    assert body["accept_url"] in mail.outbox[0].body  # the mail carries the link


def test_the_mail_waits_for_the_commit(physician_client: APIClient):
    """Inside a transaction that has not committed, nothing is sent: the invitation is
    answered with mail_status "pending" and its delivery task waits in the same transaction
    (a rolled-back invitation never sends a code)."""
    body = invite(physician_client)

    queued = OutboundMail.objects.get()
    assert (body["mail_status"], body["mail_next_attempt_at"]) == (
        "pending",
        queued.next_attempt_at.isoformat().replace("+00:00", "Z"),
    )
    assert mail.outbox == []
    assert (queued.status, queued.attempts) == ("pending", 0)


def test_accepting_creates_the_patient_and_the_care_link(
    physician: User, physician_client: APIClient
):
    code = invite(physician_client)["code"]

    response = accept(code)

    assert response.status_code == 201
    user = User.objects.get(email="new.patient@example.org")
    assert response.json() == {
        "id": str(user.id),
        "email": "new.patient@example.org",
        "display_name": "Nia New",
        "role": "patient",
        "timezone": "Europe/Paris",
        "language": "en",
    }
    assert CareLink.objects.filter(physician=physician, patient=user).exists()
    assert sign_in("new.patient@example.org", "a long and private passphrase")
    patients = physician_client.get("/api/v1/patients/").json()["results"]
    assert [p["id"] for p in patients] == [str(user.id)]


def test_a_code_works_only_once(physician_client: APIClient):
    code = invite(physician_client)["code"]
    assert accept(code).status_code == 201
    again = accept(code, password="another long passphrase")
    assert again.status_code == 400
    assert again.json() == {
        "code": "invalid_code",
        "detail": "This code is unknown, used or expired.",
        "fields": {"code": ["This code is unknown, used or expired."]},
    }
    assert User.objects.filter(email="new.patient@example.org").count() == 1


def test_an_expired_code_is_refused(physician_client: APIClient):
    code = invite(physician_client)["code"]
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert accept(code).status_code == 400
    assert not User.objects.filter(email="new.patient@example.org").exists()


def test_an_unknown_code_is_refused(db: None):
    assert accept("made-up-code").json()["fields"] == {
        "code": ["This code is unknown, used or expired."]
    }


@pytest.mark.parametrize(
    ("password", "tz", "field"),
    [
        ("short", "Europe/Paris", "password"),
        ("a long and private passphrase", "Mars/Base", "timezone"),
    ],
)
def test_weak_password_or_unknown_timezone_is_400_and_keeps_the_code(
    physician_client: APIClient, password: str, tz: str, field: str
):
    code = invite(physician_client)["code"]
    response = accept(code, password=password, tz=tz)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Invitation.objects.get().accepted_at is None
    assert accept(code).status_code == 201


def test_patients_cannot_invite(patient_client: APIClient):
    response = patient_client.post(
        "/api/v1/invitations/", {"email": "x@example.org", "display_name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_invitation_for_an_existing_account_is_refused_at_accept(
    patient: User, physician_client: APIClient
):
    code = invite(physician_client, email="pat@example.org")["code"]
    response = accept(code)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["code"]
    assert not CareLink.objects.exists()
