"""The audit log by month on PostgreSQL (issue #19): partitions made ahead of time, and the
months past retention archived to a checked file before they are dropped.

Every read of health data writes an audit row, so ``audit_auditevent`` outgrows every other
table. On PostgreSQL it is a table partitioned by range of ``at``, one partition per calendar
month in UTC (``audit_auditevent_y2026m12``), plus a DEFAULT partition (``…_default``) as a
safety net: a row whose month has no partition still goes in, never fails. ``ensure_partitions``
(run by the worker, at migrate time and by ``relief audit partitions``) keeps this month and
``AUDIT_PARTITIONS_AHEAD`` months after it in place, so the default partition stays empty;
should rows land there anyway (a worker down for months, a clock far off), the next run moves
them into their month's new partition before attaching it.

The primary key is (id, at): a partitioned table's unique keys must hold its partition key.
Django still reads ``pk`` as ``id``, which the identity sequence keeps unique.

Append-only, on the parent and on every partition: a row trigger refuses UPDATE and DELETE
(created on the parent, PostgreSQL clones it to each partition) and a statement trigger
refuses TRUNCATE (statement triggers are not cloned: each partition gets its own here).
Only ``archive_partition`` removes rows, with DDL (DETACH, DROP), and only after the month's
file is written, read back and checked against the partition.

SQLite keeps one table: nothing here runs there.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from audit.models import AuditEvent

PARENT = AuditEvent._meta.db_table
DEFAULT = f"{PARENT}_default"
FUNCTION = "audit_auditevent_append_only"  # migration 0002's: raises on any call
ROW_TRIGGER = "audit_auditevent_append_only"
TRUNCATE_TRIGGER = "audit_auditevent_no_truncate"
# One advisory lock for every change to the partitions (several workers run these jobs).
ADVISORY_LOCK = 0x61756469  # "audi"
# A DDL statement waits at most this long for its lock, then fails (the next run retries):
# a lock request queued behind a long query would otherwise hold up every audit insert.
LOCK_TIMEOUT = "5s"
_MONTHLY = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")


class ArchiveError(Exception):
    """An export that could not be written or did not check out: nothing was dropped."""


# ----------------------------------------------------------------------------- months


def month_of(moment: datetime) -> date:
    """The first day of ``moment``'s calendar month in UTC."""
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the month's first day; ValueError names the expected form."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise ValueError(f"a month is written YYYY-MM (such as 2026-12), not {text!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def _bounds(month: date) -> tuple[str, str]:
    """The month's range as timestamptz literals in UTC: [first instant, next month's)."""
    return f"{month:%Y-%m-%d} 00:00:00+00", f"{add_months(month, 1):%Y-%m-%d} 00:00:00+00"


# ----------------------------------------------------------------------------- catalog


@dataclass(frozen=True, order=True)
class Partition:
    month: date
    name: str


def is_partitioned(cursor: Any) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
    found = cursor.fetchone()
    return bool(found) and found[0] == "p"


def _children(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        [PARENT],
    )
    return [row[0] for row in cursor.fetchall()]


def monthly_partitions(cursor: Any) -> list[Partition]:
    """The monthly partitions, oldest first (the default partition is not among them)."""
    found = []
    for name in _children(cursor):
        if matched := _MONTHLY.match(name):
            found.append(Partition(date(int(matched[1]), int(matched[2]), 1), name))
    return sorted(found)


def _truncate_guard_enabled(cursor: Any) -> bool:
    """Whether the parent's TRUNCATE trigger is on (it always is, except in the test
    database, where pytest-django empties tables with TRUNCATE: tests/conftest.py)."""
    cursor.execute(
        "SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s",
        [PARENT, TRUNCATE_TRIGGER],
    )
    found = cursor.fetchone()
    return bool(found and found[0])


def _guard(cursor: Any, table: str, *, enabled: bool = True) -> None:
    """``table``'s own BEFORE TRUNCATE trigger (statement triggers are not cloned)."""
    cursor.execute(
        f'CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )
    if not enabled:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {TRUNCATE_TRIGGER}')


@contextmanager
def _locked(using: BaseDatabaseWrapper) -> Iterator[Any]:
    """A transaction holding the partitions' advisory lock, or None when another process
    holds it (it is doing the same work)."""
    with transaction.atomic(using=using.alias), using.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            yield None
            return
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        # Deferred foreign-key checks still pending in the caller's transaction (its own
        # inserts) would stop the ALTER, DETACH and DROP that follow: they run now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield cursor


# ----------------------------------------------------------------------------- ensure


@dataclass
class EnsureResult:
    created: list[str] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)  # rows taken out of the default
    default_created: bool = False
    # Rows in the default partition past the months kept ahead (a clock far in the future):
    # left there, reported; they are not lost and are in every query.
    stray: int = 0
    skipped: str = ""  # why nothing was done ("not partitioned", "another process…")


