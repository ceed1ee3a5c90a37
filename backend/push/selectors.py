from __future__ import annotations

from accounts.models import User
from push import vapid
from push.models import PushSubscription


def push_enabled() -> bool:
    """Whether this server sends Web Push at all (it has a VAPID key)."""
    return vapid.server_key() is not None


def push_subscribed(*, user: User) -> bool:
    """Whether a push to ``user`` can reach any phone: Web Push is on and they subscribed."""
    return push_enabled() and PushSubscription.objects.filter(user=user).exists()
