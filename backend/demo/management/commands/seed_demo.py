"""Load the demo clinic into an empty development database (used by `make run` only).

Two physicians and twenty patients, each in the care of one physician, with one to three
trigger point injection visits and the check-ins of the 21 days after each (``demo.cast``
says who they are, ``demo.seeder`` writes them).
"""

from __future__ import annotations

import time as clock
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from demo.cast import DEMO_PASSWORD, DEMO_PATIENT, DEMO_PHYSICIAN
from demo.seeder import Seeder
from diary.models import Entry
from treatments.models import Visit


class Command(BaseCommand):
    help = "Load the demo clinic if the database has no users (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (DEBUG=true).")
        if User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
            return
        started = clock.monotonic()
        with transaction.atomic():
            Seeder(timezone.now()).run()
        elapsed = clock.monotonic() - started
        physicians = User.objects.filter(role=Role.PHYSICIAN).count()
        patients = User.objects.filter(role=Role.PATIENT).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic loaded in {elapsed:.1f}s: {physicians} physicians, "
                f"{patients} patients, {Visit.objects.count()} visits, "
                f"{Entry.objects.count()} check-ins."
            )
        )
        self.stdout.write(
            f"Demo logins: {DEMO_PHYSICIAN} / {DEMO_PATIENT}, "
            f"password {DEMO_PASSWORD} (every demo account uses it)."
        )
