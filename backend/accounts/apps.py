from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete


def _forget_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted user or session is forgotten by this process at once (others hear of it
    from the database's notice)."""
    from accounts.session_cache import session_cache

    session_cache.forget_all()


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from accounts.mail import mail_send_lost
        from accounts.models import Session, User
        from core import periodic

        # Mail whose delivery task was lost (a worker killed before its claim).
        periodic.register("mail-sweep", mail_send_lost, every_seconds=60)
        post_delete.connect(_forget_deleted, sender=User, dispatch_uid="forget-user")
        post_delete.connect(_forget_deleted, sender=Session, dispatch_uid="forget-session")
