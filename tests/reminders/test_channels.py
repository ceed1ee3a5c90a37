"""Which way a reminder goes: Web Push to the patient's phones when one takes it (the real
protocol, against a push service run by the test: tests/push/push_service.py), else e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from accounts.models import OutboundMail, User
from push.models import PushSubscription
from tests.push.push_service import Phone, PushService, start_push_service, use_vapid_key
from tests.reminders.helpers import local, mails, row, tick, visit_planned

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"


@pytest.fixture
def push_service(settings: Any) -> Iterator[PushService]:
    use_vapid_key(settings, ec.generate_private_key(ec.SECP256R1()))
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


def _subscribe(client_for: Any, patient: User, phone: Phone) -> None:
    response = client_for(patient).post(
        "/api/v1/push/subscriptions/", phone.subscription_json(), format="json"
    )
    assert response.status_code == 201, response.content


def test_a_subscribed_phone_gets_the_reminder_and_no_mail_is_sent(
    physician: User, patient: User, push_service: PushService, client_for: Any
) -> None:
    _subscribe(client_for, patient, push_service.phone("phone"))
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 2, 19))  # day 0

    _, outcome = tick(local(BERLIN, 2026, 3, 5, 19))  # day 3; days 1 and 2 late

    assert list(outcome.values()) == ["sent"]
    assert push_service.problems == []
    assert [d.message for d in push_service.deliveries] == [
        {
            "title": "Time for today's check-in",
            "body": "How are you feeling after today's injection? A check-in takes about 15 "
            "seconds.",
            "url": "/#/",
            "tag": "relief-reminder",
        },
        {
            "title": "Time for today's check-in",
            "body": "Day 3 after your injection. How are you feeling today? A check-in takes "
            "about 15 seconds.",
            "url": "/#/",
            "tag": "relief-reminder",
        },
    ]
    assert row(patient, "evening", date(2026, 3, 5))[1:] == ("sent", "", "push")
    assert not OutboundMail.objects.exists()


def test_when_no_phone_takes_it_the_reminder_goes_by_mail(
    physician: User, patient: User, push_service: PushService, client_for: Any
) -> None:
    _subscribe(client_for, patient, push_service.phone("gone", answer=410))
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))

    _, outcome = tick(local(BERLIN, 2026, 3, 2, 19))

    assert list(outcome.values()) == ["sent"]
    assert push_service.requests == ["gone"]
    assert not PushSubscription.objects.exists()  # the push service said it is gone
    assert row(patient, "evening", date(2026, 3, 2))[1:] == ("sent", "", "email")
    assert [subject for subject, _ in mails(patient.email)] == ["Time for today's check-in"]


def test_the_mail_links_to_todays_check_in_when_the_public_url_is_set(
    physician: User, patient: User, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://relief.example.org"
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))

    tick(local(BERLIN, 2026, 3, 2, 19))

    assert mails(patient.email) == [
        (
            "Time for today's check-in",
            "Hello Pat Patient,\n\nHow are you feeling after today's injection? A check-in "
            "takes about 15 seconds.\n\nCheck in here: https://relief.example.org/#/\n\n"
            "You can change the time of these reminders, or turn them off, in Relief under "
            "Settings.",
        )
    ]
