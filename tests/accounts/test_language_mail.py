"""Mail speaks its recipient's language (#18), whatever the language of the request that
caused it: an invitation in the language its physician chose for the patient, a password
reset and its notice in the account's. Read back from a real SMTP server (aiosmtpd on a
free port), sent by the real task worker after the commit.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD
from tests.worker import Inbox, run_worker_once, smtp_inbox

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a brand new passphrase for spring"


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    with smtp_inbox() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5.0
        settings.PUBLIC_URL = "https://relief.example.org"
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        yield handler


def received(inbox: Inbox) -> list[tuple[str, str, str]]:
    """Each mail as (to, subject, body), decoded as a mail reader would."""
    out = []
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_content().replace("\r\n", "\n")
        out.append((str(message["To"]), str(message["Subject"]), body))
    return out


def _client(user: User, language: str) -> APIClient:
    client = APIClient()
    access = sign_in(user.email, PASSWORD)["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_ACCEPT_LANGUAGE=language)
    return client


def test_an_invitation_in_spanish_from_an_english_speaking_physician(inbox: Inbox, physician: User):
    response = _client(physician, "en").post(
        "/api/v1/invitations/",
        {"email": "nia@example.org", "display_name": "Nia Nueva", "language": "es"},
        format="json",
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    run_worker_once()

    [(to, subject, body)] = received(inbox)
    assert (to, subject) == ("nia@example.org", "Dr. Hope le invita a Relief")
    assert body.startswith(
        "Hola, Nia Nueva:\n\nDr. Hope usa Relief para saber cómo se siente usted después de "
        "sus inyecciones en puntos gatillo. Abra este enlace para crear su contraseña:\n\n"
        f"    https://relief.example.org/#/accept?code={code}\n\n"
        "o abra la aplicación Relief, elija «Tengo un código de invitación» e ingrese este código:\n\n"
        f"    {code}\n\nEl código funciona una sola vez y vence el "
    )
    assert re.search(r"vence el \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n?$", body)


def test_without_a_chosen_language_the_invitation_goes_in_the_physicians(
    inbox: Inbox, physician: User
):
    User.objects.filter(pk=physician.pk).update(language="es")

    response = _client(physician, "en").post(
        "/api/v1/invitations/",
        {"email": "nia@example.org", "display_name": "Nia Nueva"},
        format="json",
    )
    assert response.status_code == 201, response.content
    run_worker_once()

    [(_, subject, body)] = received(inbox)
    assert subject == "Dr. Hope le invita a Relief"
    assert body.startswith("Hola, Nia Nueva:\n\n")
    assert response.json()["language"] is None


def test_a_practice_invitation_in_spanish(inbox: Inbox, physician: User):
    from tests.factories import UserFactory

    admin = UserFactory(
        email="admin@example.org",
        display_name="Ada Admin",
        role="practice_admin",
        practice=physician.practice,
    )
    assert physician.practice is not None
    response = _client(admin, "en").post(
        "/api/v1/practice/invitations/",
        {
            "email": "nurse@example.org",
            "display_name": "Nora",
            "role": "staff",
            "language": "es",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["language"] == "es"
    run_worker_once()

    [(_, subject, body)] = received(inbox)
    practice = physician.practice.name
    assert subject == f"Únase a {practice} en Relief"
    assert body.startswith(
        f"Hola, Nora:\n\nAda Admin le invita a unirse a {practice} en Relief como miembro "
        "del personal. Abra este enlace"
    )


def test_the_reset_mail_and_its_notice_speak_the_accounts_language(inbox: Inbox, patient: User):
    """Asked for in English, written in the account's Spanish."""
    User.objects.filter(pk=patient.pk).update(language="es")

    response = APIClient().post(
        "/api/v1/auth/password/reset/",
        {"email": patient.email},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response["Content-Language"]) == (202, "en")
    run_worker_once()

    [(to, subject, body)] = received(inbox)
    [link] = re.findall(r"https://\S+", body)
    assert (to, subject) == (patient.email, "Restablezca su contraseña de Relief")
    assert body.strip() == (
        "Hola, Pat Patient:\n\nAlguien pidió restablecer la contraseña de su cuenta de Relief; "
        "esperamos que haya sido usted. Abra este enlace antes de 30 minutos para elegir una "
        f"contraseña nueva:\n\n    {link}\n\nEl enlace funciona una sola vez. Si usted no lo "
        "pidió, puede ignorar este correo: su contraseña seguirá igual."
    )

    [token] = re.findall(r"token=(\S+)", link)
    confirmed = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"token": token, "password": NEW_PASSWORD},
        format="json",
    )
    assert confirmed.status_code == 200
    run_worker_once()

    _, (_, notice_subject, notice) = received(inbox)
    assert notice_subject == "Se cambió su contraseña de Relief"
    assert re.fullmatch(
        r"Hola, Pat Patient:\n\nLa contraseña de su cuenta de Relief se cambió con un enlace "
        r"para restablecerla el \d{4}-\d\d-\d\d a las \d\d:\d\d UTC\. Se cerró la sesión en "
        r"todos los dispositivos conectados a la cuenta\.\n\nSi fue usted, no tiene que hacer "
        r"nada más\. Si no fue usted, elija una contraseña nueva ahora en\n\n    "
        r"https://relief\.example\.org/#/reset\n\ny avísele a su clínica\.\n?",
        notice,
    )


def test_an_english_account_gets_english_mail_from_a_spanish_request(inbox: Inbox, patient: User):
    response = APIClient().post(
        "/api/v1/auth/password/reset/",
        {"email": patient.email},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert (response.status_code, response["Content-Language"]) == (202, "es")
    assert response.json()["detail"].startswith("Si existe una cuenta con ese correo")
    run_worker_once()

    [(_, subject, body)] = received(inbox)
    assert subject == "Reset your Relief password"
    assert body.startswith("Hello Pat Patient,\n\nSomeone asked to reset the password")
