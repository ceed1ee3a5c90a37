"""The sign-in limit: per address, per (account, address), and per account for untrusted
clients only; a browser that signed in to an account before (device cookie) is exempt from
the account-wide lockout and has a limit of its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from rest_framework.test import APIClient

from accounts import signin_limit
from accounts.models import SecurityEvent, Session, User
from tests.accounts.helpers import TOKEN_URL
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
LIMITED = {"code": "too_many_attempts", "detail": "Too many sign-in attempts. Try again later."}
WRONG = {"code": "invalid_credentials", "detail": "Email or password is incorrect."}


def attempt(email: str, pw: str, address: str = "203.0.113.7", client: APIClient | None = None):
    client = client or APIClient(REMOTE_ADDR=address)
    return client.post(TOKEN_URL, {"email": email, "password": pw}, format="json")


def trusted_browser(email: str, password: str, address: str) -> APIClient:
    """A browser that has signed in to ``email`` once (and so holds its device cookie)."""
    browser = APIClient(REMOTE_ADDR=address)
    assert attempt(email, password, client=browser).status_code == 200
    return browser


def events() -> list[dict[str, Any]]:
    return list(
        SecurityEvent.objects.order_by("id").values(
            "kind", "user__email", "client_address", "count", "detail"
        )
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
    # Even the right password waits, from a client that never signed in to this account.
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


def test_wrong_passwords_from_anywhere_do_not_lock_the_physician_out_of_their_browser(
    physician: User, password: str, settings
):
    """The attack from issue #14: five wrong passwords for a physician's email from any
    address used to lock the physician's own browser out for the window."""
    browser = trusted_browser("dr.hope@example.org", password, address="198.51.100.20")
    for _ in range(settings.SIGNIN_LIMIT_PER_ACCOUNT):
        assert attempt("dr.hope@example.org", "guess", address=ATTACKER).json() == WRONG
    refused = attempt("dr.hope@example.org", "guess", address="192.0.2.44")
    assert (refused.status_code, refused.json()) == (429, LIMITED)

    response = attempt("dr.hope@example.org", password, client=browser)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "dr.hope@example.org"
    assert Session.objects.filter(user=physician).count() == 2
    # A browser that never signed in to this account still waits: brute force stays bounded.
    fresh = attempt("dr.hope@example.org", password, address="198.51.100.20")
    assert (fresh.status_code, fresh.json()) == (429, LIMITED)
    assert Session.objects.filter(user=physician).count() == 2
    assert events() == [
        {
            "kind": "signin_limited",
            "user__email": "dr.hope@example.org",
            "client_address": "192.0.2.44",
            "count": 1,
            "detail": {"scope": "account", "via": "api"},
        },
        {
            "kind": "signin_limited",
            "user__email": "dr.hope@example.org",
            "client_address": "198.51.100.20",
            "count": 1,
            "detail": {"scope": "account", "via": "api"},
        },
    ]


def test_the_device_cookie_is_signed_httponly_secure_strict_and_long_lived(
    patient: User, password: str, settings
):
    response = attempt("pat@example.org", password)

    cookie = response.cookies["relief_device"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/"
    assert cookie["max-age"] == 365 * 24 * 3600
    entries = signing.loads(cookie.value, salt=signin_limit.DEVICE_SALT)
    assert [uid for uid, _nonce in entries] == [str(patient.pk)]
    assert len(entries[0][1]) >= 20  # a random nonce: each browser has its own count
    with pytest.raises(signing.BadSignature):
        signing.loads(cookie.value)  # another salt: no other signed value passes for one


def test_a_device_cookie_of_another_account_or_forged_gives_no_exemption(
    patient: User, other_patient: User, password: str, settings
):
    other = trusted_browser("olive@example.org", password, address="198.51.100.30")
    mine = [[str(patient.pk), "a-nonce-the-server-never-issued"]]
    forged = {
        "unsigned": signing.dumps(mine, salt=signin_limit.DEVICE_SALT)[:-4] + "AAAA",
        "other salt": signing.dumps(mine),
        "other key": signing.dumps(mine, key="x" * 50, salt=signin_limit.DEVICE_SALT),
        "wrong shape": signing.dumps({"pat": "x"}, salt=signin_limit.DEVICE_SALT),
        "garbage": "not:a:device:cookie",
    }
    for _ in range(settings.SIGNIN_LIMIT_PER_ACCOUNT):
        attempt("pat@example.org", "guess", address=ATTACKER)

    response = attempt("pat@example.org", password, client=other)
    assert (response.status_code, response.json()) == (429, LIMITED)
    for name, value in forged.items():
        client = APIClient(REMOTE_ADDR="198.51.100.32")
        client.cookies["relief_device"] = value
        response = attempt("pat@example.org", password, client=client)
        assert (response.status_code, response.json()) == (429, LIMITED), name
    # An expired cookie is no better than none.
    settings.DEVICE_COOKIE_MAX_AGE = -1
    client = APIClient(REMOTE_ADDR="198.51.100.33")
    client.cookies["relief_device"] = signing.dumps(mine, salt=signin_limit.DEVICE_SALT)
    assert attempt("pat@example.org", password, client=client).status_code == 429
    assert not Session.objects.filter(user=patient).exists()


def test_a_trusted_browser_has_a_limit_of_its_own_that_spares_the_account(
    patient: User, password: str, settings
):
    """A stolen device cookie cannot guess without bound, and its failures do not count
    against the account, so they lock out nobody else either."""
    settings.SIGNIN_LIMIT_PER_DEVICE = 3
    browser = trusted_browser("pat@example.org", password, address="198.51.100.40")
    for _ in range(3):
        assert attempt("pat@example.org", "guess", client=browser).json() == WRONG

    response = attempt("pat@example.org", password, client=browser)

    assert (response.status_code, response.json()) == (429, LIMITED)
    assert 1 <= int(response["Retry-After"]) <= settings.SIGNIN_LIMIT_WINDOW_SECONDS
    assert attempt("pat@example.org", password, address="198.51.100.41").status_code == 200
    assert [e["detail"] for e in events()] == [{"scope": "device", "via": "api"}]


def test_one_browser_stays_trusted_for_each_account_signed_in_from_it(
    patient: User, other_patient: User, password: str, settings
):
    browser = trusted_browser("pat@example.org", password, address="198.51.100.50")
    assert attempt("olive@example.org", password, client=browser).status_code == 200
    for email in ("pat@example.org", "olive@example.org"):
        for _ in range(settings.SIGNIN_LIMIT_PER_ACCOUNT):
            attempt(email, "guess", address=ATTACKER)
        assert attempt(email, password, address="198.51.100.51").status_code == 429

    for email in ("pat@example.org", "olive@example.org"):
        assert attempt(email, password, client=browser).status_code == 200, email


def test_account_and_address_pair_limit_spares_other_addresses(
    patient: User, password: str, settings
):
    settings.SIGNIN_LIMIT_PER_ACCOUNT = 100
    settings.SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS = 3
    for _ in range(3):
        assert attempt("pat@example.org", "guess", address=ATTACKER).json() == WRONG

    refused = attempt("pat@example.org", password, address=ATTACKER)

    assert (refused.status_code, refused.json()) == (429, LIMITED)
    assert attempt("pat@example.org", "guess", address="198.51.100.60").json() == WRONG
    assert attempt("pat@example.org", password, address="198.51.100.60").status_code == 200
    assert attempt("olive@example.org", "guess", address=ATTACKER).json() == WRONG
    assert [e["detail"] for e in events()] == [{"scope": "account_address", "via": "api"}]
