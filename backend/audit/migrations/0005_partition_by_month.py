"""On PostgreSQL the audit log becomes a table partitioned by month of ``at`` (issue #19).

The existing table is renamed, a partitioned one is created under its name (same columns,
the identity sequence continued), with a partition for every month from the oldest row's to
``AUDIT_PARTITIONS_AHEAD`` months ahead plus a DEFAULT partition; the rows are copied, then
the primary key (now ``(id, at)``: a partitioned table's keys must hold its partition key),
the indexes (defined on the parent, so every partition has its own), the foreign keys and
the append-only triggers (UPDATE/DELETE per row, and now TRUNCATE) are made, and the old
table is dropped. One transaction, with the table locked ACCESS EXCLUSIVE throughout: every
audited request waits until it ends (see audit/partitions.py and the report in
docs/SCALING.md for timings). The reverse rebuilds one plain table the same way. SQLite keeps
its one table: nothing happens there.

The conversion lives in ``audit.partitions`` (``convert_to_partitioned``) because the bench
times the same code on a large table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from audit.partitions import convert_to_partitioned, is_partitioned

    with schema_editor.connection.cursor() as cursor:
        if not is_partitioned(cursor):
            convert_to_partitioned(
                cursor, now=timezone.now(), ahead=settings.AUDIT_PARTITIONS_AHEAD
            )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from audit.partitions import convert_to_plain, is_partitioned

    with schema_editor.connection.cursor() as cursor:
        if is_partitioned(cursor):
            convert_to_plain(cursor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_client_request_id")]

    operations = [migrations.RunPython(forward, backward)]