def _columns(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [PARENT],
    )
    return [row[0] for row in cursor.fetchall()]


def _create_partition(cursor: Any, month: date, *, move: bool, guarded: bool) -> int:
    """Make ``month``'s partition as its own table, move into it the month's rows that the
    default partition holds, and attach it. ATTACH takes SHARE UPDATE EXCLUSIVE on the
    parent (inserts and reads go on) and ACCESS EXCLUSIVE on the default partition only."""
    name = partition_name(month)
    low, high = _bounds(month)
    cursor.execute(f'CREATE TABLE "{name}" (LIKE {PARENT} INCLUDING DEFAULTS)')
    moved = 0
    if move:
        cols = ", ".join(f'"{c}"' for c in _columns(cursor))
        # The move is a DELETE, which the append-only trigger refuses: it is switched off on
        # the default partition for this transaction only (the ALTER locks that partition,
        # so no other session writes there meanwhile), and back on before the commit.
        cursor.execute(f"ALTER TABLE {DEFAULT} DISABLE TRIGGER {ROW_TRIGGER}")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE at >= %s AND at < %s "
            f'RETURNING {cols}) INSERT INTO "{name}" ({cols}) SELECT {cols} FROM moved',
            [low, high],
        )
        moved = cursor.rowcount
        cursor.execute(f"ALTER TABLE {DEFAULT} ENABLE TRIGGER {ROW_TRIGGER}")
    # The constraint lets ATTACH skip scanning the new table for rows outside the month.
    cursor.execute(
        f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_month" '
        f"CHECK (at >= '{low}' AND at < '{high}')"
    )
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{low}') TO ('{high}')"
    )
    cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_month"')
    _guard(cursor, name, enabled=guarded)
    return moved


def ensure_partitions(
    *, now: datetime, ahead: int, using: BaseDatabaseWrapper | None = None
) -> EnsureResult:
    """This month's partition and the ``ahead`` months after it exist, and so does the
    default partition; rows the default partition holds for any month up to the last of
    those move into that month's partition. Safe in several processes at once (one does
    the work, the others return ``skipped``); one transaction: all or nothing."""
    using = using or default_connection
    result = EnsureResult()
    if using.vendor != "postgresql":
        result.skipped = "not PostgreSQL: one table, no partitions"
        return result
    with _locked(using) as cursor:
        if cursor is None:
            result.skipped = "another process holds the partitions' lock"
            return result
        if not is_partitioned(cursor):
            result.skipped = f"{PARENT} is not partitioned (migrations not applied?)"
            return result
        guarded = _truncate_guard_enabled(cursor)
        if DEFAULT not in _children(cursor):
            cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT")
            _guard(cursor, DEFAULT, enabled=guarded)
            result.default_created = True
        existing = {p.month for p in monthly_partitions(cursor)}
        first = month_of(now)
        last = add_months(first, ahead)
        cursor.execute(
            f"SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date, count(*) "
            f"FROM {DEFAULT} GROUP BY 1"
        )
        in_default = dict(cursor.fetchall())
        result.stray = sum(n for month, n in in_default.items() if month > last)
        wanted = {add_months(first, i) for i in range(ahead + 1)}
        wanted |= {month for month in in_default if month <= last}
        for month in sorted(wanted - existing):
            moved = _create_partition(cursor, month, move=month in in_default, guarded=guarded)
            result.created.append(partition_name(month))
            if moved:
                result.moved[partition_name(month)] = moved
    return result


# ----------------------------------------------------------------------------- export


@dataclass
class Export:
    path: Path
    checksum_path: Path
    rows: int
    sha256: str  # of the .csv.gz file, as written beside it
    id_sum: int  # the rows' ids added up: checked against the database


