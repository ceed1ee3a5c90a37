"""Migration 0005 on a database that already has audit rows (PostgreSQL), both ways; and
what the partition commands say on SQLite, which keeps one table."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.partitions import DEFAULT, PARENT, TRUNCATE_TRIGGER, ensure_partitions
from tests.audit.guard import set_truncate_guard
from tests.factories import PatientFactory, PhysicianFactory

COLUMNS = (
    "id, at, actor_id, actor_role, action, resource, object_id, patient_id, request_id, "
    "client_request_id, client_address, outcome"
)


def _sql(query: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall()) if cursor.description else []


def _insert(at: str, patient: Any, actor: Any) -> None:
    _sql(
        f"INSERT INTO {PARENT} (at, actor_id, actor_role, action, resource, object_id, "
        "patient_id, request_id, client_request_id, client_address, outcome) VALUES "
        "(%s, %s, 'physician', 'read', 'entry', '42', %s, gen_random_uuid(), 'req-1', "
        "'2001:db8::1', 'allowed')",
        [at, actor.pk, patient.pk],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # migrations run outside the test's transaction
def test_the_migration_keeps_every_row_and_its_id_both_ways():
    patient, physician = PatientFactory(), PhysicianFactory()
    try:
        call_command("migrate", "audit", "0004", verbosity=0)
        assert _sql("SELECT relkind FROM pg_class WHERE relname = %s", [PARENT]) == [("r",)]
        for at in ("2024-02-29 23:59:59.5+00", "2024-03-01 00:00:00+00", "2025-12-31 12:00+00"):
            _insert(at, patient, physician)
        before = _sql(f"SELECT {COLUMNS} FROM {PARENT} ORDER BY id")

        call_command("migrate", "audit", verbosity=0)

        assert _sql("SELECT relkind FROM pg_class WHERE relname = %s", [PARENT]) == [("p",)]
        assert _sql(f"SELECT {COLUMNS} FROM {PARENT} ORDER BY id") == before
        assert [row[0] for row in _sql(
            f"SELECT tableoid::regclass::text FROM {PARENT} ORDER BY id"
        )] == [
            "audit_auditevent_y2024m02", "audit_auditevent_y2024m03", "audit_auditevent_y2025m12",
        ]  # fmt: skip
        # A partition for every month from the oldest row's on, and the default partition.
        names = {name for (name,) in _sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass", [PARENT]
        )}  # fmt: skip
        assert {"audit_auditevent_y2024m02", "audit_auditevent_y2024m11", DEFAULT} <= names
        # The identity goes on from where it was; production's guards are all on.
        _insert("2025-12-31 13:00+00", patient, physician)
        assert _sql(f"SELECT max(id) FROM {PARENT}") == [(before[-1][0] + 1,)]
        assert _sql(
            "SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname = %s", [TRUNCATE_TRIGGER]
        ) == [("O",)]
        assert _sql("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [TRUNCATE_TRIGGER]) == [
            (len(names) + 1,)
        ]
        after = _sql(f"SELECT {COLUMNS} FROM {PARENT} ORDER BY id")

        call_command("migrate", "audit", "0004", verbosity=0)
        assert _sql("SELECT relkind FROM pg_class WHERE relname = %s", [PARENT]) == [("r",)]
        assert _sql(f"SELECT {COLUMNS} FROM {PARENT} ORDER BY id") == after
        assert _sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype IN ('p', 'f') ORDER BY contype DESC, conname",
            [PARENT],
        ) == [
            ("PRIMARY KEY (id)",),
            ("FOREIGN KEY (actor_id) REFERENCES accounts_user(id) DEFERRABLE INITIALLY DEFERRED",),
            (
                "FOREIGN KEY (patient_id) REFERENCES accounts_user(id) DEFERRABLE INITIALLY DEFERRED",
            ),
        ]
    finally:
        call_command("migrate", "audit", verbosity=0)
        # The test database's exception (tests/audit/guard.py), for the flush after this test.
        set_truncate_guard(enabled=False)


@pytest.mark.django_db
def test_on_sqlite_the_audit_log_is_one_table_and_the_commands_say_so():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert ensure_partitions(now=datetime.now(UTC), ahead=3).skipped == (
        "not PostgreSQL: one table, no partitions"
    )
    for args in (("partitions",), ("archive",), ("export", "--month", "2026-01")):
        with pytest.raises(CommandError, match="partitioned on PostgreSQL only"):
            call_command("audit", *args, stdout=io.StringIO())
