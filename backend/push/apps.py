from __future__ import annotations

from django.apps import AppConfig


class PushConfig(AppConfig):
    """Web Push: the phones' subscriptions and sending to them (RFC 8030, 8291, 8292)."""

    name = "push"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from push import vapid

        # A malformed key or a missing subject stops start-up, not the first reminder.
        vapid.check_settings()
