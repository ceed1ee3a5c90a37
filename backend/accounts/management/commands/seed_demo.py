"""Load the demo clinic into an empty development database (used by `make run` only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User

DEMO_PASSWORD = "relief-demo"
DEMO_ACCOUNTS = (
    ("doctor@relief.example", "Dr. Dana Reyes", Role.PHYSICIAN, "America/New_York"),
    ("patient@relief.example", "Pat Morgan", Role.PATIENT, "America/New_York"),
)


class Command(BaseCommand):
    help = "Create the demo accounts if the database has no users (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (DEBUG=true).")
        if User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
            return
        for email, name, role, tz in DEMO_ACCOUNTS:
            User.objects.create_user(
                email, DEMO_PASSWORD, display_name=name, role=role, timezone=tz
            )
        self.stdout.write(self.style.SUCCESS("Demo accounts created."))
