"""The kept check-in tallies (``diary.PatientDay``) from the command line:

- ``relief aggregates check``: count the raw check-ins again and compare; lists the first
  differences and exits non-zero when there are any.
- ``relief aggregates rebuild``: every tally again from the raw check-ins, in one
  transaction (after a bulk load that went around the services, or to repair).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import router, transaction

from diary.models import PatientDay
from diary.tallies import days_mismatches, days_rebuild


class Command(BaseCommand):
    help = "Check the kept per-day check-in tallies against the raw check-ins, or rebuild them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        # Django's own parser class, so errors become CommandError (exit code 1).
        cli: Any = getattr(parser, "called_from_command_line", None)
        check = sub.add_parser(
            "check", help="Compare with the raw check-ins.", called_from_command_line=cli
        )
        check.add_argument("--show", type=int, default=20, help="Differences to list (default 20).")
        sub.add_parser("rebuild", help="Count every tally again.", called_from_command_line=cli)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            with transaction.atomic(using=router.db_for_write(PatientDay)):
                rows = days_rebuild()
            self.stdout.write(f"Rebuilt {rows} tallies.")
            return
        wrong, shown = days_mismatches(limit=options["show"])
        for row in shown:
            self.stdout.write(json.dumps(row, default=list))
        if wrong:
            raise CommandError(f"{wrong} tallies differ from the raw check-ins.")
        self.stdout.write(f"{PatientDay.objects.count()} tallies match the raw check-ins.")
