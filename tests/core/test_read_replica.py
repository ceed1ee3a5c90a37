"""The read replica for real: a PostgreSQL primary and its streaming replica, started here.

The system cluster's pg_hba.conf has no replication line, so this module runs a cluster
of its own: ``initdb`` a primary on a free port (as the ``postgres`` OS user: PostgreSQL
refuses root), load this run's test schema into it (``pg_dump`` of pytest-django's test
database, which ``migrate`` built), seed a physician and a patient, ``pg_basebackup -R`` a
replica from it and start that on its own port. Two gunicorn instances serve the primary
with ``DATABASE_REPLICA_URL`` = the replica, as an operator runs them: ``app`` with the
default lag bound (10 s), ``strict`` with a 1 s bound. Everything is stopped and removed
afterwards, also when a test fails.

Which database served a read is proved by data only one of them holds at that moment: the
replica's replay is held back (``recovery_min_apply_delay`` = 3 s, or paused with
``pg_wal_replay_pause()``) and the test checks, after the answer, that the replica still
lacks what the answer showed (so it came from the primary), or that the primary already
had what the answer lacked (so it came from the replica).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.replica import STATUS_SECONDS
from tests.net import free_port
from tests.test_two_instances import call, redis_answers, redis_url

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
DELAY = "3s"  # the replica applies each commit this long after the primary made it
PASSWORD = "correct horse battery staple"

# django_db: so that pytest-django builds this run's test database, whose schema the
# primary is given (no test here reads or writes it).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _missing() -> str:
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL's server binaries are not in {PG_BIN}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (needed to run PostgreSQL as the postgres user)"
    return ""


if (_why := _missing()) and os.environ.get("DATABASE_URL", "").startswith("postgres"):
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run the read-replica tests, but {_why}")
    pytest.skip(f"{_why}; CI runs these tests", allow_module_level=True)


def as_postgres(*command: str, timeout: float = 60) -> str:
    """Run a PostgreSQL program as the postgres OS user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    out = subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {out.stdout}{out.stderr}")
    return out.stdout


