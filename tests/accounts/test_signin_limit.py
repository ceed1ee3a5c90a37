from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import SecurityEvent, User
from tests.accounts.helpers import TOKEN_URL
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


def attempt(email: str, pw: str, address: str = "203.0.113.7"):
    return APIClient(REMOTE_ADDR=address).post(
        TOKEN_URL, {"email": email, "password": pw}, format="json"
    )


def test_account_limit_gives_429_with_retry_after(patient: User, password: str, settings):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 3
    for _ in range(3):
        assert attempt("pat@example.org", "wrong").status_code == 401

    response = attempt("pat@example.org", "wrong", address="198.51.100.1")

    assert response.status_code == 429
    assert response.json() == {
        "code": "too_many_attempts",
        "detail": "Too many sign-in attempts. Try again later.",
    }
    assert 1 <= int(response["Retry-After"]) <= settings.SIGNIN_LIMIT_WINDOW_SECONDS
    # Even the right password waits: the account is locked for the window.
    assert attempt("pat@example.org", password).status_code == 429
    assert SecurityEvent.objects.filter(kind="signin_limited", user=patient).exists()


def test_successful_sign_ins_do_not_count(patient: User, password: str, settings):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 2
    for _ in range(5):
        assert attempt("pat@example.org", password).status_code == 200
    assert attempt("pat@example.org", "wrong").status_code == 401


def test_address_limit_covers_many_accounts(db: None, settings):
    settings.SIGNIN_LIMIT_PER_ADDRESS = 4
    codes = [attempt(f"user{i}@example.org", "wrong").status_code for i in range(6)]
    assert codes == [401, 401, 401, 401, 429, 429]
    assert attempt("someone@example.org", "wrong", address="198.51.100.9").status_code == 401


def test_the_limit_answer_does_not_reveal_whether_the_account_exists(patient: User, settings):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 1
    attempt("pat@example.org", "wrong")
    attempt("ghost@example.org", "wrong", address="198.51.100.2")
    known = attempt("pat@example.org", "wrong", address="198.51.100.3")
    unknown = attempt("ghost@example.org", "wrong", address="198.51.100.4")
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()


@pytest.mark.django_db(transaction=True)
def test_limit_holds_under_concurrent_attempts(patient: User, settings):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 5
    racers = 20
    statuses = run_concurrently(
        racers,
        lambda i: attempt("pat@example.org", "wrong", address=f"198.51.100.{i}").status_code,
    )
    assert statuses.count(401) == 5, sorted(statuses)
    assert statuses.count(429) == racers - 5
