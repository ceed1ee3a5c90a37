"""The audit log by month on PostgreSQL (issue #19): the migration, the partitions made ahead,
append-only on every partition, and the archive of months past retention."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.partitions import (
    DEFAULT,
    PARENT,
    ROW_TRIGGER,
    TRUNCATE_TRIGGER,
    ArchiveError,
    archive_expired,
    ensure_partitions,
    export_month,
    monthly_partitions,
    partition_name,
    verify_export,
)
from audit.services import audit_record
from audit.tasks import audit_partitions_job
from core import periodic
from tests.audit.guard import set_truncate_guard
from tests.factories import link

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

COLUMNS = (
    "id, at, actor_id, actor_role, action, resource, object_id, patient_id, request_id, "
    "client_request_id, client_address, outcome"
)


def _sql(query: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall()) if cursor.description else []


def _where(row_id: int) -> str:
    return _sql(f"SELECT tableoid::regclass::text FROM {PARENT} WHERE id = %s", [row_id])[0][0]


def _row(at: datetime, patient: User | None = None, actor: User | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        actor=actor,
        actor_role=actor.role if actor else "",
        action="read",
        resource="entry",
        object_id="7",
        patient=patient,
        client_address="192.0.2.1",
        outcome="allowed",
    )


def _tables() -> set[str]:
    return {name for (name,) in _sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)", [PARENT]
    )}  # fmt: skip


def _triggers(table: str) -> dict[str, str]:
    return dict(_sql(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
        "AND NOT tgisinternal", [table]
    ))  # fmt: skip


# ----------------------------------------------------------------------------- layout


def test_the_audit_log_is_partitioned_by_month_with_a_default_partition():
    kind, key = _sql(
        "SELECT c.relkind, pg_get_partkeydef(c.oid) FROM pg_class c WHERE c.oid = %s::regclass",
        [PARENT],
    )[0]
    assert (kind, key) == ("p", "RANGE (at)")
    now = datetime.now(UTC)
    this_month = partition_name(date(now.year, now.month, 1))
    assert {this_month, DEFAULT} <= _tables()
    # The primary key holds the partition key; Django's pk is still id.
    assert _sql(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'p'",
        [PARENT],
    ) == [("PRIMARY KEY (id, at)",)]
    assert AuditEvent._meta.pk.name == "id"
    # Every partition has the per-patient and per-actor indexes, and both triggers (on).
    for table in _tables():
        indexes = {d.split(" USING btree ")[1] for (d,) in _sql(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table]
        )}  # fmt: skip
        assert indexes == {"(id, at)", "(patient_id, at DESC)", "(actor_id, at DESC)", "(at)"}
        assert set(_triggers(table)) == {ROW_TRIGGER, TRUNCATE_TRIGGER}
        assert _triggers(table)[ROW_TRIGGER] == "O"


def test_rows_land_in_their_months_partition_whichever_way_they_are_written(
    physician: User, patient: User, client_for: Any
):
    ensure_partitions(now=datetime(2031, 5, 1, tzinfo=UTC), ahead=0)
    in_may = _row(datetime(2031, 5, 31, 23, 59, 59, tzinfo=UTC), patient)
    in_june = _row(datetime(2031, 6, 1, 0, 0, tzinfo=UTC), patient)  # no partition yet
    assert _where(in_may.id) == "audit_auditevent_y2031m05"
    assert _where(in_june.id) == DEFAULT
    # The application's own insert path (one INSERT … unnest, and COPY from 20 rows).
    audit_record(audit=AuditContext.system(physician), action="read", resource="entry",
                 patient_ids=[patient.pk])  # fmt: skip
    many = [uuid.uuid4() for _ in range(25)]
    User.objects.bulk_create(
        User(id=pk, email=f"{pk}@example.org", role="patient", display_name="x") for pk in many
    )
    audit_record(audit=AuditContext.system(physician), action="list", resource="patient",
                 patient_ids=many)  # fmt: skip
    now = datetime.now(UTC)
    current = partition_name(date(now.year, now.month, 1))
    assert _sql(
        f"SELECT tableoid::regclass::text, count(*) FROM {PARENT} WHERE actor_id = %s GROUP BY 1",
        [physician.pk],
    ) == [(current, 26)]


# ----------------------------------------------------------------------------- ensure


def test_ensure_makes_this_month_and_the_months_ahead_once():
    result = ensure_partitions(now=datetime(2031, 11, 20, tzinfo=UTC), ahead=2)
    assert result.created == [
        "audit_auditevent_y2031m11",
        "audit_auditevent_y2031m12",
        "audit_auditevent_y2032m01",
    ]
    assert (result.moved, result.stray, result.skipped) == ({}, 0, "")
    assert _sql(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
        "WHERE c.relname = 'audit_auditevent_y2031m12'"
    ) == [("FOR VALUES FROM ('2031-12-01 00:00:00+00') TO ('2032-01-01 00:00:00+00')",)]
    # A new partition is guarded like the others; in this test database its TRUNCATE
    # trigger follows the parent's (off: tests/audit/guard.py).
    assert _triggers("audit_auditevent_y2032m01") == {ROW_TRIGGER: "O", TRUNCATE_TRIGGER: "D"}
    again = ensure_partitions(now=datetime(2031, 11, 30, tzinfo=UTC), ahead=2)
    assert again.created == []


def test_a_new_partition_is_truncate_guarded_when_the_parent_is():
    set_truncate_guard(enabled=True)  # as in production (rolled back with the test)
    ensure_partitions(now=datetime(2033, 3, 1, tzinfo=UTC), ahead=0)
    assert _triggers("audit_auditevent_y2033m03") == {ROW_TRIGGER: "O", TRUNCATE_TRIGGER: "O"}


def test_rows_caught_by_the_default_partition_move_into_their_new_month(patient: User):
    early = _row(datetime(2031, 7, 2, 8, tzinfo=UTC), patient)
    late = _row(datetime(2031, 7, 31, 23, 59, tzinfo=UTC), patient)
    far = _row(datetime(2040, 1, 1, tzinfo=UTC), patient)
    before = _sql(f"SELECT {COLUMNS} FROM {PARENT} WHERE patient_id = %s ORDER BY id", [patient.pk])
    assert {_where(r.id) for r in (early, late, far)} == {DEFAULT}

    result = ensure_partitions(now=datetime(2031, 6, 15, tzinfo=UTC), ahead=1)

    assert result.created == ["audit_auditevent_y2031m06", "audit_auditevent_y2031m07"]
    assert result.moved == {"audit_auditevent_y2031m07": 2}
    assert result.stray == 1  # 2040: past the months ahead, it waits in the default
    assert [_where(r.id) for r in (early, late, far)] == ["audit_auditevent_y2031m07"] * 2 + [
        DEFAULT
    ]
    after = _sql(f"SELECT {COLUMNS} FROM {PARENT} WHERE patient_id = %s ORDER BY id", [patient.pk])
    assert after == before
    # The default partition is append-only again after the move.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(f"DELETE FROM {DEFAULT}")


def test_the_worker_job_makes_the_months_ahead_unless_told_not_to(settings: Any):
    settings.AUDIT_PARTITIONS_AHEAD = 1
    names = {job.name for job in periodic.jobs()}
    assert {"audit-partitions", "audit-archive"} <= names
    settings.AUDIT_WORKER_MAINTENANCE = False
    audit_partitions_job(now=datetime(2034, 12, 5, tzinfo=UTC))
    assert "audit_auditevent_y2034m12" not in _tables()
    settings.AUDIT_WORKER_MAINTENANCE = True
    audit_partitions_job(now=datetime(2034, 12, 5, tzinfo=UTC))
    assert {"audit_auditevent_y2034m12", "audit_auditevent_y2035m01"} <= _tables()
    assert "audit_auditevent_y2035m02" not in _tables()


def test_the_partitions_command_says_what_it_made(settings: Any):
    out = io.StringIO()
    call_command("audit", "partitions", "--ahead", "2", stdout=out)
    # Migrating made AUDIT_PARTITIONS_AHEAD (3) months ahead already.
    assert out.getvalue() == "Every partition to 2 months ahead exists.\n"
    with pytest.raises(CommandError, match="--ahead must be 0 or more"):
        call_command("audit", "partitions", "--ahead", "-1")


# ----------------------------------------------------------------------------- append-only


@pytest.mark.parametrize("statement", ["UPDATE {} SET outcome = 'denied'", "DELETE FROM {}",
                                       "TRUNCATE {}"])  # fmt: skip
@pytest.mark.parametrize("where", ["parent", "partition", "default"])
def test_no_statement_changes_or_removes_audit_rows_on_the_parent_or_a_partition(
    patient: User, statement: str, where: str
):
    set_truncate_guard(enabled=True)  # as in production (rolled back with the test)
    now = datetime.now(UTC)
    current = partition_name(date(now.year, now.month, 1))
    _row(now, patient)
    _row(datetime(2099, 1, 1, tzinfo=UTC), patient)  # in the default partition
    table = {"parent": PARENT, "partition": current, "default": DEFAULT}[where]
    # The rows' deferred foreign-key checks, due at commit, would make TRUNCATE fail first.
    _sql("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match="audit rows are append-only"), transaction.atomic():
        _sql(statement.format(table))

    assert AuditEvent.objects.count() == 2


# ----------------------------------------------------------------------------- archive


def _old_months(patient: User, physician: User) -> dict[str, list[tuple[Any, ...]]]:
    """Rows in January, February and March 2019 (partitions made as the worker would have)."""
    ensure_partitions(now=datetime(2019, 1, 1, tzinfo=UTC), ahead=2)
    _row(datetime(2019, 1, 3, 10, tzinfo=UTC), patient, physician)
    _row(datetime(2019, 1, 31, 23, 59, 59, 999999, tzinfo=UTC), patient, physician)
    _row(datetime(2019, 2, 14, tzinfo=UTC), None, physician)
    _row(datetime(2019, 3, 1, tzinfo=UTC), patient)
    return {
        month: _sql(
            f"SELECT {COLUMNS} FROM {PARENT} WHERE to_char(at AT TIME ZONE 'UTC', 'YYYY-MM') = %s "
            "ORDER BY at, id",
            [month],
        )
        for month in ("2019-01", "2019-02", "2019-03")
    }


def _read_back(path: Path) -> list[tuple[Any, ...]]:
    """The file loaded into a table shaped like the audit log, rows in the file's order."""
    _sql(f"CREATE TEMP TABLE loaded (LIKE {PARENT}) ON COMMIT DROP")
    with (
        connection.cursor() as cursor,
        gzip.open(path, "rb") as data,
        cursor.cursor.copy("COPY loaded FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        copy.write(data.read())
    rows = _sql(f"SELECT {COLUMNS} FROM loaded ORDER BY at, id")
    _sql("DROP TABLE loaded")
    return rows


def test_archive_exports_checks_and_drops_only_the_months_past_retention(
    patient: User, physician: User, tmp_path: Path
):
    set_truncate_guard(enabled=True)  # as in production: DETACH and DROP still work
    rows = _old_months(patient, physician)
    # 72 months before March 2025 began: every row of January and February 2019 is older.
    done = archive_expired(now=datetime(2025, 3, 15, tzinfo=UTC), months=72, directory=tmp_path)

    assert [(d.partition, d.rows, d.dropped) for d in done] == [
        ("audit_auditevent_y2019m01", 2, True),
        ("audit_auditevent_y2019m02", 1, True),
    ]
    tables = _tables()
    assert "audit_auditevent_y2019m01" not in tables
    assert "audit_auditevent_y2019m02" not in tables
    assert "audit_auditevent_y2019m03" in tables
    assert _sql(f"SELECT count(*) FROM {PARENT} WHERE at < '2019-03-01'") == [(0,)]
    assert _sql(f"SELECT count(*) FROM {PARENT} WHERE at >= '2019-03-01'")[0][0] == 1
    for result, month in zip(done, ("2019-01", "2019-02"), strict=True):
        assert result.path == tmp_path / f"{result.partition}.csv.gz"
        # The checksum beside it is sha256sum's format, and right.
        digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
        assert result.sha256 == digest
        assert (tmp_path / f"{result.partition}.csv.gz.sha256").read_text() == (
            f"{digest}  {result.partition}.csv.gz\n"
        )
        # The file round-trips: loaded back, its rows are the partition's, value for value.
        assert _read_back(result.path) == rows[month]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "audit_auditevent_y2019m01.csv.gz",
        "audit_auditevent_y2019m01.csv.gz.sha256",
        "audit_auditevent_y2019m02.csv.gz",
        "audit_auditevent_y2019m02.csv.gz.sha256",
    ]
    # A second run finds nothing left to do.
    assert (
        archive_expired(now=datetime(2025, 3, 15, tzinfo=UTC), months=72, directory=tmp_path) == []
    )


def test_a_failed_export_leaves_the_month_attached_and_whole(
    patient: User, physician: User, tmp_path: Path
):
    rows = _old_months(patient, physician)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the archive directory should be")

    with pytest.raises(ArchiveError, match="audit_auditevent_y2019m01: export failed"):
        archive_expired(now=datetime(2025, 3, 15, tzinfo=UTC), months=72, directory=blocked / "x")

    assert {"audit_auditevent_y2019m01", "audit_auditevent_y2019m02"} <= _tables()
    assert (
        _sql(f"SELECT {COLUMNS} FROM {PARENT} WHERE at < '2019-02-01' ORDER BY at, id")
        == rows["2019-01"]
    )


def test_an_archive_that_cannot_take_its_lock_in_time_drops_nothing(
    patient: User, physician: User, tmp_path: Path, monkeypatch: Any
):
    """DETACH waits for the parent's every reader and writer; past lock_timeout it gives up
    (every audit insert queued behind it waits that long at most), and the month stays."""
    import psycopg

    from audit import partitions

    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "300ms")
    rows = _old_months(patient, physician)
    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"], user=settings_dict["USER"],
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
    ) as reader:  # fmt: skip
        reader.execute("SET lock_timeout = '5s'")  # never a hung test
        # A long read of the parent (ONLY: LOCK TABLE would also wait for the partitions
        # this test's own transaction has just attached).
        reader.execute(f"LOCK TABLE ONLY {PARENT} IN ACCESS SHARE MODE")
        with pytest.raises(ArchiveError, match=r"audit_auditevent_y2019m01: .*lock timeout"):
            archive_expired(now=datetime(2025, 3, 15, tzinfo=UTC), months=72, directory=tmp_path)
    assert {"audit_auditevent_y2019m01", "audit_auditevent_y2019m02"} <= _tables()
    assert (
        _sql(f"SELECT {COLUMNS} FROM {PARENT} WHERE at < '2019-02-01' ORDER BY at, id")
        == rows["2019-01"]
    )


