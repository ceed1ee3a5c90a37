"""The phones that asked for Web Push notifications."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class PushSubscription(models.Model):
    """One browser's push subscription (the ``PushSubscription`` of the Push API), held by
    the user signed in when it was made.

    ``endpoint`` is the push service's address for that browser: a browser has one at a
    time, so it belongs to one user at a time (a shared phone's passes to whoever turned
    notifications on last). ``p256dh`` and ``auth`` are the browser's keys that each
    payload is encrypted to (RFC 8291), base64url without padding.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=2048, unique=True)
    # An uncompressed P-256 point (65 bytes) and a 16-byte secret, in base64url.
    p256dh = models.CharField(max_length=87)
    auth = models.CharField(max_length=22)
    # When this user subscribed (or took the subscription over from another).
    created_at = models.DateTimeField(default=timezone.now)
    # The last push the push service accepted.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(p256dh__regex=r"^[A-Za-z0-9_-]{87}$")
                & models.Q(auth__regex=r"^[A-Za-z0-9_-]{22}$"),
                name="pushsubscription_keys_base64url",
            )
        ]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of {self.user_id}"
