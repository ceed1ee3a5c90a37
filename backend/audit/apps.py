from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Migrating also makes the months ahead (the migration made those of its own day)."""
    from django.conf import settings
    from django.utils import timezone

    from audit.partitions import ensure_partitions

    ensure_partitions(
        now=timezone.now(), ahead=settings.AUDIT_PARTITIONS_AHEAD, using=connections[using]
    )


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit.tasks import (
            ARCHIVE_EVERY,
            PARTITIONS_EVERY,
            audit_archive_job,
            audit_partitions_job,
        )
        from core import periodic

        periodic.register("audit-partitions", audit_partitions_job, every_seconds=PARTITIONS_EVERY)
        periodic.register("audit-archive", audit_archive_job, every_seconds=ARCHIVE_EVERY)
        post_migrate.connect(_ensure_after_migrate, sender=self, dispatch_uid="audit-partitions")
