"""Per (patient, local date, visit) tallies of check-ins, kept in the writing transaction.

Every write that adds, edits, deletes or re-places check-ins calls :func:`days_recount`
with the patient and the local dates it touched (for an edit: the old date and the new),
under the patient's lock that every such write holds already. The recount deletes those
dates' ``PatientDay`` rows and inserts them again from the raw check-ins: two statements
for any number of dates, never a delta that could drift, and a check-in's own local date
is read from the row, not recomputed, so a later timezone change of the patient moves
nothing (exactly as the check-ins' stored local dates).

New check-ins (the hot path) are added instead, by whatever inserts them
(``diary.bulk_insert``): :func:`days_add`, one upsert, or on PostgreSQL
:func:`days_add_ctes` inside the INSERT itself. Sums and counts of whole numbers, so adding
is as exact as counting again.

The write paths: ``diary.actions.save`` (the PUT: a create adds in its insert, an edit
recounts), ``diary.actions.delete`` (recounts), ``diary.actions.sync`` (the batch: creates
add in ``bulk_insert``, edits recount) and ``diary.placement.entries_reassign`` (a visit
created or moved re-places check-ins; the dates of those that moved are recounted). The
demo seeder and the test factories write through these. Anything that writes
``diary_entry`` around them (a bulk COPY in a benchmark, a restore) must run
:func:`days_rebuild`; ``relief aggregates check`` finds what it missed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from diary.models import Bruising, Entry, PatientDay

_ENTRY, _DAY = Entry._meta, PatientDay._meta
_KEY_AND_SUMS = ("patient_id", "local_date", "visit_id", "day")
_SUMS = ("pain_sum", "soreness_sum", "entries", "large_bruising")


def _tally_select(
    connection: BaseDatabaseWrapper, where: str, source: str | None = None, *, one: bool = False
) -> str:
    """The tally rows, in ``PatientDay``'s columns, of the live check-ins ``where`` selects,
    or of the rows of ``source`` (a CTE returning new check-ins' columns, all live).
    ``one``: ``source`` returns at most one row, which is its own tally (no GROUP BY: on the
    check-in hot path the grouping costs more than the upsert)."""
    quote = connection.ops.quote_name
    e = {f.attname: quote(str(f.column)) for f in _ENTRY.concrete_fields}
    if source is None:
        source, where = quote(_ENTRY.db_table), f"{e['deleted_at']} IS NULL AND ({where})"
    key = f"{e['patient_id']}, {e['local_date']}, {e['visit_id']}, {e['day']}"
    large = f"CASE WHEN {e['bruising']} = '{Bruising.LARGE.value}' THEN 1 ELSE 0 END"
    if one:
        return f"SELECT {key}, {e['pain']}, {e['soreness']}, 1, {large} FROM {source} WHERE {where}"
    return (
        f"SELECT {key}, SUM({e['pain']}), SUM({e['soreness']}), COUNT(*), SUM({large})"
        f" FROM {source} WHERE {where} GROUP BY {key}"
    )


# A key with a visit and one without each have their own unique index (NULLs are distinct
# in the first): the conflict target of an upsert of either kind.
_CONFLICT_TARGET = {
    True: "(patient_id, local_date, visit_id)",
    False: "(patient_id, local_date) WHERE visit_id IS NULL",
}


def _upsert(connection: BaseDatabaseWrapper, rows: str, *, with_visit: bool) -> str:
    """INSERT the tally ``rows`` (a SELECT or VALUES in ``PatientDay``'s columns), adding
    to the sums of a key that is there already."""
    table = connection.ops.quote_name(_DAY.db_table)
    sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in _SUMS)
    return (
        f"{_insert_into(connection)}{rows}"
        f" ON CONFLICT {_CONFLICT_TARGET[with_visit]} DO UPDATE SET {sums}"
    )


def _day_field(attname: str) -> Field[Any, Any]:
    """``PatientDay``'s field of a column's attribute name (``visit_id``: ``visit``)."""
    field = _DAY.get_field(attname.removesuffix("_id"))
    assert isinstance(field, Field)
    return field


def _insert_into(connection: BaseDatabaseWrapper) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(_day_field(name).column)) for name in (*_KEY_AND_SUMS, *_SUMS))
    return f"INSERT INTO {quote(_DAY.db_table)} ({columns}) "


def _connection() -> BaseDatabaseWrapper:
    return connections[router.db_for_write(PatientDay)]


_RECOUNT_SQL: dict[tuple[str, int], tuple[str, str]] = {}


def _recount_sql(connection: BaseDatabaseWrapper, dates: int) -> tuple[str, str]:
    """The two statements for ``dates`` local dates, written once per vendor and count (the
    check-in's hot path: one date)."""
    sql = _RECOUNT_SQL.get((connection.vendor, dates))
    if sql is None:
        quote = connection.ops.quote_name
        marks = ", ".join(["%s"] * dates)
        patient, local = quote("patient_id"), quote("local_date")
        delete = f"DELETE FROM {quote(_DAY.db_table)} WHERE {patient} = %s AND {local} IN ({marks})"
        # felt_at narrows the scan to the patient's index on (patient, -felt_at): whatever
        # zone a local date was taken in, its instants lie within a day either side of it.
        felt = quote(str(_ENTRY.get_field("felt_at").column))
        insert = _insert_into(connection) + _tally_select(
            connection,
            f"{patient} = %s AND {felt} >= %s AND {felt} < %s AND {local} IN ({marks})",
        )
        sql = _RECOUNT_SQL[(connection.vendor, dates)] = (delete, insert)
    return sql


def days_recount(*, patient_id: Any, local_dates: Iterable[date | None]) -> None:
    """Count again the tallies of one patient's ``local_dates`` from the raw check-ins.

    Called in the writing transaction, under the patient's lock (``lock_patient``), after
    the check-ins are written: the rows it leaves are exactly what :func:`days_rebuild`
    would make for those dates. ``None`` dates are skipped (an entry not yet placed)."""
    dates = sorted({d for d in local_dates if d is not None})
    if not dates:
        return
    connection = _connection()
    delete, insert = _recount_sql(connection, len(dates))
    patient = _DAY.get_field("patient").get_db_prep_value(patient_id, connection)
    local = _DAY.get_field("local_date")
    values = [local.get_db_prep_value(d, connection) for d in dates]
    felt = _ENTRY.get_field("felt_at")
    low = datetime.combine(dates[0] - timedelta(days=1), time.min, tzinfo=UTC)
    high = datetime.combine(dates[-1] + timedelta(days=2), time.min, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(delete, [patient, *values])
        cursor.execute(
            insert,
            [
                patient,
                felt.get_db_prep_value(low, connection),
                felt.get_db_prep_value(high, connection),
                *values,
            ],
        )


class _NewCheckIn(Protocol):
    """An ``Entry`` or a batch's ``NewEntry``, as inserted (read-only here)."""

    @property
    def patient_id(self) -> Any: ...
    @property
    def local_date(self) -> date | None: ...
    @property
    def visit_id(self) -> Any: ...
    @property
    def day(self) -> int | None: ...
    @property
    def pain(self) -> int: ...
    @property
    def soreness(self) -> int: ...
    @property
    def bruising(self) -> str: ...


_ADD_SQL: dict[tuple[str, bool, int], str] = {}


def _add_sql(connection: BaseDatabaseWrapper, with_visit: bool, rows: int) -> str:
    """INSERT ... ON CONFLICT DO UPDATE adding to the sums, for ``rows`` keys with or without
    a visit (each has its own unique index to conflict on)."""
    sql = _ADD_SQL.get((connection.vendor, with_visit, rows))
    if sql is None:
        if connection.vendor == "postgresql":
            # The keys as one JSON text, whatever their number: one parameter to send (eight
            # arrays of 125 keys cost more to quote than the upsert takes to run), the same
            # statement text for 1 or 500 keys.
            record = ", ".join(
                f"{name} {_day_field(name).db_type(connection)}"
                for name in (*_KEY_AND_SUMS, *_SUMS)
            )
            values = f"SELECT * FROM json_to_recordset(%s::json) AS new({record})"
        else:
            values = "VALUES " + ", ".join(["(" + ", ".join(["%s"] * 8) + ")"] * rows)
        sql = _ADD_SQL[(connection.vendor, with_visit, rows)] = _upsert(
            connection, values, with_visit=with_visit
        )
    return sql


def days_add(entries: Iterable[_NewCheckIn]) -> None:
    """Add newly inserted check-ins (of one patient or many) to their tallies: one upsert
    per kind of key, no read of the raw rows (the check-in hot path). Sums of whole
    numbers, so the result is exactly what :func:`days_recount` would leave; only for
    inserts (an edit or a delete recounts)."""
    keys: dict[tuple[Any, ...], list[int]] = {}
    for entry in entries:
        sums = keys.setdefault(
            (entry.patient_id, entry.local_date, entry.visit_id, entry.day), [0, 0, 0, 0]
        )
        sums[0] += entry.pain
        sums[1] += entry.soreness
        sums[2] += 1
        sums[3] += entry.bruising == Bruising.LARGE
    if not keys:
        return
    connection = _connection()
    names = (*_KEY_AND_SUMS, *_SUMS)
    with connection.cursor() as cursor:
        for with_visit in (False, True):
            chosen = [
                (*key, *sums) for key, sums in keys.items() if (key[2] is not None) == with_visit
            ]
            if not chosen:
                continue
            if connection.vendor == "postgresql":
                # UUIDs and dates as their text, which the record's types read back.
                rows = json.dumps([dict(zip(names, row, strict=True)) for row in chosen],
                                  default=str)  # fmt: skip
                cursor.execute(_add_sql(connection, with_visit, 0), [rows])
            else:
                prep = [_day_field(name).get_db_prep_value for name in names]
                cursor.execute(
                    _add_sql(connection, with_visit, len(chosen)),
                    [p(v, connection) for row in chosen for p, v in zip(prep, row, strict=True)],
                )


_CTES_SQL: dict[tuple[str, str, frozenset[bool], bool], str] = {}


def days_add_ctes(
    connection: BaseDatabaseWrapper, source: str, entries: Sequence[_NewCheckIn]
) -> str:
    """PostgreSQL: the CTEs that add the check-ins a preceding data-modifying CTE named
    ``source`` returned (``RETURNING`` patient_id, local_date, visit_id, day, pain,
    soreness, bruising) to their tallies, as :func:`days_add` does: the check-in's INSERT
    and its tally in one statement (the hot path saves a round trip). ``entries`` are the
    rows being inserted: only the kinds of key they have get a CTE (a key with a visit and
    one without conflict on different indexes), and a single check-in is its own tally."""
    kinds = frozenset(entry.visit_id is not None for entry in entries)
    one = len(entries) == 1
    # Written once per shape, as _recount_sql and _add_sql are: every check-in's PUT asks.
    sql = _CTES_SQL.get((connection.vendor, source, kinds, one))
    if sql is None:
        sql = _CTES_SQL[(connection.vendor, source, kinds, one)] = ", ".join(
            f"{name} AS ("
            + _upsert(
                connection,
                _tally_select(connection, f"visit_id {where}", source, one=one),
                with_visit=with_visit,
            )
            + ")"
            for name, where, with_visit in (
                ("tallies_with_visit", "IS NOT NULL", True),
                ("tallies_no_visit", "IS NULL", False),
            )
            if with_visit in kinds
        )
    return sql


def days_rebuild() -> int:
    """Every tally again from the raw check-ins (after a bulk load around the services, or
    to repair what ``days_mismatches`` found); the number of rows. Call it in a transaction:
    the cohort reads an empty table in between otherwise."""
    connection = _connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(_DAY.db_table)}")
        cursor.execute(_insert_into(connection) + _tally_select(connection, "1 = 1"))
        return int(cursor.rowcount)


def days_mismatches(*, limit: int = 20) -> tuple[int, list[dict[str, Any]]]:
    """How many tallies differ from a count of the raw check-ins (missing, extra or other
    sums), and up to ``limit`` of them: each a key with the kept and the counted sums."""
    kept = {
        tuple(row[:4]): tuple(row[4:])
        for row in PatientDay.objects.values_list(*_KEY_AND_SUMS, *_SUMS).iterator()
    }
    connection = connections[router.db_for_read(Entry)]
    patient, local, visit = (_day_field(name) for name in ("patient_id", "local_date", "visit_id"))
    with connection.cursor() as cursor:
        cursor.execute(_tally_select(connection, "1 = 1"))
        counted = {}
        for row in cursor.fetchall():
            key = (
                patient.to_python(row[0]),
                local.to_python(row[1]),
                None if row[2] is None else visit.to_python(row[2]),
                row[3],
            )
            counted[key] = tuple(int(value) for value in row[4:])
    wrong = sorted(
        (key for key in kept.keys() | counted.keys() if kept.get(key) != counted.get(key)),
        key=str,
    )
    return len(wrong), [
        {
            "patient_id": str(key[0]),
            "local_date": key[1].isoformat(),
            "visit_id": None if key[2] is None else str(key[2]),
            "day": key[3],
            "kept": kept.get(key),
            "counted": counted.get(key),
        }
        for key in wrong[:limit]
    ]
