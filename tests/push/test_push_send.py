"""push_send end to end: the real protocol against a push service run by the test.

The phones subscribe through the API as the app does; push_send then encrypts for each
(RFC 8291) and signs for its push service (RFC 8292), and the test's push service checks
the signature and decrypts with the phone's own private key (tests/push/push_service.py).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from py_vapid import Vapid02
from pywebpush import webpush

from accounts.models import User
from push.models import PushSubscription
from push.services import push_send
from tests.push.push_service import SUBJECT, Phone, PushService

pytestmark = pytest.mark.django_db

REMINDER = {
    "title": "Time for your check-in",
    "body": "How is your pain this evening? It takes a few seconds.",
    "url": "/#/",
    "tag": "relief-reminder",
}


def _subscribe(client_for: Any, user: User, phone: Phone) -> None:
    response = client_for(user).post(
        "/api/v1/push/subscriptions/", phone.subscription_json(), format="json"
    )
    assert response.status_code == 201, response.content


def test_a_push_reaches_every_phone_of_the_patient_encrypted_and_signed(
    push_on: str,
    push_service: PushService,
    client_for: Any,
    patient: User,
    other_patient: User,
) -> None:
    phone, tablet, others = (push_service.phone(n) for n in ("phone", "tablet", "others"))
    _subscribe(client_for, patient, phone)
    _subscribe(client_for, patient, tablet)
    _subscribe(client_for, other_patient, others)
    advertised = client_for(patient).get("/api/v1/push/key/").json()["public_key"]
    assert advertised == push_on

    accepted = push_send(user=patient, **REMINDER)

    assert push_service.problems == []
    assert accepted == 2
    assert sorted(d.phone for d in push_service.deliveries) == ["phone", "tablet"]
    for delivery in push_service.deliveries:
        assert delivery.message == REMINDER
        assert delivery.vapid_key == advertised  # signed by the key the phone subscribed with
        assert delivery.claims["aud"] == push_service.origin
        assert delivery.claims["sub"] == SUBJECT
        assert delivery.headers["content-encoding"] == "aes128gcm"
        assert delivery.headers["ttl"] == "43200"
        assert delivery.headers["topic"] == "relief-reminder"
        assert delivery.headers["urgency"] == "normal"
    rows = PushSubscription.objects.filter(user=patient)
    assert rows.count() == 2
    assert all(row.last_used_at is not None for row in rows)
    assert PushSubscription.objects.get(user=other_patient).last_used_at is None


def test_a_subscription_the_push_service_says_is_gone_is_removed(
    push_on: str, push_service: PushService, client_for: Any, patient: User
) -> None:
    kept = push_service.phone("kept")
    expired = push_service.phone("expired", answer=410)
    unknown = push_service.phone("unknown", answer=404)
    for phone in (kept, expired, unknown):
        _subscribe(client_for, patient, phone)

    assert push_send(user=patient, **REMINDER) == 1

    assert push_service.problems == []
    assert [d.phone for d in push_service.deliveries] == ["kept"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]


def test_a_push_service_that_fails_or_is_unreachable_is_logged_and_kept(
    push_on: str,
    push_service: PushService,
    client_for: Any,
    patient: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    busy = push_service.phone("busy", answer=503)
    _subscribe(client_for, patient, busy)
    with socket.socket() as closed:  # a port nobody listens on once this block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    away = push_service.phone("away")
    away.endpoint = away.endpoint.replace(push_service.origin, f"http://127.0.0.1:{port}")
    _subscribe(client_for, patient, away)

    with caplog.at_level(logging.WARNING, logger="relief.push"):
        assert push_send(user=patient, **REMINDER) == 0

    assert push_service.problems == []
    assert PushSubscription.objects.filter(user=patient).count() == 2  # kept for next time
    assert [r.getMessage().split(" at ")[1] for r in caplog.records] == [
        f"{push_service.origin.removeprefix('http://')} refused: 503 ",
        f"127.0.0.1:{port} failed: ConnectionError",
    ]


def test_a_push_service_that_redirects_is_not_followed(
    push_on: str, push_service: PushService, client_for: Any, patient: User
) -> None:
    """A redirect could lead anywhere: the push goes only to a checked endpoint."""
    elsewhere = push_service.phone("elsewhere")  # nobody's subscription
    moved = push_service.phone("moved", answer=307)
    moved.location = elsewhere.endpoint
    _subscribe(client_for, patient, moved)

    assert push_send(user=patient, **REMINDER) == 0

    assert push_service.requests == ["moved"]  # the redirect's target got nothing
    assert PushSubscription.objects.filter(user=patient).count() == 1


def test_without_a_vapid_key_push_is_off(
    settings: Any, push_service: PushService, client_for: Any, patient: User
) -> None:
    settings.PUSH_ALLOW_LOCAL_HTTP = True
    settings.DEBUG = False
    settings.VAPID_PRIVATE_KEY = ""
    PushSubscription.objects.create(
        user=patient, endpoint=push_service.phone("phone").endpoint, **_keys(push_service)
    )

    assert client_for(patient).get("/api/v1/push/key/").json() == {"public_key": None}
    assert push_send(user=patient, **REMINDER) == 0
    assert push_service.deliveries == []


def test_the_tests_push_service_refuses_a_push_signed_for_another_audience(
    push_on: str, push_service: PushService, vapid_private_key: Any
) -> None:
    """The checks above mean something: a wrong `aud` is refused and reported."""
    phone = push_service.phone("phone")
    with pytest.raises(Exception, match="401"):
        webpush(
            phone.subscription_json(),
            data='{"title": "x"}',
            vapid_private_key=Vapid02(private_key=vapid_private_key),
            vapid_claims={"sub": SUBJECT, "aud": "https://elsewhere.example"},
        )
    assert push_service.deliveries == []
    assert push_service.problems == [
        f"{phone.endpoint.removeprefix(push_service.origin)}: VAPID: aud "
        f"'https://elsewhere.example', not '{push_service.origin}'"
    ]


def _keys(service: PushService) -> dict[str, str]:
    return service.phone("spare").keys