def _export_query(cursor: Any, month: date) -> str:
    cols = ", ".join(f'"{c}"' for c in _columns(cursor))
    low, high = _bounds(month)
    return f"SELECT {cols} FROM {PARENT} WHERE at >= '{low}' AND at < '{high}' ORDER BY at, id"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_month(cursor: Any, month: date, directory: Path) -> Export:
    """The month's rows as gzip'd CSV (a header line, then one line per row in PostgreSQL's
    text forms, UTC times) in ``directory``, with its SHA-256 beside it in ``sha256sum``'s
    format; then read back from disk and checked (``verify_export``). Written to a
    ``.partial`` name first, synced, then renamed: a file under the final name is whole."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{partition_name(month)}.csv.gz"
    checksum_path = path.with_name(path.name + ".sha256")
    partial = path.with_name(path.name + ".partial")
    digest = hashlib.sha256()

    class _Hashing(io.RawIOBase):
        """The file object gzip writes to: hashes the compressed bytes on their way."""

        def __init__(self, raw: Any) -> None:
            self.raw = raw

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            digest.update(data)
            return self.raw.write(data)

    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    copy_sql = f"COPY ({_export_query(cursor, month)}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with open(partial, "wb") as raw:
        with (
            gzip.GzipFile(fileobj=_Hashing(raw), mode="wb", mtime=0) as gz,
            cursor.cursor.copy(copy_sql) as copy,
        ):
            for chunk in copy:
                gz.write(chunk)
        raw.flush()
        os.fsync(raw.fileno())
    sha = digest.hexdigest()
    os.replace(partial, path)
    checksum_partial = checksum_path.with_name(checksum_path.name + ".partial")
    checksum_partial.write_text(f"{sha}  {path.name}\n")
    with open(checksum_partial, "rb") as done:
        os.fsync(done.fileno())
    os.replace(checksum_partial, checksum_path)
    _fsync_dir(directory)
    rows, id_sum = verify_export(path)
    return Export(path=path, checksum_path=checksum_path, rows=rows, sha256=sha, id_sum=id_sum)


def verify_export(path: Path) -> tuple[int, int]:
    """Read ``path`` back from disk: its SHA-256 must be the one written beside it, it must
    decompress whole (gzip's CRC) and parse as CSV with the header first. Returns (rows,
    sum of ids); ArchiveError says what is wrong."""
    checksum_path = path.with_name(path.name + ".sha256")
    try:
        recorded = checksum_path.read_text().split()[0]
    except (OSError, IndexError) as exc:
        raise ArchiveError(f"{checksum_path}: no checksum ({exc})") from exc
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        while block := raw.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != recorded:
        raise ArchiveError(f"{path}: SHA-256 {digest.hexdigest()} is not the recorded {recorded}")
    rows = id_sum = 0
    try:
        with gzip.open(path, "rt", newline="", encoding="utf-8") as text:
            reader = csv.reader(text)
            header = next(reader)
            position = header.index("id")
            for record in reader:
                rows += 1
                id_sum += int(record[position])
    except (OSError, EOFError, ValueError, StopIteration, csv.Error) as exc:
        raise ArchiveError(f"{path}: does not read back ({exc!r})") from exc
    return rows, id_sum


# ----------------------------------------------------------------------------- archive


@dataclass
class ArchiveResult:
    partition: str
    month: date
    rows: int = 0
    path: Path | None = None
    sha256: str = ""
    dropped: bool = False


def past_retention(cursor: Any, *, now: datetime, months: int) -> list[Partition]:
    """Monthly partitions whose every row is older than ``months`` months before ``now``'s
    month began (so none of them is still within retention). ``months`` 0: none."""
    if months <= 0:
        return []
    cutoff = add_months(month_of(now), -months)
    return [p for p in monthly_partitions(cursor) if add_months(p.month, 1) <= cutoff]


def archive_partition(cursor: Any, partition: Partition, directory: Path) -> ArchiveResult:
    """Inside the caller's transaction: stop writes to the partition, export it, check the
    file against the partition (row count and id sum), then DETACH and DROP it. Any failure
    raises before the DDL, so the transaction rolls back with the partition attached."""
    result = ArchiveResult(partition=partition.name, month=partition.month)
    # SHARE: reads go on, nothing is written to the month while it is exported and checked.
    cursor.execute(f'LOCK TABLE "{partition.name}" IN SHARE MODE')
    cursor.execute(f'SELECT count(*), coalesce(sum(id), 0) FROM "{partition.name}"')
    rows, id_sum = cursor.fetchone()
    try:
        export = export_month(cursor, partition.month, directory)
    except ArchiveError:
        raise
    except Exception as exc:  # disk full, a directory that cannot be made, …
        raise ArchiveError(f"{partition.name}: export failed ({exc})") from exc
    if (export.rows, export.id_sum) != (rows, int(id_sum)):
        raise ArchiveError(
            f"{export.path}: {export.rows} rows (id sum {export.id_sum}) read back, the "
            f"partition holds {rows} (id sum {id_sum}); not dropped"
        )
    result.rows, result.path, result.sha256 = rows, export.path, export.sha256
    # DETACH takes ACCESS EXCLUSIVE on the parent (every insert waits for it): a short
    # moment, bounded by lock_timeout; the export above ran without it.
    cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{partition.name}"')
    cursor.execute(f'DROP TABLE "{partition.name}"')
    result.dropped = True
    return result


def archive_expired(
    *,
    now: datetime,
    months: int,
    directory: Path,
    dry_run: bool = False,
    using: BaseDatabaseWrapper | None = None,
) -> list[ArchiveResult]:
    """Archive every partition past retention, oldest first, each in a transaction of its
    own (one that fails stops the run and stays attached; those before it are done)."""
    using = using or default_connection
    if using.vendor != "postgresql":
        return []
    with using.cursor() as cursor:
        if not is_partitioned(cursor):
            return []
        due = past_retention(cursor, now=now, months=months)
    if dry_run:
        return [ArchiveResult(partition=p.name, month=p.month) for p in due]
    done = []
    for partition in due:
        try:
            with _locked(using) as cursor:
                if cursor is None:
                    break  # another process is archiving
                if partition.name not in _children(cursor):
                    continue  # archived by another process meanwhile
                done.append(archive_partition(cursor, partition, directory))
        except DatabaseError as exc:  # a lock not granted in time, …: rolled back
            raise ArchiveError(f"{partition.name}: {exc}".strip()) from exc
    return done


# ----------------------------------------------------------------------------- migration


def _index_definitions(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of ``table``'s indexes other than its primary key."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary ORDER BY c.relname",
        [table],
    )
    return [(name, definition.replace(" ON ONLY ", " ON ")) for name, definition in cursor]


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [table],
    )
    return list(cursor.fetchall())


def _swap(cursor: Any, *, old: str, partitioned: bool, months: list[date]) -> None:
    """Rebuild ``PARENT`` under its own name with the other layout: rename the table (and
    its sequence and indexes) to ``old``, create the new one, copy the rows, re-create the
    keys, indexes, foreign keys and triggers, drop the old one. One transaction; the table
    is locked ACCESS EXCLUSIVE throughout (writers and readers wait)."""
    cursor.execute(f"LOCK TABLE {PARENT} IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    indexes = _index_definitions(cursor, PARENT)
    foreign = _foreign_keys(cursor, PARENT)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [PARENT])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last_value, is_called = cursor.fetchone()
    next_id = last_value + 1 if is_called else last_value

    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {old}_id_seq")
    cursor.execute(f"ALTER TABLE {PARENT} RENAME TO {old}")
    cursor.execute(f"ALTER INDEX {PARENT}_pkey RENAME TO {old}_pkey")
    for name, _definition in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:55]}_old"')

    layout = " PARTITION BY RANGE (at)" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {PARENT} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY){layout}"
    )
    cursor.execute(f"ALTER TABLE {PARENT} ALTER COLUMN id RESTART WITH {int(next_id)}")
    if partitioned:
        for month in months:
            low, high = _bounds(month)
            cursor.execute(
                f'CREATE TABLE "{partition_name(month)}" PARTITION OF {PARENT} '
                f"FOR VALUES FROM ('{low}') TO ('{high}')"
            )
        cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT")
    # Columns in the same order (LIKE): the rows go across as they are, ids included.
    cursor.execute(f"INSERT INTO {PARENT} SELECT * FROM {old}")
    # Keys and indexes after the rows: one sorted build per partition, not row by row.
    key = "(id, at)" if partitioned else "(id)"
    cursor.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY {key}")
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign:
        cursor.execute(f'ALTER TABLE {PARENT} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {PARENT} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    if partitioned:
        for table in [PARENT, *_children(cursor)]:
            _guard(cursor, table)
    # No CASCADE: should anything ever depend on the old table (a view, a foreign key to
    # audit rows), the migration stops here rather than drop it silently.
    cursor.execute(f"DROP TABLE {old}")
    cursor.execute(f"ANALYZE {PARENT}")


def convert_to_partitioned(cursor: Any, *, now: datetime, ahead: int) -> list[date]:
    """The plain table rebuilt as a partitioned one: a partition for every month from the
    oldest row's to ``ahead`` months after ``now``'s, and the default partition. Returns the
    months."""
    cursor.execute(f"SELECT min(at), max(at) FROM {PARENT}")
    oldest, newest = cursor.fetchone()
    last = add_months(month_of(now), ahead)
    if newest is not None:
        last = max(last, month_of(newest))
    month = month_of(oldest) if oldest is not None else month_of(now)
    month = min(month, month_of(now))
    months = []
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    _swap(cursor, old=f"{PARENT}_unpartitioned", partitioned=True, months=months)
    return months


def convert_to_plain(cursor: Any) -> None:
    """The partitioned table rebuilt as one plain table (the migration's reverse)."""
    _swap(cursor, old=f"{PARENT}_partitioned", partitioned=False, months=[])