def test_a_damaged_or_unchecked_file_does_not_verify(
    patient: User, physician: User, tmp_path: Path
):
    _old_months(patient, physician)
    with transaction.atomic(), connection.cursor() as cursor:
        export = export_month(cursor, date(2019, 1, 1), tmp_path)
    assert (export.rows, verify_export(export.path)[0]) == (2, 2)
    data = bytearray(export.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    export.path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="is not the recorded"):
        verify_export(export.path)
    # A file with the right checksum that is not whole gzip'd CSV.
    export.path.write_bytes(b"\x1f\x8b\x08truncated")
    export.checksum_path.write_text(
        f"{hashlib.sha256(export.path.read_bytes()).hexdigest()}  {export.path.name}\n"
    )
    with pytest.raises(ArchiveError, match="does not read back"):
        verify_export(export.path)
    export.checksum_path.unlink()
    with pytest.raises(ArchiveError, match="no checksum"):
        verify_export(export.path)


def test_the_worker_archives_on_its_own_unless_told_not_to(
    patient: User, physician: User, tmp_path: Path, settings: Any
):
    settings.AUDIT_ARCHIVE_DIR = tmp_path
    settings.AUDIT_RETENTION_MONTHS = 72
    _old_months(patient, physician)
    # The job the worker runs (periodic.run_all would close this test's connection).
    job = next(job for job in periodic.jobs() if job.name == "audit-archive")
    settings.AUDIT_WORKER_MAINTENANCE = False
    job.func(now=datetime(2025, 3, 15, tzinfo=UTC))
    assert {"audit_auditevent_y2019m01", "audit_auditevent_y2019m02"} <= _tables()
    settings.AUDIT_WORKER_MAINTENANCE = True
    job.func(now=datetime(2025, 3, 15, tzinfo=UTC))
    assert not {"audit_auditevent_y2019m01", "audit_auditevent_y2019m02"} & _tables()
    assert "audit_auditevent_y2019m03" in _tables()
    assert sorted(p.name for p in tmp_path.iterdir())[::2] == [
        "audit_auditevent_y2019m01.csv.gz",
        "audit_auditevent_y2019m02.csv.gz",
    ]


