"""Reminders benchmark: does a tick cost what is due, not how many patients there are, and do
two workers send mail faster than one?

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/relief .venv/bin/python
bench/reminders.py`` (needs PostgreSQL: DATABASE_URL's server, throwaway databases
``relief_bench_rem_*`` that this script drops and recreates).

- R-1: one tick (the one claiming UPDATE … RETURNING, and the 500 send tasks it enqueues, in
  one transaction) at 100,000 patients / at 10,000 patients, the same 500 reminders due in
  both (goal <= 1.3). Each patient has the rows a patient in the middle of a window has:
  five days sent, today's (sent, or due for the 500), fourteen planned ahead; about 20 rows
  a patient, 2 million at 100,000, seeded with COPY, then VACUUM ANALYZE. Each database is
  measured in a fresh process, the two interleaved over several rounds; every tick is rolled
  back, so each round finds the same 500 due. Medians.
- R-2 (reference): the claiming statement alone, the same ratio, and whether PostgreSQL
  plans it as a scan of the partial index ``reminder_planned_due``.
- R-3: 10,000 due evening reminders (10,000 patients, each a visit yesterday) sent as e-mail
  to a local SMTP sink (aiosmtpd, in this process) by two ``relief worker`` processes / by
  one: mails per second from the moment they fell due to the last one received (goal >= 1.6).
  Each run starts from a fresh copy of a migrated database; the workers are up before the
  reminders fall due.

Set ``RELIEF_BENCH_QUICK=1`` for a small smoke run (numbers not comparable). The script
prints its table and rewrites its section of BENCHMARKS.md (``<!-- reminders:start -->``).
"""

from __future__ import annotations

import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from common import (
    GOALS_MISSED,
    child_env,
    copy_csv,
    database_url,
    machine,
    recreate_database,
    write_section,
)

ROOT = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("RELIEF_BENCH_QUICK") == "1"
TEMPLATE = "relief_bench_rem_template"
SMALL, LARGE = (1_000, 10_000) if QUICK else (10_000, 100_000)
DUE = 50 if QUICK else 500
MAILS = 300 if QUICK else 10_000
ROUNDS = 2 if QUICK else 5
TICKS_PER_ROUND = 3
TICK_GOAL, SEND_GOAL = 1.3, 1.6
# Whole-hour zones around the world: at any moment one of them is between 13:00 and 20:59.
ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Sao_Paulo", "Atlantic/South_Georgia",
    "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow",
    "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Brisbane", "Pacific/Noumea", "Pacific/Auckland", "Pacific/Tongatapu",
    "Pacific/Kiritimati",
]  # fmt: skip
EMPTY = '""'  # an empty string in COPY's CSV (an empty field is NULL)
REMINDER_COLUMNS = (
    "patient_id", "kind", "local_date", "due_at", "status", "skip_reason", "channel",
    "created_at", "claimed_at", "sent_at",
)  # fmt: skip


def clone(name: str) -> str:
    """A fresh copy of the migrated template database, as ``name``."""
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return database_url(name)


def copy_rows(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: io.StringIO
) -> None:
    rows.seek(0)
    with conn.cursor().copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


# ---------------------------------------------------------------------------


def seed_tick(url: str, patients: int, now: datetime) -> float:
    """``patients`` patients with about 20 reminder rows each; the first ``DUE`` have
    today's due a minute ago, the others had theirs sent."""
    start = time.perf_counter()
    users, reminders = io.StringIO(), io.StringIO()
    stamp = now.isoformat()
    today = now.date()
    evening = now.replace(hour=18, minute=0, second=0, microsecond=0)
    for i in range(patients):
        patient = uuid.uuid4()
        users.write(f"{patient},!,f,p{i}@bench.example,Patient {i},patient,UTC,t,f,{stamp}\n")
        for back in range(5, 0, -1):
            at = (evening - timedelta(days=back)).isoformat()
            reminders.write(
                f"{patient},evening,{today - timedelta(days=back)},{at},sent,{EMPTY},email,{at},{at},{at}\n"
            )
        if i < DUE:
            due = (now - timedelta(minutes=1)).isoformat()
            reminders.write(f"{patient},evening,{today},{due},planned,{EMPTY},{EMPTY},{stamp},,\n")
        else:
            at = (now - timedelta(hours=1)).isoformat()
            reminders.write(f"{patient},evening,{today},{at},sent,{EMPTY},email,{at},{at},{at}\n")
        for ahead in range(1, 15):
            at = (evening + timedelta(days=ahead)).isoformat()
            reminders.write(
                f"{patient},evening,{today + timedelta(days=ahead)},{at},planned,{EMPTY},{EMPTY},{stamp},,\n"
            )
    with psycopg.connect(url) as conn:
        copy_csv(conn, "accounts_user", users)
        copy_rows(conn, "reminders_reminder", REMINDER_COLUMNS, reminders)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


