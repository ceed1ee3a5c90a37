"""The audit log's upkeep from the command line (PostgreSQL; the worker does the same on
its own):

- ``relief audit partitions [--ahead N]``: make this month's partition and the N months
  after it (AUDIT_PARTITIONS_AHEAD), moving in any of their rows the default partition holds.
- ``relief audit archive [--dry-run]``: export each month past AUDIT_RETENTION_MONTHS to
  AUDIT_ARCHIVE_DIR (gzip'd CSV + SHA-256, read back and checked), then drop it.
- ``relief audit export --month YYYY-MM [--dir DIR]``: the same file for any month, nothing
  dropped (for an auditor, or a copy before a change).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from audit.partitions import (
    DEFAULT,
    ArchiveError,
    archive_expired,
    ensure_partitions,
    export_month,
    is_partitioned,
    parse_month,
    past_retention,
)


class Command(BaseCommand):
    help = "The audit log's monthly partitions: make them ahead, archive old ones, export one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        # Django's own parser class, so errors become CommandError (exit code 1).
        cli: Any = getattr(parser, "called_from_command_line", None)
        ahead = sub.add_parser(
            "partitions", help="Make the months ahead.", called_from_command_line=cli
        )
        ahead.add_argument(
            "--ahead",
            type=int,
            default=settings.AUDIT_PARTITIONS_AHEAD,
            help="Months after this one (default AUDIT_PARTITIONS_AHEAD).",
        )
        archive = sub.add_parser(
            "archive", help="Export, check, then drop old months.", called_from_command_line=cli
        )
        archive.add_argument(
            "--dry-run", action="store_true", help="Say which months would go; do nothing."
        )
        export = sub.add_parser(
            "export", help="Export one month to a file.", called_from_command_line=cli
        )
        export.add_argument("--month", required=True, help="YYYY-MM (UTC).")
        export.add_argument(
            "--dir",
            type=Path,
            default=settings.AUDIT_ARCHIVE_DIR,
            help="Where to write (default AUDIT_ARCHIVE_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The audit log is partitioned on PostgreSQL only; on SQLite it is one table."
            )
        with connection.cursor() as cursor:
            if not is_partitioned(cursor):
                raise CommandError("audit_auditevent is not partitioned: run `relief migrate`.")
        getattr(self, f"_{options['action']}")(options)

    def _partitions(self, options: dict[str, Any]) -> None:
        if options["ahead"] < 0:
            raise CommandError("--ahead must be 0 or more months.")
        result = ensure_partitions(now=timezone.now(), ahead=options["ahead"])
        if result.skipped:
            raise CommandError(f"Nothing done: {result.skipped}.")
        if result.default_created:
            self.stdout.write(f"Created {DEFAULT}.")
        for name in result.created:
            self.stdout.write(f"Created {name} ({result.moved.get(name, 0)} rows moved in).")
        if not result.created and not result.default_created:
            self.stdout.write(f"Every partition to {options['ahead']} months ahead exists.")
        if result.stray:
            self.stderr.write(
                f"{result.stray} rows are dated after those months; they stay in {DEFAULT}."
            )

    def _archive(self, options: dict[str, Any]) -> None:
        months = settings.AUDIT_RETENTION_MONTHS
        directory = settings.AUDIT_ARCHIVE_DIR
        if months == 0:
            self.stdout.write("AUDIT_RETENTION_MONTHS is 0: audit rows are kept forever.")
            return
        now = timezone.now()
        if options["dry_run"]:
            with connection.cursor() as cursor:
                due = past_retention(cursor, now=now, months=months)
            for partition in due:
                self.stdout.write(
                    f"Would archive {partition.name} ({partition.month:%Y-%m}) to {directory}."
                )
            if not due:
                self.stdout.write(f"No month is older than {months} months.")
            return
        try:
            done = archive_expired(now=now, months=months, directory=directory)
        except ArchiveError as exc:
            raise CommandError(f"{exc}. That month stays in the database.") from exc
        for result in done:
            self.stdout.write(
                f"Archived {result.partition}: {result.rows} rows to {result.path} "
                f"(sha256 {result.sha256}), checked, then dropped."
            )
        if not done:
            self.stdout.write(f"No month is older than {months} months.")

    def _export(self, options: dict[str, Any]) -> None:
        try:
            month = parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(f"--month: {exc}") from exc
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                export = export_month(cursor, month, options["dir"])
        except (ArchiveError, OSError) as exc:
            raise CommandError(f"Export failed: {exc}") from exc
        self.stdout.write(
            f"Exported {export.rows} rows of {month:%Y-%m} to {export.path} "
            f"(sha256 {export.sha256}, in {export.checksum_path.name})."
        )
