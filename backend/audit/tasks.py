"""The audit log's periodic jobs (registered in ``audit.apps``; ``relief worker`` runs them).

Both are safe in several workers at once (one advisory lock; the others skip) and neither
assumes it ran last time: each looks at the partitions as they are.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings

from audit.partitions import archive_expired, ensure_partitions

logger = logging.getLogger("relief.audit")

# How often a worker checks; the work itself happens about once a month (a new month's
# partition, a month passing retention), and each check is a few catalog queries.
PARTITIONS_EVERY = 3600
ARCHIVE_EVERY = 24 * 3600


def audit_partitions_job(*, now: datetime) -> None:
    if not settings.AUDIT_WORKER_MAINTENANCE:
        return  # cron runs `relief audit partitions`
    result = ensure_partitions(now=now, ahead=settings.AUDIT_PARTITIONS_AHEAD)
    for name in result.created:
        logger.info(
            "audit partition %s created (%d rows moved in)", name, result.moved.get(name, 0)
        )
    if result.stray:
        logger.warning(
            "%d audit rows are dated past the months kept ahead; they wait in the default "
            "partition (a clock far off?)",
            result.stray,
        )


def audit_archive_job(*, now: datetime) -> None:
    if not settings.AUDIT_WORKER_MAINTENANCE:
        return  # cron runs `relief audit archive` where the archive is kept
    for done in archive_expired(
        now=now, months=settings.AUDIT_RETENTION_MONTHS, directory=settings.AUDIT_ARCHIVE_DIR
    ):
        logger.info(
            "audit partition %s archived: %d rows to %s (sha256 %s), then dropped",
            done.partition,
            done.rows,
            done.path,
            done.sha256,
        )
