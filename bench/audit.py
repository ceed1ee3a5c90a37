"""Audit log benchmark (issue #19): does the monthly-partitioned audit log keep its inserts
and a patient's "who saw my data" page as fast at 10,000,000 rows as before?

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/relief .venv/bin/python
bench/audit.py`` (needs PostgreSQL: DATABASE_URL's server, throwaway databases
``relief_bench_audit`` and ``relief_bench_audit_small`` that this script drops and
recreates; about 10 GB of disk while it runs).

- A-1: audit insert rate, partitioned / unpartitioned (goal >= 0.9), in the large database:
  the partitioned ``audit_auditevent`` against ``audit_plain``, a twin of the same rows in the
  layout before #19 (one table, primary key (id), the same indexes, foreign keys and
  append-only trigger). The application's own statement (``audit.services._INSERT_ROWS``,
  one row, as a read of one record writes), 50 statements a transaction, the two tables
  alternating over several rounds; rows per second, medians.
- A-2: GET /api/v1/audit/ for one patient (the endpoint, through Django's test client, as
  that patient: its count and its first page of 30) at 10,000,000 rows / at 100,000 rows
  (goal <= 1.2). The patient has the same 300 rows over 25 months in both databases; the
  other rows belong to 10,000 other patients, read by 100 physicians. One process serves
  each database; they take turns a few requests at a time; median request.
- A-3 (reference): migration 0005 converting the unpartitioned table of 10,000,000 rows
  (every row copied into its month, keys and indexes built, foreign keys checked); the
  table is locked ACCESS EXCLUSIVE for all of it.

Rows are generated in the server (generate_series), in time order over 25 months, then
VACUUM ANALYZE. Set ``RELIEF_BENCH_QUICK=1`` for a small smoke run (numbers not
comparable). The script prints its table and rewrites its section of BENCHMARKS.md
(``<!-- audit:start -->``).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from common import GOALS_MISSED, copy_csv, database_url, machine, recreate_database, write_section
from common import child_env as common_child_env

ROOT = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("RELIEF_BENCH_QUICK") == "1"
LARGE_DB, SMALL_DB = "relief_bench_audit", "relief_bench_audit_small"
LARGE, SMALL = (400_000, 40_000) if QUICK else (10_000_000, 100_000)
PATIENTS, PHYSICIANS, MONTHS = 10_000, 100, 25
MINE = 300  # the measured patient's rows (the same in both databases)
ROUNDS = 3 if QUICK else 5
TURNS, PER_TURN = (20, 5) if QUICK else (60, 5)  # page requests: turns of each database
INSERTS = 500 if QUICK else 2_000  # statements per table per round
PER_TRANSACTION = 50
INSERT_GOAL, PAGE_GOAL = 0.9, 1.2
CHUNK = 1_000_000
# The measured patient and the cast, the same ids in both databases.
ME = uuid.UUID("00000000-0000-4000-8000-000000000001")
PATIENT_IDS = [ME, *(uuid.uuid4() for _ in range(PATIENTS))]
PHYSICIAN_IDS = [uuid.uuid4() for _ in range(PHYSICIANS)]
NOW = datetime.now(UTC)
START = NOW - timedelta(days=30.4 * MONTHS)


def child_env(url: str) -> dict[str, str]:
    return common_child_env(url, RELIEF_SESSION_CACHE="false")


def migrate(url: str, *target: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "config.cli", "migrate", *target, "-v", "0"],
        env=child_env(url),
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - start


# --------------------------------------------------------------------------- seeding


def seed_users(conn: psycopg.Connection) -> None:
    rows = io.StringIO()
    joined = START.isoformat()
    for i, pk in enumerate(PATIENT_IDS):
        rows.write(f"{pk},!,f,p{i}@bench.example,Patient {i},patient,UTC,t,f,{joined}\n")
    for i, pk in enumerate(PHYSICIAN_IDS):
        rows.write(f"{pk},!,f,d{i}@bench.example,Dr {i},physician,UTC,t,f,{joined}\n")
    copy_csv(conn, "accounts_user", rows)


INSERT_GENERATED = """
INSERT INTO {table} (at, actor_id, actor_role, action, resource, object_id, patient_id,
                     request_id, client_request_id, client_address, outcome)