MEASURE_TICK = """
import json, sys, time
from datetime import timedelta
import django
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from reminders.services import _claim_sql, reminders_claim_due, reminders_tick
from reminders.tasks import enqueue_send

def once(work):
    with transaction.atomic():
        t0 = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - t0
        transaction.set_rollback(True)
    return seconds, result

now = timezone.now()
tick = lambda: reminders_tick(now=now, enqueue=enqueue_send)
claim = lambda: reminders_claim_due(now=now)
once(tick), once(claim)  # warm up: caches, the statement's first compile
ticks, claims, claimed = [], [], set()
for _ in range(int(sys.argv[1])):
    seconds, result = once(tick)
    ticks.append(seconds)
    claimed.add(len(result.queued))
    seconds, _ = once(claim)
    claims.append(seconds)
adapt = connection.ops.adapt_datetimefield_value
late = adapt(now - timedelta(hours=2))
with connection.cursor() as cursor:
    cursor.execute("EXPLAIN (FORMAT JSON) " + _claim_sql(), [late, late, adapt(now), adapt(now), 5000])
    plan = json.dumps(cursor.fetchone()[0])
print(json.dumps({"ticks": ticks, "claims": claims, "claimed": sorted(claimed),
                  "index": "reminder_planned_due" in plan and "Seq Scan" not in plan}))
"""


def measure_tick(url: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE_TICK, str(TICKS_PER_ROUND)],
        env=child_env(url),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_tick() -> dict[str, object]:
    now = datetime.now(UTC)
    urls, seeded = {}, {}
    for size in (SMALL, LARGE):
        urls[size] = clone(f"relief_bench_rem_{size}")
        seeded[size] = seed_tick(urls[size], size, now)
    results: dict[int, list[dict[str, object]]] = {SMALL: [], LARGE: []}
    for _ in range(ROUNDS):  # interleaved, so drift on the machine hits both sizes
        for size in (SMALL, LARGE):
            results[size].append(measure_tick(urls[size]))

    def median(size: int, key: str) -> float:
        return statistics.median(t for r in results[size] for t in r[key])  # type: ignore[attr-defined]

    return {
        "tick_small_ms": median(SMALL, "ticks") * 1000,
        "tick_large_ms": median(LARGE, "ticks") * 1000,
        "claim_small_ms": median(SMALL, "claims") * 1000,
        "claim_large_ms": median(LARGE, "claims") * 1000,
        "claimed_ok": all(r["claimed"] == [DUE] for rs in results.values() for r in rs),
        "index": all(r["index"] for rs in results.values() for r in rs),
        "seed_seconds": sum(seeded.values()),
    }


# ---------------------------------------------------------------------------