def test_the_archive_command_dry_run_and_run(
    patient: User, physician: User, tmp_path: Path, settings: Any
):
    settings.AUDIT_ARCHIVE_DIR = tmp_path
    settings.AUDIT_RETENTION_MONTHS = 72
    _old_months(patient, physician)
    out = io.StringIO()
    call_command("audit", "archive", "--dry-run", stdout=out)
    assert out.getvalue() == "".join(
        f"Would archive audit_auditevent_y2019m{m:02d} (2019-{m:02d}) to {tmp_path}.\n"
        for m in (1, 2, 3)
    )
    assert list(tmp_path.iterdir()) == []
    assert {"audit_auditevent_y2019m01", "audit_auditevent_y2019m03"} <= _tables()

    out = io.StringIO()
    call_command("audit", "archive", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"Archived audit_auditevent_y2019m{m:02d}" for m in (1, 2, 3)
    ]
    assert lines[0].startswith(
        f"Archived audit_auditevent_y2019m01: 2 rows to {tmp_path}/audit_auditevent_y2019m01.csv.gz "
    )
    assert lines[0].endswith(", checked, then dropped.")
    assert not {"audit_auditevent_y2019m01", "audit_auditevent_y2019m03"} & _tables()

    settings.AUDIT_RETENTION_MONTHS = 0
    out = io.StringIO()
    call_command("audit", "archive", stdout=out)
    assert out.getvalue() == "AUDIT_RETENTION_MONTHS is 0: audit rows are kept forever.\n"


