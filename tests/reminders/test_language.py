"""Reminders speak the patient's language (#18): the push notification (the real protocol,
against the push service the tests run: tests/push/push_service.py) and the mail (sent by the
real worker to a real SMTP server)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone, translation

from accounts.models import User
from tests.push.push_service import PushService, start_push_service, use_vapid_key
from tests.reminders.helpers import local, tick, visit_planned
from tests.worker import Inbox, run_worker_once

BERLIN = "Europe/Berlin"


@pytest.fixture
def push_service(settings: Any) -> Iterator[PushService]:
    use_vapid_key(settings, ec.generate_private_key(ec.SECP256R1()))
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def spanish_patient(patient: User) -> User:
    User.objects.filter(pk=patient.pk).update(language="es")
    patient.refresh_from_db()
    return patient


@pytest.mark.django_db
def test_a_spanish_patients_phone_gets_the_reminder_in_spanish(
    physician: User, spanish_patient: User, push_service: PushService, client_for: Any
) -> None:
    phone = push_service.phone("phone")
    subscribed = client_for(spanish_patient).post(
        "/api/v1/push/subscriptions/", phone.subscription_json(), format="json"
    )
    assert subscribed.status_code == 201, subscribed.content
    visit_planned(physician, spanish_patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 2, 19))  # day 0

    # The worker's thread may be speaking another language: the patient's wins.
    with translation.override("en"):
        tick(local(BERLIN, 2026, 3, 5, 19))  # day 3

    assert push_service.problems == []
    assert [d.message for d in push_service.deliveries] == [
        {
            "title": "Es hora de su registro de hoy",
            "body": "¿Cómo se siente después de la inyección de hoy? Registrarse toma unos 15 "
            "segundos.",
            "url": "/#/",
            "tag": "relief-reminder",
        },
        {
            "title": "Es hora de su registro de hoy",
            "body": "Día 3 después de su inyección. ¿Cómo se siente hoy? Registrarse toma unos "
            "15 segundos.",
            "url": "/#/",
            "tag": "relief-reminder",
        },
    ]


@pytest.mark.django_db(transaction=True)
def test_a_spanish_patient_without_a_phone_gets_the_reminder_mail_in_spanish(
    physician: User,
    spanish_patient: User,
    other_patient: User,
    inbox: tuple[Inbox, int],
    settings: Any,
) -> None:
    """Two patients due at once, one in each language: each mail in its reader's. The
    evening is two days ahead, so that the mails are still worth sending when the worker,
    on the real clock, delivers them."""
    settings.PUBLIC_URL = "https://relief.example.org"
    day = (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo(BERLIN)).date()
    visit = local(BERLIN, day.year, day.month, day.day, 10)
    visit_planned(physician, spanish_patient, visit)
    visit_planned(physician, other_patient, visit)
    tick(visit.replace(hour=19))
    handler, _port = inbox

    run_worker_once()

    mails = {}
    for envelope in handler.messages:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        mails[envelope.rcpt_tos[0]] = (
            str(message["Subject"]),
            message.get_content().replace("\r\n", "\n").strip(),
        )
    assert mails == {
        spanish_patient.email: (
            "Es hora de su registro de hoy",
            "Hola, Pat Patient:\n\n¿Cómo se siente después de la inyección de hoy? Registrarse "
            "toma unos 15 segundos.\n\nRegístrese aquí: https://relief.example.org/#/\n\n"
            "Puede cambiar la hora de estos recordatorios, o desactivarlos, en Relief, en "
            "Ajustes.",
        ),
        other_patient.email: (
            "Time for today's check-in",
            "Hello Olive Other,\n\nHow are you feeling after today's injection? A check-in "
            "takes about 15 seconds.\n\nCheck in here: https://relief.example.org/#/\n\n"
            "You can change the time of these reminders, or turn them off, in Relief under "
            "Settings.",
        ),
    }


@pytest.mark.django_db
def test_a_physicians_remind_is_worded_in_the_patients_language(
    physician: User, spanish_patient: User
) -> None:
    from reminders.channels import message_for

    with translation.override(spanish_patient.language):
        message = message_for(kind="physician", day=None, physician=physician.display_name)

    assert (message.title, message.body) == (
        "¿Cómo está hoy?",
        "Dr. Hope quiere saber cómo se siente. Registrarse toma unos 15 segundos.",
    )