def sql(port: int, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """One statement in its own autocommit connection to the test cluster."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="relief",
                         autocommit=True, connect_timeout=5) as conn:  # fmt: skip
        cursor = conn.execute(query, params or None)
        return cursor.fetchall() if cursor.description else []


@dataclass
class Cluster:
    base: Path
    primary: int
    replica: int
    app: str = ""  # gunicorn with the default lag bound
    strict: str = ""  # gunicorn with DATABASE_REPLICA_MAX_LAG=1
    ids: dict[str, str] | None = None
    tokens: dict[str, str] | None = None

    @property
    def replica_dir(self) -> str:
        return str(self.base / "replica")

    def replica_running(self) -> bool:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        status = subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "status", "-D",
                                 self.replica_dir], capture_output=True, check=False)  # fmt: skip
        return status.returncode == 0

    def stop_replica(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-D", self.replica_dir, "-m", "immediate")

    def start_replica(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "start", "-D", self.replica_dir, "-w", "-t", "60",
                    "-l", str(self.base / "replica.log"))  # fmt: skip

    def set_delay(self, delay: str | None) -> None:
        if delay is None:
            sql(self.replica, "ALTER SYSTEM RESET recovery_min_apply_delay")
        else:
            sql(self.replica, f"ALTER SYSTEM SET recovery_min_apply_delay = '{delay}'")
        sql(self.replica, "SELECT pg_reload_conf()")

    def primary_position(self) -> str:
        """Commit a transaction on the primary (so the replica has a recent one to apply)
        and return the WAL position after it."""
        sql(self.primary, "SELECT txid_current()")
        return sql(self.primary, "SELECT pg_current_wal_insert_lsn()::text")[0][0]

    def wait_replayed(self, position: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = sql(self.replica, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", position)
            if done[0][0]:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not replay up to {position} in {timeout} s")

    def pause(self) -> None:
        """Stop applying WAL, after applying everything the primary has now: from here the
        replica holds a fixed picture, recent enough to be within the lag bound."""
        self.wait_replayed(self.primary_position())
        sql(self.replica, "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while sql(self.replica, "SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.05)

    def resume(self) -> None:
        sql(self.replica, "SELECT pg_wal_replay_resume()")

    def on_replica(self, entry_id: str) -> bool:
        return bool(sql(self.replica, "SELECT count(*) FROM diary_entry WHERE id = %s",
                        entry_id)[0][0])  # fmt: skip

    def on_primary(self, entry_id: str) -> bool:
        return bool(sql(self.primary, "SELECT count(*) FROM diary_entry WHERE id = %s",
                        entry_id)[0][0])  # fmt: skip


def _configure(data: Path, port: int, base: Path) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{base}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            "hot_standby_feedback = on\nmax_connections = 40\nshared_buffers = 16MB\n"
            "fsync = off\nsynchronous_commit = on\nlog_min_messages = warning\n"
        )
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
    )
    if os.geteuid() == 0:
        shutil.chown(data / "pg_hba.conf", "postgres", "postgres")


SEED = """
import json, django
django.setup()
from datetime import timedelta
from django.utils import timezone
from tests.factories import PatientFactory, PhysicianFactory, link, make_entry, make_visit

doctor = PhysicianFactory(email="dr.replica@example.org", display_name="Dr. Replica")
patient = PatientFactory(email="pat.replica@example.org", display_name="Pat Replica")
link(doctor, patient)
now = timezone.now()
visit = make_visit(doctor, patient, now - timedelta(days=6))
entry = make_entry(patient, now - timedelta(days=4), notes="as written")
print(json.dumps({"doctor": str(doctor.pk), "patient": str(patient.pk),
                  "visit": str(visit.pk), "entry": str(entry.pk)}))
"""


def _app_env(cluster: Cluster, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.primary}/relief",
        "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{cluster.replica}/relief",
        "CACHE_URL": redis_url(),
        "CACHE_KEY_PREFIX": f"replica-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": f"{ROOT / 'backend'}:{ROOT}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_POOL_MIN_SIZE": "1",
        "LOG_LEVEL": "WARNING",
        # Every cohort computed, never a kept answer: where its statements read is the
        # question here (tests/recovery/test_cohort_kept_answer.py covers keeping).
        "COHORT_MAX_AGE": "0",
        **extra,
    }


def _wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(base + "/readyz", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn at {base} did not become ready: {log.read_text()[-3000:]}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(django_db_setup: None) -> Iterator[Cluster]:
    from django.db import connection

    if not redis_answers(redis_url()):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the read-replica tests, but Redis does not answer at "
                        f"{redis_url()}")  # fmt: skip
        pytest.skip(f"Redis does not answer at {redis_url()} (read-your-writes needs it)")
    base = Path(tempfile.mkdtemp(prefix="relief-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    cluster = Cluster(base=base, primary=free_port(), replica=free_port())
    processes: list[subprocess.Popen[bytes]] = []
    primary_dir = base / "primary"
    try:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(primary_dir), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        _configure(primary_dir, cluster.primary, base)
        as_postgres(str(PG_BIN / "pg_ctl"), "start", "-D", str(primary_dir), "-w", "-t", "60",
                    "-l", str(base / "primary.log"))  # fmt: skip
        # The schema migrate built for this run's test database, loaded into the primary.
        db = connection.settings_dict
        sql_port = cluster.primary
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=sql_port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:  # fmt: skip
            conn.execute("CREATE DATABASE relief")
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
             "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
             "-U", db["USER"] or "postgres", db["NAME"]],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(sql_port), "-U", "postgres", "-d", "relief"],
            input=dump.stdout, capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        seeded = subprocess.run(
            [sys.executable, "-c", SEED],
            env={**_app_env(cluster), "DATABASE_REPLICA_URL": ""},
            capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr
        cluster.ids = json.loads(seeded.stdout.strip().splitlines()[-1])
        # The replica: a base backup of the primary that follows it (-R writes
        # primary_conninfo and standby.signal), on a port of its own.
        as_postgres(str(PG_BIN / "pg_basebackup"), "-D", cluster.replica_dir, "-R",
                    "-X", "stream", "-c", "fast", "--no-sync",
                    "-h", "127.0.0.1", "-p", str(cluster.primary), "-U", "postgres")  # fmt: skip
        with (Path(cluster.replica_dir) / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {cluster.replica}\nrecovery_min_apply_delay = '{DELAY}'\n")
        cluster.start_replica()

        for name, bound in (("app", "10"), ("strict", "1")):
            port = free_port()
            log = base / f"{name}.log"
            processes.append(
                subprocess.Popen(
                    [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", "1", "--log-level", "warning"],
                    env=_app_env(cluster, DATABASE_REPLICA_MAX_LAG=bound), cwd=ROOT,
                    stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                )
            )  # fmt: skip
            setattr(cluster, name, f"http://127.0.0.1:{port}")
        for process, name in zip(processes, ("app", "strict"), strict=True):
            _wait_ready(process, getattr(cluster, name), base / f"{name}.log")
        cluster.tokens = {}
        for who, email in (("doctor", "dr.replica@example.org"),
                           ("patient", "pat.replica@example.org")):  # fmt: skip
            status, pair = call(cluster.app, "POST", "/api/v1/auth/token/",
                                body={"email": email, "password": PASSWORD})  # fmt: skip
            assert status == 200, pair
            cluster.tokens[who] = pair["access"]
        yield cluster
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for data in (cluster.replica_dir, str(primary_dir)):
            if (Path(data) / "postmaster.pid").exists():
                with suppress(RuntimeError):
                    as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-D", data, "-m", "immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def replica(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster as every test expects it at its start and leaves it: the replica
    running, replaying, 3 s behind the primary."""
    if not cluster.replica_running():
        cluster.start_replica()
    cluster.resume()
    cluster.set_delay(DELAY)
    yield cluster
    if cluster.replica_running():
        cluster.resume()
        cluster.set_delay(DELAY)


def check_in(cluster: Cluster, **changes: Any) -> dict[str, Any]:
    entry_id = str(uuid.uuid4())
    body = {
        "id": entry_id,
        "felt_at": datetime.now(UTC).isoformat(),
        "pain": 3,
        "soreness": 2,
        "bruising": "none",
        "iced": False,
        "heated": False,
        "strenuous_activity": False,
        "notes": "",
        **changes,
    }
    status, created = call(cluster.app, "POST", "/api/v1/entries/",
                           token=cluster.tokens["patient"], body=body)  # fmt: skip
    assert status == 201, created
    return created


def csv_rows(base: str, cluster: Cluster) -> dict[str, dict[str, str]]:
    """The patient's own CSV export, by entry id."""
    request = urllib.request.Request(
        f"{base}/api/v1/patients/{cluster.ids['patient']}/entries.csv",
        headers={"Authorization": f"Bearer {cluster.tokens['patient']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        text = response.read().decode("utf-8-sig")
    return {row["entry_id"]: row for row in csv.DictReader(io.StringIO(text))}


def patient_row(base: str, cluster: Cluster) -> dict[str, Any]:
    """The patient's row in the physician's patient list."""
    status, page = call(base, "GET", "/api/v1/patients/", token=cluster.tokens["doctor"])
    assert status == 200, page
    (row,) = [r for r in page["results"] if r["id"] == cluster.ids["patient"]]
    return row


def readyz(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def replica_in_use(cluster: Cluster) -> None:
    """Wait until ``app`` finds the replica usable: it has applied a commit made now (so
    its lag is known to be small) and the app has measured it since."""
    cluster.wait_replayed(cluster.primary_position())
    wait_for(lambda: readyz(cluster.app)["replica"]["state"] == "ok", "the replica to be used")


def test_the_writer_reads_their_own_write_from_the_primary_then_from_the_caught_up_replica(
    replica: Cluster,
):
    entry = check_in(replica, notes="mine")
    rows = csv_rows(replica.app, replica)
    # The check-in is in the export at once, while the replica (3 s behind) lacks it still:
    # the export came from the primary.
    assert rows[entry["id"]]["notes"] == "mine"
    assert not replica.on_replica(entry["id"])

    # Once the replica has applied the write it serves the writer again. Replay is paused
    # there, and the seeded check-in's note changed on the primary only: the export shows
    # the replica's picture (the old note) and still the writer's own check-in.
    replica.set_delay(None)
    replica.pause()
    sql(replica.primary, "UPDATE diary_entry SET notes = 'changed on the primary' WHERE id = %s",
        replica.ids["entry"])  # fmt: skip
    time.sleep(STATUS_SECONDS + 0.1)  # the app measured the replica since it paused
    rows = csv_rows(replica.app, replica)
    assert rows[replica.ids["entry"]]["notes"] == "as written"
    assert rows[entry["id"]]["notes"] == "mine"
    sql(replica.primary, "UPDATE diary_entry SET notes = 'as written' WHERE id = %s",
        replica.ids["entry"])  # fmt: skip


def test_another_users_read_is_served_by_the_replica_and_may_be_behind(replica: Cluster):
    # A commit the replica has applied, so that its lag is known to be about the delay.
    replica.wait_replayed(replica.primary_position())
    before = patient_row(replica.app, replica)["last_checkin_at"]
    entry = check_in(replica)
    assert replica.on_primary(entry["id"])
    # The physician's list, read at once: the replica's, which lacks the check-in.
    assert patient_row(replica.app, replica)["last_checkin_at"] == before
    # Behind by the delay only: the list shows it once the replica has applied it.
    wait_for(
        lambda: patient_row(replica.app, replica)["last_checkin_at"] == entry["felt_at"],
        "the physician's list to show the check-in",
        timeout=15,
    )


def cohort(base: str, cluster: Cluster) -> dict[str, Any]:
    """The physician's cohort (their own patients), without ``as_of`` (the time of each
    computation: the numbers are the question)."""
    status, body = call(base, "GET", "/api/v1/cohort/", token=cluster.tokens["doctor"])
    assert status == 200, body
    assert body.pop("as_of")
    return body


def test_the_cohort_is_read_from_the_replica(replica: Cluster):
    # Replay paused, then the visit's baseline changed on the primary only: a cohort from
    # the primary would differ from the one read before (shown once replay resumes).
    replica.set_delay(None)
    replica.pause()
    time.sleep(STATUS_SECONDS + 0.1)  # the app measured the replica since it paused
    before = cohort(replica.app, replica)
    (old,) = sql(replica.primary, "SELECT baseline_pain FROM treatments_visit WHERE id = %s",
                 replica.ids["visit"])[0]  # fmt: skip
    sql(replica.primary, "UPDATE treatments_visit SET baseline_pain = %s WHERE id = %s",
        9 if old != 9 else 5, replica.ids["visit"])  # fmt: skip
    try:
        assert cohort(replica.app, replica) == before
        # Read on the replica, the answer is dated the replica's allowed lag (10 s) earlier:
        # never later than its data.
        asked = datetime.now(UTC)
        status, body = call(replica.app, "GET", "/api/v1/cohort/", token=replica.tokens["doctor"])
        answered = datetime.now(UTC)
        assert status == 200, body
        as_of = datetime.fromisoformat(body["as_of"])
        assert asked - timedelta(seconds=10.5) <= as_of <= answered - timedelta(seconds=9.5)
        replica.resume()
        replica.wait_replayed(replica.primary_position())
        wait_for(lambda: cohort(replica.app, replica) != before, "the cohort to follow")
    finally:
        sql(replica.primary, "UPDATE treatments_visit SET baseline_pain = %s WHERE id = %s",
            old, replica.ids["visit"])  # fmt: skip


def test_a_replica_behind_by_more_than_the_bound_is_skipped(replica: Cluster):
    # "strict" allows 1 s of lag; the replica applies each commit 3 s late.
    replica.wait_replayed(replica.primary_position())
    entry = check_in(replica)
    row = patient_row(replica.strict, replica)
    assert row["last_checkin_at"] == entry["felt_at"]
    assert not replica.on_replica(entry["id"]), "the replica had it already: inconclusive"
    state = readyz(replica.strict)["replica"]
    assert state["state"] == "lagging"
    assert state["lag_seconds"] > 1
    # The default bound (10 s) accepts the same replica.
    assert readyz(replica.app)["replica"]["state"] == "ok"


def test_a_replica_lost_mid_request_is_retried_on_the_primary(replica: Cluster):
    import psycopg

    replica.set_delay(None)
    entry = check_in(replica)
    replica_in_use(replica)
    # The physician's list blocks on the replica: an ACCESS EXCLUSIVE lock on the check-ins,
    # taken on the primary, is replayed there (and blocks the primary's readers too).
    lock = psycopg.connect(host="127.0.0.1", port=replica.primary, user="postgres",
                           dbname="relief")  # fmt: skip
    try:
        lock.execute("LOCK TABLE diary_entry IN ACCESS EXCLUSIVE MODE")
        replica.primary_position()  # a commit elsewhere flushes the lock's WAL record
        wait_for(
            lambda: sql(replica.replica, "SELECT count(*) FROM pg_locks WHERE relation = "
                        "'diary_entry'::regclass AND mode = 'AccessExclusiveLock'")[0][0] == 1,
            "the lock to reach the replica",
        )  # fmt: skip
        answer: dict[str, Any] = {}

        def read() -> None:
            answer["result"] = call(replica.app, "GET", "/api/v1/patients/",
                                    token=replica.tokens["doctor"])  # fmt: skip

        reader = threading.Thread(target=read)
        reader.start()
        wait_for(
            lambda: sql(replica.replica, "SELECT count(*) FROM pg_stat_activity WHERE "
                        "datname = 'relief' AND wait_event_type = 'Lock'")[0][0] == 1,
            "the list to wait on the replica",
        )  # fmt: skip
        replica.stop_replica()
        # The request now runs again on the primary, where the lock holds it until now.
        time.sleep(0.5)
        assert reader.is_alive()
        lock.rollback()
        reader.join(30)
    finally:
        lock.close()
    status, page = answer["result"]
    assert status == 200, page
    (row,) = [r for r in page["results"] if r["id"] == replica.ids["patient"]]
    assert row["last_checkin_at"] == entry["felt_at"]
    assert readyz(replica.app)["replica"] == {"state": "down"}


def test_a_stopped_replica_is_skipped_and_used_again_when_it_is_back(replica: Cluster):
    replica_in_use(replica)  # and the worker holds a connection to it
    before = patient_row(replica.app, replica)
    replica.stop_replica()
    entry = check_in(replica)
    # Between requests: the next read finds the connection dead and reads the primary.
    assert patient_row(replica.app, replica)["last_checkin_at"] == entry["felt_at"]
    assert readyz(replica.app)["replica"] == {"state": "down"}

    replica.start_replica()
    wait_for(lambda: readyz(replica.app)["replica"]["state"] == "ok", "the replica to be used")
    replica.set_delay(None)
    replica.pause()
    renamed = "Pat Renamed On The Primary"
    sql(replica.primary, "UPDATE accounts_user SET display_name = %s WHERE id = %s", renamed,
        replica.ids["patient"])  # fmt: skip
    time.sleep(STATUS_SECONDS + 0.1)
    try:
        # Back on the replica: its picture lacks the new name.
        assert patient_row(replica.app, replica)["display_name"] == before["display_name"]
    finally:
        sql(replica.primary, "UPDATE accounts_user SET display_name = %s WHERE id = %s",
            before["display_name"], replica.ids["patient"])  # fmt: skip


def test_the_printable_report_reads_the_replica_once_its_link_is_used_up(replica: Cluster):
    status, link = call(replica.app, "POST", f"/api/v1/visits/{replica.ids['visit']}/report-link/",
                        token=replica.tokens["doctor"], body={})  # fmt: skip
    assert status == 201, link
    # The physician's own write (the link) applied, the replica paused, the seeded check-in's
    # note changed on the primary only.
    replica.set_delay(None)
    replica_in_use(replica)
    replica.pause()
    sql(replica.primary, "UPDATE diary_entry SET notes = 'changed on the primary' WHERE id = %s",
        replica.ids["entry"])  # fmt: skip
    time.sleep(STATUS_SECONDS + 0.1)
    try:
        with urllib.request.urlopen(replica.app + link["url"], timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        # Using up the link (a write, before the user is known) did not keep the page off
        # the replica: its check-ins are the replica's. (The visit and its patient are the
        # audited read's, taken on the primary in the transaction of its audit row.)
        assert "as written" in page
        assert "changed on the primary" not in page
        assert "<h1>Pat Replica</h1>" in page
        # The link was used up on the primary: it does not open twice.
        with pytest.raises(urllib.error.HTTPError) as again:
            urllib.request.urlopen(replica.app + link["url"], timeout=30)
        assert again.value.code == 404
    finally:
        sql(replica.primary, "UPDATE diary_entry SET notes = 'as written' WHERE id = %s",
            replica.ids["entry"])  # fmt: skip
