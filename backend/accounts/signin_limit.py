"""Failed sign-in limits without lockout: atomic counters in fixed windows, and device cookies.

Every attempt takes a slot in each of its counters with ``cache.incr`` *before* the password
is checked, so N concurrent attempts cannot all slip under a limit; a successful sign-in
gives its slots back. Counters live in fixed windows, so ``Retry-After`` is exact. With
``CACHE_URL`` on Redis the counts are shared by every worker and every app instance.

Which counters an attempt takes follows OWASP's "Slow Down Online Guessing Attacks with
Device Cookies": a counter per client address and per (account, address) for everyone;
then either

- a client carrying a valid device cookie for *that* account (it signed in to it before)
  counts against that cookie only, so wrong passwords sent from anywhere else can never
  lock it out; a stolen cookie still gets only ``SIGNIN_LIMIT_PER_DEVICE`` guesses a window;
- or an untrusted client counts against the account-wide limit, which an attacker can
  exhaust: only new browsers wait for the window to pass.

The device cookie is signed (``django.core.signing``, its own salt, so no other signed value
of the app passes for one) and names up to ``DEVICE_ACCOUNTS`` accounts (user id + a random
nonce), newest first: a clinic desktop shared by a few physicians trusts each of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse

from accounts.models import User

DEVICE_SALT = "relief.accounts.signin_limit.device"
DEVICE_ACCOUNTS = 5


@dataclass(frozen=True)
class Slot:
    keys: tuple[str, ...]
    limited_scope: str | None
    retry_after: int
    window_start: int


def _key(purpose: str, scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{purpose}:{scope}:{digest}:{window}"


def _take(key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=ttl)
        return cache.incr(key)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def current_window() -> tuple[int, int]:
    """(start of the current window in Unix seconds, seconds until it ends)."""
    size = settings.SIGNIN_LIMIT_WINDOW_SECONDS
    now = time.time()
    start = int(now // size) * size
    return start, max(1, math.ceil(start + size - now))


def take_slot(
    *, email: str | None, address: str, device: str | None = None, purpose: str = "signin"
) -> Slot:
    """Count one attempt for ``email`` from ``address``; ``device`` is the nonce of a valid
    device cookie for this account (see ``trusted_device``), or None for an untrusted client.

    ``purpose`` names the set of counters: ``signin`` (a password guess: sign-in, and the
    current password when changing it), ``reset`` (asking for a reset link) or
    ``reset_confirm`` (using one). Each purpose has the same limits and counters of its
    own, so asking for reset links never locks anyone out of signing in. Without
    ``email`` (a reset link names no account until it is checked) only the address counts.

    ``limited_scope`` names the first limit the attempt is over (``device``, ``account``,
    ``account_address`` or ``address``), or None when it may go ahead.
    """
    size = settings.SIGNIN_LIMIT_WINDOW_SECONDS
    start, retry_after = current_window()
    window = start // size
    if email is None:
        return _take_all(
            (("address", address, settings.SIGNIN_LIMIT_PER_ADDRESS),),
            purpose=purpose,
            window=window,
            start=start,
            retry_after=retry_after,
        )
    account = normalise_email(email)
    if device is not None:
        first = ("device", device, settings.SIGNIN_LIMIT_PER_DEVICE)
    else:
        first = ("account", account, settings.SIGNIN_LIMIT_PER_ACCOUNT)
    limits = (
        first,
        # A newline cannot occur in an email address, so no two pairs share a key.
        ("account_address", f"{account}\n{address}", settings.SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS),
        ("address", address, settings.SIGNIN_LIMIT_PER_ADDRESS),
    )
    if device is not None:
        # A trusted device is judged by its own count, not by what others sent from its
        # address to its account (a shared clinic network must not lock it out either).
        limits = (limits[0], limits[2])  # type: ignore[assignment]  # one fewer
    return _take_all(limits, purpose=purpose, window=window, start=start, retry_after=retry_after)


def _take_all(
    limits: tuple[tuple[str, str, int], ...],
    *,
    purpose: str,
    window: int,
    start: int,
    retry_after: int,
) -> Slot:
    size = settings.SIGNIN_LIMIT_WINDOW_SECONDS
    keys = []
    limited = None
    for scope, value, limit in limits:
        key = _key(purpose, scope, value, window)
        keys.append(key)
        if _take(key, size + 5) > limit and limited is None:
            limited = scope
    return Slot(
        keys=tuple(keys), limited_scope=limited, retry_after=retry_after, window_start=start
    )


def give_back(slot: Slot) -> None:
    """A successful sign-in does not count against any of its counters."""
    for key in slot.keys:
        with contextlib.suppress(ValueError):
            cache.decr(key)


def _device_entries(cookie: str | None) -> list[tuple[str, str]]:
    """The (user id, nonce) pairs of a device cookie; none when it is absent, forged,
    expired or malformed."""
    if not cookie:
        return []
    try:
        value = signing.loads(cookie, salt=DEVICE_SALT, max_age=settings.DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return []
    if not isinstance(value, list):
        return []
    return [
        (entry[0], entry[1])
        for entry in value[:DEVICE_ACCOUNTS]
        if isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(part, str) for part in entry)
    ]


def trusted_device(*, cookie: str | None, email: str) -> str | None:
    """The nonce under which ``cookie`` trusts the account signing in as ``email``, if any."""
    entries = _device_entries(cookie)
    if not entries:
        return None  # no query for the common, untrusted case
    user_id = User.objects.filter(email=normalise_email(email)).values_list("pk", flat=True).first()
    if user_id is None:
        return None
    return next((nonce for uid, nonce in entries if uid == str(user_id)), None)


def device_cookie_set(
    response: HttpResponse, *, cookie: str | None, user: User, name: str, path: str
) -> None:
    """After a successful sign-in: trust this browser for ``user`` from now on (a fresh
    nonce, so its own failure count starts anew), keeping the other accounts it trusts."""
    entries = [[uid, nonce] for uid, nonce in _device_entries(cookie) if uid != str(user.pk)]
    entries.insert(0, [str(user.pk), secrets.token_urlsafe(16)])
    response.set_cookie(
        name,
        signing.dumps(entries[:DEVICE_ACCOUNTS], salt=DEVICE_SALT),
        max_age=settings.DEVICE_COOKIE_MAX_AGE,
        path=path,
        secure=settings.DEVICE_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
