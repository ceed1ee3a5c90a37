"""Failed sign-in limit: an atomic counter per account and per client address.

Every attempt takes a slot with ``cache.incr`` *before* the password is checked, so N
concurrent attempts cannot all slip under the limit; a successful sign-in gives its slot
back. Counters live in fixed windows, so ``Retry-After`` is exact. With ``CACHE_URL`` on
Redis the count is shared by every worker and every app instance.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Slot:
    keys: tuple[str, ...]
    limited_scope: str | None
    retry_after: int


def _key(scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"signin:{scope}:{digest}:{window}"


def _take(key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=ttl)
        return cache.incr(key)


def take_slot(*, email: str, address: str) -> Slot:
    size = settings.SIGNIN_LIMIT_WINDOW_SECONDS
    now = time.time()
    window = int(now // size)
    retry_after = max(1, math.ceil((window + 1) * size - now))
    limits = (
        ("account", email.strip().lower(), settings.SIGNIN_LIMIT_PER_ACCOUNT),
        ("address", address, settings.SIGNIN_LIMIT_PER_ADDRESS),
    )
    keys = []
    limited = None
    for scope, value, limit in limits:
        key = _key(scope, value, window)
        keys.append(key)
        if _take(key, size + 5) > limit and limited is None:
            limited = scope
    return Slot(keys=tuple(keys), limited_scope=limited, retry_after=retry_after)


def give_back(slot: Slot) -> None:
    """A successful sign-in does not count against the account or the address."""
    for key in slot.keys:
        with contextlib.suppress(ValueError):
            cache.decr(key)