class Sink:
    """An aiosmtpd handler that counts what it receives and when the last one came."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self.recipients: set[str] = set()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.count += 1
            self.last = time.monotonic()
            self.recipients.update(envelope.rcpt_tos)  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def seed_due(url: str, count: int, due_in: timedelta) -> datetime:
    """``count`` patients whose evening reminder falls due ``due_in`` from now (in a zone
    where that is afternoon or evening), each with a visit yesterday; returns when."""
    now = datetime.now(UTC)
    due = (now + due_in).replace(second=0, microsecond=0) + timedelta(minutes=1)
    zone = next(z for z in ZONES if 13 <= due.astimezone(ZoneInfo(z)).hour <= 20)
    local_due = due.astimezone(ZoneInfo(zone))
    visit_at = (local_due - timedelta(days=1)).replace(hour=9, minute=0)
    physician = uuid.uuid4()
    stamp = now.isoformat()
    users, visits, settings, reminders = (io.StringIO() for _ in range(4))
    users.write(f"{physician},!,f,dr@bench.example,Dr Bench,physician,{zone},t,f,{stamp}\n")
    for i in range(count):
        patient = uuid.uuid4()
        users.write(f"{patient},!,f,p{i}@bench.example,Patient {i},patient,{zone},t,f,{stamp}\n")
        visits.write(
            f"{uuid.uuid4()},{patient},{physician},{visit_at.isoformat()},{visit_at.date()},"
            f'neck_pain,6,,"",{stamp},{stamp}\n'
        )
        settings.write(f"{patient},t,{local_due:%H:%M},,{zone},{stamp}\n")
        reminders.write(
            f"{patient},evening,{local_due.date()},{due.isoformat()},planned,{EMPTY},{EMPTY},{stamp},,\n"
        )
    with psycopg.connect(url) as conn:
        copy_csv(conn, "accounts_user", users)
        copy_csv(conn, "treatments_visit", visits)
        copy_rows(
            conn,
            "reminders_remindersettings",
            ("patient_id", "enabled", "evening_time", "morning_time", "planned_timezone",
             "updated_at"),
            settings,
        )  # fmt: skip
        copy_rows(conn, "reminders_reminder", REMINDER_COLUMNS, reminders)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return due


def send_run(workers: int) -> dict[str, float]:
    """One run: a fresh database, ``workers`` worker processes up and waiting, ``MAILS``
    reminders falling due; seconds from due to the last mail received."""
    from aiosmtpd.controller import Controller

    url = clone("relief_bench_rem_send")
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    due = seed_due(url, MAILS, timedelta(seconds=40))
    env = {**child_env(url), "EMAIL_URL": f"smtp://127.0.0.1:{port}", "EMAIL_TIMEOUT": "10"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "config.cli", "worker", "--poll", "0.05", "--tick", "1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    try:
        for process in processes:  # each prints one line when it is up
            line = process.stdout.readline() if process.stdout else ""
            if not line.startswith("Relief worker"):
                raise RuntimeError(f"worker did not start: {process.stderr.read()[-2000:]}")
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait <= 0:
            raise RuntimeError("the workers took longer to start than the time to the due moment")
        due_monotonic = time.monotonic() + wait
        deadline = due_monotonic + 1800
        while sink.count < MAILS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {sink.count} of {MAILS} mails in 30 minutes")
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a worker exited early")
            time.sleep(0.2)
        seconds = sink.last - due_monotonic
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
    with psycopg.connect(url) as conn:
        sent = conn.execute(
            "SELECT count(*) FROM reminders_reminder WHERE status = 'sent'"
        ).fetchone()[0]
        tasks = conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'reminders.tasks.reminder_send_task'"
        ).fetchone()[0]
    return {
        "seconds": seconds,
        "rate": MAILS / seconds,
        "once": sent == MAILS == tasks == len(sink.recipients) == sink.count,
    }


def bench_send() -> dict[str, object]:
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    for workers in (1, 2):  # one round each: a run is minutes long
        runs[workers].append(send_run(workers))
    one, two = runs[1][0], runs[2][0]
    return {
        "one_rate": one["rate"],
        "two_rate": two["rate"],
        "ratio": two["rate"] / one["rate"],
        "once": one["once"] and two["once"],
    }


def main() -> None:
    recreate_database(TEMPLATE, child_env)
    tick = bench_tick()
    send = bench_send()
    tick_ratio = tick["tick_large_ms"] / tick["tick_small_ms"]
    claim_ratio = tick["claim_large_ms"] / tick["claim_small_ms"]
    rows = [
        (
            "R-1",
            f"tick (claim + {DUE} send tasks) at {LARGE:,} / {SMALL:,} patients, {DUE} due",
            f"{tick['tick_large_ms']:.0f} ms / {tick['tick_small_ms']:.0f} ms",
            f"{tick_ratio:.2f}x",
            f"<= {TICK_GOAL}",
            "PASS" if tick_ratio <= TICK_GOAL and tick["claimed_ok"] else "FAIL",
        ),
        (
            "R-2 (ref.)",
            "the claiming UPDATE alone, same sizes"
            + (
                "; planned as a scan of reminder_planned_due, no sequential scan"
                if tick["index"]
                else "; NOT planned on the partial index alone"
            ),
            f"{tick['claim_large_ms']:.1f} ms / {tick['claim_small_ms']:.1f} ms",
            f"{claim_ratio:.2f}x",
            "-",
            "-",
        ),
        (
            "R-3",
            f"{MAILS:,} reminders by e-mail to an SMTP sink: 2 workers / 1 worker",
            f"{send['two_rate']:.0f} / {send['one_rate']:.0f} mails/s",
            f"{send['ratio']:.2f}x",
            f">= {SEND_GOAL}",
            "PASS" if send["ratio"] >= SEND_GOAL and send["once"] else "FAIL",
        ),
    ]
    header = "| id | measure | absolute | ratio | goal | result |\n|---|---|---|---|---|---|"
    lines = [f"| {' | '.join(row)} |" for row in rows]
    import django

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join(
        [
            "## Reminders (`bench/reminders.py`)",
            "",
            f"Last run {stamp} on {machine(f'Django {django.get_version()}')}"
            + (" (QUICK: small sizes, not comparable)." if QUICK else "."),
            f"Tick: about 20 reminder rows a patient (5 sent, today's, 14 planned), {DUE} due, "
            f"seeded by COPY in {tick['seed_seconds']:.0f} s; each tick rolled back; medians of "
            f"{ROUNDS} interleaved rounds of {TICKS_PER_ROUND} ticks, each size in a fresh "
            f"process. Every tick claimed exactly {DUE}: "
            f"{'yes' if tick['claimed_ok'] else 'NO'}. Send: workers with `--poll 0.05 "
            "--tick 1`, timed from the moment the reminders fell due to the last mail "
            "received; each reminder sent once, one send task each: "
            f"{'yes' if send['once'] else 'NO'}.",
            "",
            header,
            *lines,
        ]
    )
    print(markdown)
    if not QUICK:
        write_section("reminders", markdown)
    if any(row[5] == "FAIL" for row in rows):
        sys.exit(GOALS_MISSED)


if __name__ == "__main__":
    main()