def test_the_export_command_writes_one_month_and_drops_nothing(
    patient: User, physician: User, tmp_path: Path
):
    rows = _old_months(patient, physician)
    out = io.StringIO()
    call_command("audit", "export", "--month", "2019-01", "--dir", str(tmp_path), stdout=out)
    path = tmp_path / "audit_auditevent_y2019m01.csv.gz"
    assert out.getvalue().startswith(f"Exported 2 rows of 2019-01 to {path} (sha256 ")
    assert _read_back(path) == rows["2019-01"]
    with gzip.open(path, "rt", newline="") as text:
        header = next(csv.reader(text))
    assert header == [
        "id", "at", "actor_role", "action", "resource", "object_id", "request_id",
        "client_address", "outcome", "actor_id", "patient_id", "client_request_id",
    ]  # fmt: skip
    assert "audit_auditevent_y2019m01" in _tables()
    for bad in ("2019-13", "19-01", "January"):
        with pytest.raises(CommandError, match="--month: a month is written YYYY-MM"):
            call_command("audit", "export", "--month", bad, "--dir", str(tmp_path))


# ----------------------------------------------------------------------------- reads


def test_who_saw_my_data_and_my_actions_read_across_partitions(
    patient: User, physician: User, client_for: Any
):
    link(physician, patient)
    _old_months(patient, physician)
    future = _row(datetime(2099, 5, 1, tzinfo=UTC), patient, physician)  # default partition
    assert _where(future.id) == DEFAULT

    mine = client_for(patient).get("/api/v1/audit/", {"until": "2100-01-01T00:00:00Z"}).json()
    assert [r["at"] for r in mine["results"]] == [
        "2099-05-01T00:00:00Z",
        "2019-03-01T00:00:00Z",
        "2019-01-31T23:59:59.999999Z",
        "2019-01-03T10:00:00Z",
    ]
    assert mine["count"] == 4

    theirs = client_for(physician).get("/api/v1/audit/", {"until": "2100-01-01T00:00:00Z"})
    assert [r["at"] for r in theirs.json()["results"]] == [
        "2099-05-01T00:00:00Z",
        "2019-02-14T00:00:00Z",
        "2019-01-31T23:59:59.999999Z",
        "2019-01-03T10:00:00Z",
    ]