SELECT %(start)s::timestamptz + (i::float8 / %(total)s) * %(span)s * interval '1 second',
       (%(physicians)s::uuid[])[1 + (i * 31) %% {physicians}], 'physician',
       CASE WHEN i %% 7 = 0 THEN 'list' ELSE 'read' END,
       CASE WHEN i %% 3 = 0 THEN 'visit' ELSE 'entry' END,
       (i %% 100000)::text,
       (%(patients)s::uuid[])[2 + (i * 7919) %% {patients}],
       gen_random_uuid(), '', '10.1.2.3'::inet, 'allowed'
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
"""

INSERT_MINE = """
INSERT INTO {table} (at, actor_id, actor_role, action, resource, object_id, patient_id,
                     request_id, client_request_id, client_address, outcome)
SELECT %(start)s::timestamptz + (i::float8 / %(mine)s) * %(span)s * interval '1 second',
       (%(physicians)s::uuid[])[1 + i %% 3], 'physician', 'read', 'entry', i::text,
       %(me)s, gen_random_uuid(), '', '10.1.2.3'::inet, 'allowed'
FROM generate_series(0, %(mine)s - 1) AS i
"""


def generate(conn: psycopg.Connection, table: str, total: int, label: str) -> float:
    """``total`` rows (``MINE`` of them the measured patient's) in ``table``, in time order
    over ``MONTHS`` months, generated by the server in chunks (each committed)."""
    start = time.perf_counter()
    params = {
        "start": START,
        "span": (NOW - START).total_seconds(),
        "total": total,
        "physicians": PHYSICIAN_IDS,
        "patients": PATIENT_IDS,
        "mine": MINE,
        "me": ME,
    }
    sql = INSERT_GENERATED.format(table=table, physicians=PHYSICIANS, patients=PATIENTS)
    conn.execute(INSERT_MINE.format(table=table), params)
    conn.commit()
    for low in range(0, total - MINE, CHUNK):
        high = min(low + CHUNK, total - MINE) - 1
        conn.execute(sql, {**params, "low": low, "high": high})
        conn.commit()
        print(
            f"  {label}: {high + 1 + MINE:,} rows, {time.perf_counter() - start:.0f} s", flush=True
        )
    return time.perf_counter() - start


def vacuum(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def build_small() -> str:
    url = recreate_database(SMALL_DB, child_env)
    with psycopg.connect(url) as conn:
        seed_users(conn)
        conn.commit()
        generate(conn, "audit_auditevent", SMALL, "small")
    vacuum(url)
    return url


def build_large() -> tuple[str, dict[str, float]]:
    """The large database: rows generated into the table as it was before #19, a twin of it
    kept as ``audit_plain``, then migration 0005 timed converting the original."""
    timings: dict[str, float] = {}
    url = recreate_database(LARGE_DB, child_env)
    migrate(url, "audit", "0004")
    with psycopg.connect(url) as conn:
        seed_users(conn)
        conn.commit()
        # Indexes built after the rows (a seeding shortcut; the migration is timed as is).
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' "
            "AND indexname <> 'audit_auditevent_pkey'"
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        timings["generate"] = generate(conn, "audit_auditevent", LARGE, "large")
        for _name, definition in indexes:
            conn.execute(definition)
        conn.commit()
        print("  large: indexes built", flush=True)
        # The twin: the same rows in the same layout, under another name.
        start = time.perf_counter()
        conn.execute(
            "CREATE TABLE audit_plain (LIKE audit_auditevent INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        conn.execute("INSERT INTO audit_plain SELECT * FROM audit_auditevent")
        conn.execute("ALTER TABLE audit_plain ADD PRIMARY KEY (id)")
        for name, definition in indexes:
            conn.execute(
                definition.replace(name, f"plain_{name}").replace(
                    " ON public.audit_auditevent ", " ON public.audit_plain "
                )
            )
        for column in ("actor_id", "patient_id"):
            conn.execute(
                f"ALTER TABLE audit_plain ADD FOREIGN KEY ({column}) REFERENCES accounts_user(id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        conn.execute(
            "CREATE TRIGGER audit_plain_append_only BEFORE UPDATE OR DELETE ON audit_plain "
            "FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()"
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('audit_plain', 'id'), "
            "(SELECT max(id) FROM audit_plain))"
        )
        conn.commit()
        timings["twin"] = time.perf_counter() - start
        print(f"  large: twin built in {timings['twin']:.0f} s", flush=True)
    timings["migrate"] = migrate(url, "audit")
    print(f"  large: migration 0005 in {timings['migrate']:.0f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE audit_auditevent")  # every partition
    return url, timings


# ---------------------------------------------------------------------------


def bench_inserts(url: str) -> dict[str, float]:
    """The application's own INSERT (audit.services._INSERT_ROWS) into the partitioned
    table and into its unpartitioned twin, alternating; rows per second."""
    sys.path.insert(0, str(ROOT / "backend"))
    os.environ.update(child_env(url))
    import django

    django.setup()
    from audit.services import _INSERT_ROWS

    def args(patient: uuid.UUID) -> list[object]:
        return [datetime.now(UTC), PHYSICIAN_IDS[0], "physician", uuid.uuid4(), "", "10.1.2.3",
                ["read"], ["entry"], [patient], ["42"], ["allowed"]]  # fmt: skip

    # One transaction of PER_TRANSACTION statements at a time, the two tables taking turns
    # (which goes first alternates): on a shared machine a burst of load then falls on both.
    times: dict[str, list[float]] = {"audit_auditevent": [], "audit_plain": []}
    tables = list(times)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        for turn in range(ROUNDS * INSERTS // PER_TRANSACTION + 4):  # 4 to warm up
            for table in tables if turn % 2 else reversed(tables):
                sql = _INSERT_ROWS.replace("INSERT INTO audit_auditevent ", f"INSERT INTO {table} ")
                start = time.perf_counter()
                for i in range(PER_TRANSACTION):
                    cursor.execute(sql, args(PATIENT_IDS[1 + (turn * 97 + i * 13) % PATIENTS]))
                conn.commit()
                if turn >= 4:
                    times[table].append(time.perf_counter() - start)
    rates = {table: [PER_TRANSACTION / t for t in spent] for table, spent in times.items()}
    part = statistics.median(rates["audit_auditevent"])
    plain = statistics.median(rates["audit_plain"])
    return {"partitioned": part, "plain": plain, "ratio": part / plain}


# ---------------------------------------------------------------------------

# A process serving one database: on "run N" it makes N requests and prints their times;
# on "plans" the plans of the endpoint's queries (and which partitions hold rows).
PAGE_SERVER = """
import json, sys, time
import django
django.setup()
from rest_framework.test import APIClient
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
me = User.objects.get(pk=sys.argv[1])
client = APIClient()
client.force_authenticate(me)
for _ in range(5):  # warm: connection pool, caches
    assert client.get("/api/v1/audit/").status_code == 200
print("ready", flush=True)
for line in sys.stdin:
    if line.startswith("run"):
        times = []
        for _ in range(int(line.split()[1])):
            start = time.perf_counter()
            response = client.get("/api/v1/audit/")
            times.append(time.perf_counter() - start)
            body = response.json()
            assert (body["count"], len(body["results"])) == (int(sys.argv[2]), 30), body["count"]
        print(json.dumps(times), flush=True)
    elif line.startswith("plans"):
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/v1/audit/")
        with connection.cursor() as cursor:
            # The partitions that hold rows (the months ahead are empty).
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'audit_auditevent'::regclass AND c.reltuples > 0"
            )
            filled = [row[0] for row in cursor.fetchall()]
            plans = []
            for query in queries.captured_queries:
                if "audit_auditevent" in query["sql"]:
                    cursor.execute("EXPLAIN " + query["sql"])
                    plans.append("\\n".join(row[0] for row in cursor.fetchall()))
        print(json.dumps({"plans": plans, "filled": filled}), flush=True)
