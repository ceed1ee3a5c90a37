"""API at the limit: the hot paths' costs against their floors, measured side by side.

Run by ``make bench`` (PostgreSQL from DATABASE_URL; a throwaway database ``relief_bench_api``
is dropped and recreated). Seeds 100 physicians, 3,000 patients and 300,000 check-ins by
COPY, runs VACUUM ANALYZE, starts gunicorn (sync workers = CPU count, pooled connections)
with bench/api_support settings (the product's URLs plus the baselines), warms up, then runs
each pair interleaved (A B A B ...) for ROUNDS rounds with wrk at a fixed concurrency and
prints absolutes and median ratios. Rewrites the "API" section of BENCHMARKS.md.
``BENCH_QUICK=1``: a small seed and short runs, to try the harness.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from common import GOALS_MISSED, copy_csv, recreate_database, write_section
from common import machine as common_machine

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "relief_bench_api"
QUICK = os.environ.get("BENCH_QUICK") == "1"
PHYSICIANS, PATIENTS_EACH, ENTRIES_EACH = (10, 30, 20) if QUICK else (100, 30, 100)
ROUNDS, SECONDS, CONNECTIONS = (2, 2, 8) if QUICK else (5, 5, 8)
WORKERS = os.cpu_count() or 1  # gunicorn sync workers: one per core
# BENCH_ONLY=W-1,W-3: only those pairs' runs (to iterate on one path); BENCHMARKS.md is then
# left alone, since its table is always a whole run.
ONLY = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
RUNS_OF = {
    "API-1": ("list", "plain", "bare"),
    "API-2": (),
    "API-3": ("me", "stub"),
    "API-4": ("pooled", "newconn", "pooled_list", "newconn_list"),
    # W-1 has no goal since 2026-12-06 (BENCHMARKS.md): only its reference row is measured.
    "W-1": ("put_workers", "pgbench_workers"),
    "W-2": ("put", "list"),
    "W-3": ("sync", "copy"),
}
# The product's configuration; the same with the session cache off (every request checks its
# session in the database), pooled; and that with a new connection per request (API-4).
PORT, PORT_POOLED_QUERY, PORT_NEWCONN = 8765, 8766, 8767
# One pair of keys for the whole run: tokens minted while seeding must work on every server.
SECRET_KEY, JWT_SIGNING_KEY = secrets.token_urlsafe(50), secrets.token_urlsafe(50)


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECRET_KEY": SECRET_KEY,
        "JWT_SIGNING_KEY": JWT_SIGNING_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "api_bench_settings",
        "PYTHONPATH": f"{ROOT / 'backend'}:{ROOT / 'bench' / 'api_support'}",
    }


def entry_rows(patient: uuid.UUID, count: int, now: datetime) -> str:
    out = []
    stamp = now.isoformat()
    for k in range(count):
        felt = now - timedelta(hours=6 * k + 1)
        out.append(
            f"{uuid.uuid4()},{patient},{felt.isoformat()},{stamp},{stamp},{felt.date()},,,"
            f'{k % 11},{(k * 3) % 11},none,f,f,f,"",1\n'
        )
    return "".join(out)


def seed(url: str) -> dict[str, object]:
    start = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.isoformat()
    users, links, entries = io.StringIO(), io.StringIO(), io.StringIO()
    physicians, patients = [], []
    for d in range(PHYSICIANS):
        doctor = uuid.uuid4()
        physicians.append(doctor)
        users.write(f"{doctor},!,f,dr{d}@bench.example,Dr {d},physician,UTC,t,f,{stamp}\n")
        for p in range(PATIENTS_EACH):
            patient = uuid.uuid4()
            patients.append(patient)
            users.write(
                f"{patient},!,f,p{d}-{p}@bench.example,Patient {d}-{p},patient,UTC,t,f,{stamp}\n"
            )
            links.write(f"{doctor},{patient},{stamp}\n")
            entries.write(entry_rows(patient, ENTRIES_EACH, now))
    with psycopg.connect(url) as conn:
        copy_csv(conn, "accounts_user", users)
        copy_csv(conn, "accounts_carelink", links)
        copy_csv(conn, "diary_entry", entries)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "physicians": physicians,
        "patients": patients,
        "entries": len(patients) * ENTRIES_EACH,
        "seconds": time.perf_counter() - start,
    }


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    sys.path[:0] = [str(ROOT / "backend"), str(ROOT / "bench" / "api_support")]
    import django

    django.setup()


def tokens(user_ids: list[uuid.UUID]) -> list[str]:
    from accounts.models import User
    from accounts.services import session_start

    return [session_start(user=User.objects.get(pk=pk)).access for pk in user_ids]


def start_gunicorn(
    url: str, port: int, *, new_connection: bool = False, session_cache: bool = True
) -> subprocess.Popen:
    env = environment(url)
    if new_connection:
        env["BENCH_NEW_CONNECTION"] = "1"
    env["RELIEF_SESSION_CACHE"] = "true" if session_cache else "false"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            import urllib.request

            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except Exception:
            time.sleep(0.2)
    process.terminate()
    sys.exit(f"gunicorn on port {port} did not start")


LUA_HEADERS = """
local tokens = {%s}
local paths = {%s}
local users = %s
local counter = 0
request = function()
  counter = counter + 1
  local i = (counter %% #tokens) + 1
  return wrk.format(nil, paths[(counter %% #paths) + 1], {["Authorization"] = "Bearer " .. tokens[i],
    ["X-Bench-User"] = users[i]})
end
"""

LUA_UUID = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  -- each thread its own random stream: ids must never collide across threads or runs
  math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(os.clock() * 1e6))
end
local function uuid()
  return string.format("%%08x-%%04x-4%%03x-%%04x-%%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0x8000, 0xbfff),
    math.random(0, 0xffffffff) * 65536 + math.random(0, 0xffff))
end
"""

LUA_PUT = (
    LUA_UUID
    + """
local tokens = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"felt_at":"%s","pain":4,"soreness":3,"bruising":"none","iced":true,' ..
    '"heated":false,"strenuous_activity":false,"notes":"bench"}'
  return wrk.format("PUT", "/api/v1/entries/" .. uuid() .. "/", {["Authorization"] = "Bearer " ..
    tokens[(counter %% #tokens) + 1], ["Content-Type"] = "application/json"}, body)
end
"""
)

LUA_SYNC = (
    LUA_UUID
    + """
local tokens = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local parts = {}
  for n = 1, 500 do
    parts[n] = '{"id":"' .. uuid() .. '","felt_at":"%s","pain":' .. (n %% 11) ..
      ',"soreness":3,"bruising":"none","iced":true,"heated":false,' ..
      '"strenuous_activity":false,"notes":"bench"}'
  end
  local body = '{"entries":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/entries/sync/", {["Authorization"] = "Bearer " ..
    tokens[(counter %% #tokens) + 1], ["Content-Type"] = "application/json"}, body)
end
"""
)


def lua_list(values: list[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def wrk(port: int, script: str, *, seconds: float = SECONDS, connections: int = CONNECTIONS):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            f.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    if "error" in out.lower() or "Requests/sec" not in out:
        sys.exit(f"wrk failed:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit(f"wrk saw {bad.group(1)} error responses:\n{out}")
    return rate


def pgbench_insert(url: str, patient: uuid.UUID, connections: int = CONNECTIONS) -> float:
    """W-1 floor: one-row INSERT transactions into diary_entry, synchronous_commit=on."""
    sql = (
        "SET synchronous_commit = on;\n"
        "INSERT INTO diary_entry (id, patient_id, felt_at, recorded_at, updated_at, local_date,"
        " pain, soreness, bruising, iced, heated, strenuous_activity, notes, version) VALUES "
        f"(gen_random_uuid(), '{patient}', now(), now(), now(), current_date, 4, 3, 'none',"
        " true, false, false, 'bench', 1);\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql)
    parts = urlsplit(url)
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(connections),
            "-j",
            "2",
            "-T",
            str(int(SECONDS)),
            "-f",
            f.name,
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            BENCH_DB,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def copy_rate(url: str, patient: uuid.UUID, rows: int = 50_000) -> float:
    """W-3 floor: psycopg COPY rows/s into diary_entry (one transaction)."""
    data = io.StringIO(entry_rows(patient, rows, datetime.now(UTC)))
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        copy_csv(conn, "diary_entry", data)
        conn.commit()
        return rows / (time.perf_counter() - start)


def build_cost(physician: uuid.UUID) -> tuple[float, float]:
    """API-2: the API's way of building a list response, for 1,000 entries (the selector's
    rows and the API's configured renderer), vs ``.values()`` dicts + orjson (ms, same
    rows, the query included in both)."""
    import orjson
    from api_bench_urls import FIELDS
    from django.conf import settings
    from django.utils.module_loading import import_string

    from accounts.models import User
    from diary.selectors import entries_visible_to, entry_dicts, entry_values

    renderer = import_string(settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0])()
    user = User.objects.get(pk=physician)
    query = entries_visible_to(user).order_by("-felt_at", "-recorded_at", "id")[:1000]

    def api() -> None:
        renderer.render({"results": entry_dicts(entry_values(query))})

    def floor() -> None:
        orjson.dumps(list(query.values(*FIELDS)))

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        for _ in range(3):
            fn()
        return (time.perf_counter() - start) / 3 * 1000

    a, b = [], []
    for _ in range(ROUNDS):
        a.append(timed(api))
        b.append(timed(floor))
    return statistics.median(a), statistics.median(b)


def machine() -> str:
    import django

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[:2]
    return common_machine(f"Django {django.get_version()}", " ".join(wrk_version))


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def main() -> None:
    if ONLY - RUNS_OF.keys():
        sys.exit(
            f"BENCH_ONLY: unknown pair(s) {sorted(ONLY - RUNS_OF.keys())}; pairs: {list(RUNS_OF)}"
        )
    url = recreate_database(BENCH_DB, lambda url: {**environment(url), "DEBUG": "true"})
    seeded = seed(url)
    setup_django(url)
    # Reads by the first physicians; writes by the last physician's patients, so that the
    # rows the write runs add never change what the interleaved read runs measure.
    doctors = seeded["physicians"][:8]
    patients = seeded["patients"][-8:]
    doctor_tokens, patient_tokens = tokens(doctors), tokens(patients)
    felt = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    servers = [
        start_gunicorn(url, PORT),
        start_gunicorn(url, PORT_POOLED_QUERY, session_cache=False),
        start_gunicorn(url, PORT_NEWCONN, new_connection=True, session_cache=False),
    ]
    try:
        ids = lua_list([str(d) for d in doctors])
        list_api = LUA_HEADERS % (lua_list(doctor_tokens), '"/api/v1/entries/"', "{" + ids + "}")
        list_plain = LUA_HEADERS % (
            lua_list(doctor_tokens),
            '"/bench/plain/entries/"',
            "{" + ids + "}",
        )
        list_bare = LUA_HEADERS % (
            lua_list(doctor_tokens),
            '"/bench/plain/entries-query-only/"',
            "{" + ids + "}",
        )
        me = LUA_HEADERS % (lua_list(doctor_tokens), '"/api/v1/auth/me/"', "{" + ids + "}")
        me_stub = LUA_HEADERS % (lua_list(doctor_tokens), '"/bench/stub/me/"', "{" + ids + "}")
        put = LUA_PUT % (lua_list(patient_tokens), felt)
        batch = LUA_SYNC % (lua_list(patient_tokens), felt)
        for script in (list_api, list_plain, list_bare, me, me_stub, put):  # warm-up
            wrk(PORT, script, seconds=1)
        for port in (PORT_POOLED_QUERY, PORT_NEWCONN):
            wrk(port, me, seconds=1)
            wrk(port, list_api, seconds=1)
        measures = {
            "list": lambda: wrk(PORT, list_api),
            "plain": lambda: wrk(PORT, list_plain),
            "bare": lambda: wrk(PORT, list_bare),
            "me": lambda: wrk(PORT, me),
            "stub": lambda: wrk(PORT, me_stub),
            "pooled": lambda: wrk(PORT_POOLED_QUERY, me),
            "newconn": lambda: wrk(PORT_NEWCONN, me),
            "pooled_list": lambda: wrk(PORT_POOLED_QUERY, list_api),
            "newconn_list": lambda: wrk(PORT_NEWCONN, list_api),
            "put": lambda: wrk(PORT, put),
            # W-1, for reference: both sides at the API's own database connection count (one
            # per sync worker): wrk with that many connections, pgbench with as many clients.
            "put_workers": lambda: wrk(PORT, put, connections=WORKERS),
            "pgbench_workers": lambda: pgbench_insert(url, patients[0], WORKERS),
            "sync": lambda: wrk(PORT, batch, connections=WORKERS) * 500,
            "copy": lambda: copy_rate(url, patients[0]),
        }
        wanted = {key for pair in (ONLY or RUNS_OF) for key in RUNS_OF[pair]}
        runs: dict[str, list[float]] = {key: [] for key in measures if key in wanted}
        for _ in range(ROUNDS):  # interleaved: every measure once a round, in this order
            for key in runs:
                runs[key].append(measures[key]())
        api_ms, floor_ms = build_cost(doctors[0]) if not ONLY or "API-2" in ONLY else (0, 1)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    if ONLY:
        # Pairs left out get no runs: fill them with a placeholder so the table code stays one.
        runs = {key: runs.get(key, [float("nan")] * ROUNDS) for key in measures}
    med = {k: statistics.median(v) for k, v in runs.items()}
    r = {
        "API-1": ratio(runs["list"], runs["plain"]),
        "API-2": api_ms / floor_ms,
        "API-3": ratio(runs["me"], runs["stub"]),
        "API-4": ratio(runs["pooled"], runs["newconn"]),
        "W-2": ratio(runs["put"], runs["list"]),
        "W-3": ratio(runs["sync"], runs["copy"]),
    }
    rows = [
        ("API-1", "`GET /api/v1/entries/` (30 newest, physician) / plain view, same JWT check "
         "and database work (count, page, audit rows), .values()+orjson", f"{med['list']:.0f} / {med['plain']:.0f} req/s",
         r["API-1"], ">= 0.85", r["API-1"] >= 0.85),
        ("API-1 (ref.)", "the same list / the page query alone, no count and no audit row "
         "(for reference: what the audit row and count cost; no goal)",
         f"{med['list']:.0f} / {med['bare']:.0f} req/s", ratio(runs["list"], runs["bare"]), "-",
         None),
        ("API-2", "building the response for 1,000 entries / .values()+orjson (time)",
         f"{api_ms:.1f} / {floor_ms:.1f} ms", r["API-2"], "<= 3", r["API-2"] <= 3),
        ("API-3", "`GET /api/v1/auth/me/` / the same with authentication stubbed",
         f"{med['me']:.0f} / {med['stub']:.0f} req/s", r["API-3"], ">= 0.90", r["API-3"] >= 0.90),
        ("API-4", "`GET /api/v1/auth/me/` with its one query (session cache off), pooled "
         "connections / a new connection per request",
         f"{med['pooled']:.0f} / {med['newconn']:.0f} req/s", r["API-4"], ">= 3", r["API-4"] >= 3),
        ("API-4 (ref.)", "entries list (count, page, audit rows, a commit), pooled / a new "
         "connection per request (for reference; no goal)",
         f"{med['pooled_list']:.0f} / {med['newconn_list']:.0f} req/s",
         ratio(runs["pooled_list"], runs["newconn_list"]), "-", None),
        ("W-1 (ref.)", "`PUT /api/v1/entries/{id}/` req/s / pgbench one-row INSERT tps "
         f"(synchronous_commit=on), {WORKERS} connections on both sides (wrk and pgbench; the "
         f"API's {WORKERS} sync workers hold {WORKERS} database connections; for reference, "
         "no goal since 2026-12-06)",
         f"{med['put_workers']:.0f} / {med['pgbench_workers']:.0f}",
         ratio(runs["put_workers"], runs["pgbench_workers"]), "-", None),
        ("W-2", "check-in writes req/s / list reads req/s",
         f"{med['put']:.0f} / {med['list']:.0f} req/s", r["W-2"], ">= 0.9", r["W-2"] >= 0.9),
        ("W-3", "`POST /api/v1/entries/sync/` (500 new entries a request) rows/s / psycopg COPY "
         "rows/s", f"{med['sync']:,.0f} / {med['copy']:,.0f} rows/s", r["W-3"], ">= 0.3",
         r["W-3"] >= 0.3),
    ]  # fmt: skip
    header = "| id | measure | absolute | ratio | goal | result |\n|---|---|---|---|---|---|"
    if ONLY:
        rows = [row for row in rows if row[0].split(" ")[0] in ONLY]
    lines = [
        f"| {i} | {m} | {a} | {x:.2f}x | {g} | {'-' if ok is None else 'PASS' if ok else 'FAIL'} |"
        for i, m, a, x, g, ok in rows
    ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join(
        [
            "## API at the limit (`bench/api.py`)",
            "",
            f"Last run {stamp} on {machine()}.",
            f"{PHYSICIANS:,} physicians, {len(seeded['patients']):,} patients, "
            f"{seeded['entries']:,} check-ins (COPY in {seeded['seconds']:.0f} s, then VACUUM "
            f"ANALYZE). gunicorn, {WORKERS} sync workers, pooled connections; wrk, "
            f"{CONNECTIONS} connections, {SECONDS} s a run; medians of {ROUNDS} interleaved "
            f"rounds{' (BENCH_QUICK: small seed, short runs)' if QUICK else ''}.",
            "",
            header,
            *lines,
        ]
    )
    print(markdown)
    if not QUICK and not ONLY:
        write_section("api", markdown)
    if not all(row[5] for row in rows if row[5] is not None):
        sys.exit(GOALS_MISSED)


if __name__ == "__main__":
    main()