def test_the_per_patient_page_reads_each_partitions_own_index(patient: User, physician: User):
    """The "who saw my data" page and its count: an index scan of (patient_id, at DESC) in
    every partition (and of (actor_id, at DESC) for a physician's list), no sequential scan (which enable_seqscan=off would still show if no
    index served the query)."""
    from audit.selectors import audit_events_for

    _old_months(patient, physician)
    with connection.cursor() as cursor:
        partitions = [p.name for p in monthly_partitions(cursor)] + [DEFAULT]
    # Each partition holds other rows (no patient), and the statistics say so: an empty,
    # never analysed table is planned as 10 pages of anything.
    for name in partitions:
        low = "2099-01-01" if name == DEFAULT else f"{name[-7:-3]}-{name[-2:]}-01"
        _sql(
            f"INSERT INTO {PARENT} (at, actor_role, action, resource, object_id, request_id, "
            "client_request_id, outcome) SELECT %s::timestamptz + i * interval '1 minute', '', "
            "'read', 'entry', '', gen_random_uuid(), '', 'allowed' FROM generate_series(1, 500) i",
            [low],
        )
    _sql(f"ANALYZE {PARENT}")
    _sql("SET LOCAL enable_seqscan = off")
    page = audit_events_for(patient)[:30].explain()
    count = "\n".join(line for (line,) in _sql(
        f"EXPLAIN SELECT count(*) FROM {PARENT} WHERE patient_id = %s", [patient.pk]
    ))  # fmt: skip
    for plan in (page, count):
        assert "Seq Scan" not in plan
        for name in partitions:
            assert f"{name}_patient_id_at_idx" in plan, (name, plan)
    # A physician's own list: the (actor_id, at) index, in each partition.
    mine = audit_events_for(physician)[:30].explain()
    assert "Seq Scan" not in mine
    for name in partitions:
        assert f"{name}_actor_id_at_idx" in mine, (name, mine)
