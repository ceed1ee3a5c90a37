"""Check-ins into the database without writing an id twice: the insert paths of a
single check-in (``entry_save``) and of a batch (``entries_sync``). Whatever they insert
they add to its day's tally (``diary.tallies``) in the same transaction."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.models import User
from core.bulk import copy_rows
from diary.models import Entry
from diary.tallies import days_add, days_add_ctes


@dataclass(slots=True)
class NewEntry:
    """A check-in a batch creates, as the row it becomes: the values ``Entry(...)`` would
    hold, by column, without building a model instance for each of up to 500 (that and the
    ORM's per-field preparation were a third of a batch's CPU)."""

    id: uuid.UUID
    patient: User
    felt_at: datetime
    pain: int
    soreness: int
    bruising: str
    iced: bool
    heated: bool
    strenuous_activity: bool
    notes: str
    recorded_at: datetime
    local_date: date | None = None
    visit_id: uuid.UUID | None = None
    day: int | None = None
    version: int = 1
    deleted_at: datetime | None = None

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def patient_id(self) -> uuid.UUID:
        return self.patient.pk

    @property
    def updated_at(self) -> datetime:
        return self.recorded_at


def _max_params(connection: BaseDatabaseWrapper) -> int:
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old 999; the library in use says its real limit.
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def insert_skipping_existing(entries: Sequence[Entry | NewEntry]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id: the ids this call inserted.

    Django's ``bulk_create(ignore_conflicts=True)`` does not say which rows were skipped,
    and that is exactly what tells a create from a lost race. PostgreSQL waits for a
    concurrent uncommitted insert of the same id and then skips it; SQLite (3.35+) takes
    the write lock for the whole transaction, so it never races.
    """
    if not entries:
        return set()
    connection = connections[router.db_for_write(Entry)]
    quote = connection.ops.quote_name
    fields = list(Entry._meta.concrete_fields)
    pk_column = quote(str(Entry._meta.pk.column))
    columns = ", ".join(quote(str(field.column)) for field in fields)
    table = quote(Entry._meta.db_table)
    conflict = f"ON CONFLICT ({pk_column}) DO NOTHING RETURNING {pk_column}"

    if connection.vendor == "postgresql":
        # One array per column: the statement's text (and psycopg's parse of it) is the same
        # for 1 or 500 rows, where a VALUES list of 500 rows costs more to build than to run.
        # The rows inserted are added to their tallies in the same statement.
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        returning = f"{conflict}, patient_id, local_date, visit_id, day, pain, soreness, bruising"
        statements = [
            (
                f"WITH inserted_rows AS (INSERT INTO {table} ({columns})"
                f" SELECT * FROM unnest({arrays}) {returning}),"
                f" {days_add_ctes(connection, 'inserted_rows', entries)}"
                f" SELECT {pk_column} FROM inserted_rows",
                # NewEntry stands in for an Entry here: pre_save reads only its attributes.
                [[field.get_db_prep_save(field.pre_save(e, True), connection) for e in entries]  # type: ignore[arg-type]
                 for field in fields],
            )
        ]  # fmt: skip
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, _max_params(connection) // len(fields))
        chunks = [entries[i : i + per_statement] for i in range(0, len(entries), per_statement)]
        statements = [
            (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))} {conflict}",
                [field.get_db_prep_save(field.pre_save(e, True), connection)  # type: ignore[arg-type]
                 for e in chunk for field in fields],
            )
            for chunk in chunks
        ]  # fmt: skip
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            inserted.update(Entry._meta.pk.to_python(value) for (value,) in cursor.fetchall())
    if connection.vendor != "postgresql":
        days_add(entry for entry in entries if entry.pk in inserted)
    return inserted


def insert_new(entries: list[NewEntry]) -> set[uuid.UUID]:
    """A batch's new entries; the ids it inserted, as ``insert_skipping_existing``.

    On PostgreSQL one binary COPY, in a savepoint: the patient is locked and the batch's
    ids were read, so an id can only be there already if another patient's transaction
    committed it since; COPY then fails on the primary key, and the savepoint's rollback
    leaves the INSERT ... ON CONFLICT DO NOTHING to tell which rows were taken.
    """
    connection = connections[router.db_for_write(Entry)]
    if not entries or connection.vendor != "postgresql":
        return insert_skipping_existing(entries)
    fields = Entry._meta.concrete_fields
    columns = [(str(field.column), str(field.db_type(connection))) for field in fields]
    names = [field.attname for field in fields]
    try:
        with transaction.atomic(using=connection.alias):
            copy_rows(
                connection,
                Entry._meta.db_table,
                columns,
                ([getattr(entry, name) for name in names] for entry in entries),
            )
    except IntegrityError:
        return insert_skipping_existing(entries)
    days_add(entries)
    return {entry.id for entry in entries}
