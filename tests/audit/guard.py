"""The test database's one exception to the audit log's guarantees.

pytest-django empties the database after each transactional test (``transaction=True``,
live servers) with ``TRUNCATE`` of every table, and on PostgreSQL the audit log refuses
TRUNCATE (a statement trigger on the parent and on each partition). In the TEST database
only, those TRUNCATE triggers are switched off once, when it is made (tests/conftest.py);
partitions made later follow the parent's state (``audit.partitions._guard``). The UPDATE
and DELETE triggers stay on, and production databases never run this.
"""

from __future__ import annotations

from django.db import connection

from audit.partitions import TRUNCATE_TRIGGER


def set_truncate_guard(*, enabled: bool) -> None:
    """Switch the audit log's TRUNCATE triggers on or off (parent and every partition)."""
    if connection.vendor != "postgresql":
        return
    switch = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s",
            [TRUNCATE_TRIGGER],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" {switch} TRIGGER {TRUNCATE_TRIGGER}')
