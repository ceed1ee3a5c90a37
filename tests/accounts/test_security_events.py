"""Sign-in attempts over a limit are counted in one SecurityEvent per address and window,
not written as a row each: anonymous traffic must not grow a table without bound."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import SecurityEvent, User
from tests.accounts.helpers import TOKEN_URL
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


def attempt(email: str, address: str = ADDRESS) -> int:
    return (
        APIClient(REMOTE_ADDR=address)
        .post(TOKEN_URL, {"email": email, "password": "guess"}, format="json")
        .status_code
    )


def rows() -> list[dict[str, object]]:
    return list(
        SecurityEvent.objects.order_by("id").values(
            "kind", "user__email", "client_address", "count", "bucket", "detail"
        )
    )


def test_many_throttled_sign_ins_from_one_address_are_one_counted_event(patient: User, settings):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 3
    # One window for the whole test, wherever the clock is (it starts at Unix time 10⁹).
    settings.SIGNIN_LIMIT_WINDOW_SECONDS = 10**9
    before = timezone.now()
    # Known and unknown accounts alike: the row is per address, not per account named.
    codes = [attempt("pat@example.org" if i % 2 else f"u{i}@example.org") for i in range(200)]

    assert codes == [401] * 3 + [429] * 197
    assert SecurityEvent.objects.count() == 1
    window_start = 10**9
    assert rows() == [
        {
            "kind": "signin_limited",
            "user__email": "pat@example.org",  # named by the first refused attempt (i = 3)
            "client_address": ADDRESS,
            "count": 197,
            "bucket": f"signin_limited {ADDRESS} {window_start}",
            "detail": {"scope": "address", "via": "api"},
        }
    ]
    event = SecurityEvent.objects.get()
    assert before <= event.created_at <= event.last_seen_at <= timezone.now()
    # Another address has a row of its own.
    assert attempt("new@example.org", address="198.51.100.77") == 401
    settings.SIGNIN_LIMIT_PER_ADDRESS = 0
    assert attempt("new@example.org", address="198.51.100.77") == 429
    assert [(r["client_address"], r["count"]) for r in rows()] == [
        (ADDRESS, 197),
        ("198.51.100.77", 1),
    ]


def test_a_new_window_starts_a_new_row(patient: User):
    first, second = 1_800_000_000, 1_800_000_900
    for window_start in (first, first, first, second, second):
        services.signin_limit_event(
            email="pat@example.org",
            client_address=ADDRESS,
            scope="account",
            window_start=window_start,
        )

    assert rows() == [
        {
            "kind": "signin_limited",
            "user__email": "pat@example.org",
            "client_address": ADDRESS,
            "count": 3,
            "bucket": f"signin_limited {ADDRESS} {first}",
            "detail": {"scope": "account", "via": "api"},
        },
        {
            "kind": "signin_limited",
            "user__email": "pat@example.org",
            "client_address": ADDRESS,
            "count": 2,
            "bucket": f"signin_limited {ADDRESS} {second}",
            "detail": {"scope": "account", "via": "api"},
        },
    ]


def test_a_request_without_an_address_is_counted_under_none(db: None):
    for _ in range(2):
        services.signin_limit_event(
            email="x@example.org", client_address="unknown", scope="address", window_start=0
        )
    assert [(r["client_address"], r["count"], r["bucket"]) for r in rows()] == [
        (None, 2, "signin_limited - 0")
    ]


def test_one_off_events_are_not_merged(patient: User):
    """Token reuse is not anonymous traffic (it takes a signed token of a live session):
    each stays a row of its own, with count 1."""
    for _ in range(2):
        SecurityEvent.objects.create(kind=SecurityEvent.Kind.REFRESH_REUSE, user=patient)
    assert list(SecurityEvent.objects.values_list("count", "bucket")) == [(1, None), (1, None)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_throttled_attempts_lose_no_count_and_make_one_row(db: None, settings):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 0
    racers = 16
    codes = run_concurrently(racers, lambda i: attempt(f"u{i}@example.org"))

    assert codes == [429] * racers
    assert SecurityEvent.objects.count() == 1
    event = SecurityEvent.objects.get()
    assert (event.count, event.client_address) == (racers, ADDRESS)
    assert event.created_at <= event.last_seen_at