"""


def page_server(url: str) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-c", PAGE_SERVER, str(ME), str(MINE)],
        env=child_env(url),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() != "ready":
        sys.exit("the page server did not start")
    return server


def ask(server: subprocess.Popen[str], line: str) -> object:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(line + "\n")
    server.stdin.flush()
    return json.loads(server.stdout.readline())


def bench_page(large: str, small: str) -> dict[str, object]:
    """Two processes, one a database, taking turns a few requests at a time (which goes
    first alternates): a burst of load on this shared machine falls on both."""
    servers = {"large": page_server(large), "small": page_server(small)}
    times: dict[str, list[float]] = {"large": [], "small": []}
    try:
        for turn in range(TURNS):
            for name in ("large", "small") if turn % 2 else ("small", "large"):
                got = ask(servers[name], f"run {PER_TURN}")
                assert isinstance(got, list)
                times[name].extend(got)
        found = ask(servers["large"], "plans")
    finally:
        for server in servers.values():
            server.kill()
            server.wait()
    assert isinstance(found, dict)
    plans, filled = found["plans"], found["filled"]
    # The empty partitions (the months ahead) may be "scanned": they have no page.
    indexed = bool(filled) and all(
        f"{name}_patient_id_at_idx" in plan and f"Seq Scan on {name} " not in plan
        for plan in plans
        for name in filled
    )
    large_ms = statistics.median(times["large"]) * 1000
    small_ms = statistics.median(times["small"]) * 1000
    return {"large_ms": large_ms, "small_ms": small_ms, "ratio": large_ms / small_ms,
            "indexed": indexed, "plan": plans[-1] if plans else ""}  # fmt: skip


# --------------------------------------------------------------------------- main


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    started = time.perf_counter()
    load_before = load()
    print(f"Building {SMALL:,} rows ({SMALL_DB}), load {load_before}", flush=True)
    small = build_small()
    print(f"Building {LARGE:,} rows ({LARGE_DB})", flush=True)
    large, timings = build_large()
    with psycopg.connect(large) as conn:
        partitions = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass"
        ).fetchone()[0]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('audit_plain'))"
        ).fetchone()[0]
    load_measure = load()
    print(f"Measuring (load {load_measure})", flush=True)
    page = bench_page(large, small)
    inserts = bench_inserts(large)
    load_after = load()
    rows = [
        (
            "A-1",
            f"audit inserts (the app's INSERT, 1 row, {PER_TRANSACTION} a transaction) at "
            f"{LARGE:,} rows: partitioned / one table",
            f"{inserts['partitioned']:,.0f} / {inserts['plain']:,.0f} rows/s",
            f"{inserts['ratio']:.2f}x",
            f">= {INSERT_GOAL}",
            "PASS" if inserts["ratio"] >= INSERT_GOAL else "FAIL",
        ),
        (
            "A-2",
            f"GET /api/v1/audit/ (a patient's {MINE} rows: count + first page of 30) at "
            f"{LARGE:,} / {SMALL:,} rows"
            + (
                "; each partition read by its (patient_id, at) index"
                if page["indexed"]
                else "; NOT on the per-partition index"
            ),
            f"{page['large_ms']:.1f} ms / {page['small_ms']:.1f} ms",
            f"{page['ratio']:.2f}x",
            f"<= {PAGE_GOAL}",
            "PASS" if page["ratio"] <= PAGE_GOAL else "FAIL",
        ),
        (
            "A-3 (ref.)",
            f"migration 0005: one table of {LARGE:,} rows ({size}) to {partitions} partitions, "
            "locked ACCESS EXCLUSIVE throughout",
            f"{timings['migrate']:.0f} s",
            f"{LARGE / timings['migrate']:,.0f} rows/s",
            "-",
            "-",
        ),
    ]
    header = "| id | measure | absolute | ratio | goal | result |\n|---|---|---|---|---|---|"
    lines = [f"| {' | '.join(row)} |" for row in rows]
    import django

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join(
        [
            "## Audit log (`bench/audit.py`)",
            "",
            f"Last run {stamp} on {machine(f'Django {django.get_version()}')}"
            + (" (QUICK: small sizes, not comparable)." if QUICK else "."),
            f"Rows generated by the server over {MONTHS} months, in time order: "
            f"{PATIENTS:,} patients read by {PHYSICIANS} physicians, plus the measured "
            f"patient's {MINE} rows (the same in both databases); {LARGE:,} rows generated "
            f"in {timings['generate']:.0f} s, its unpartitioned twin copied in "
            f"{timings['twin']:.0f} s; VACUUM ANALYZE of each database's audit log. Pages: "
            f"one process a database, taking turns {PER_TURN} requests at a time, "
            f"{TURNS * PER_TURN} requests each; every response counted the patient's {MINE} "
            "rows and held 30 (checked); median request. Inserts: "
            f"{ROUNDS * INSERTS:,} statements a table in transactions of {PER_TRANSACTION}, "
            "the two tables taking turns transaction by transaction after 4 warm-up turns; "
            "the median transaction's rate. "
            f"Machine load (1, 5, 15 min) {load_before} before, {load_measure} when "
            f"measuring, {load_after} after; {time.perf_counter() - started:.0f} s in all.",
            "",
            header,
            *lines,
        ]
    )
    print(markdown)
    print("\nPlan of the page query at the large size:\n" + str(page["plan"]))
    if not QUICK:
        write_section("audit", markdown)
        with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
            for name in (LARGE_DB, SMALL_DB):
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if any(row[5] == "FAIL" for row in rows):
        sys.exit(GOALS_MISSED)


if __name__ == "__main__":
    main()
