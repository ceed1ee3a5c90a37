"""Deliver every due mail here and now (normally the task worker does it; this is for
a deployment without a worker): ``relief send_pending_mail``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.mail import mail_send_pending


class Command(BaseCommand):
    help = "Send queued mail whose next attempt is due; give up on mail past its use."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = mail_send_pending()
        sent, failed = outcome.get("sent", 0), outcome.get("failed", 0)
        self.stdout.write(f"{sent} sent, {failed} failed")
