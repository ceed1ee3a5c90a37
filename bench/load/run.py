"""Load: the clinic's mix with locust against make serve's topology on PostgreSQL, and DRF's cost.

Run by ``make load`` (PostgreSQL from DATABASE_URL; the throwaway database ``relief_load``
is dropped and recreated). Seeds bench/api.py's data (100 physicians, 3,000 patients,
300,000 check-ins by COPY) plus one visit for each patient of the first 10 physicians,
starts make serve's topology (``deploy/serve.py``: nginx on port 8801 in front of gunicorn's
2 sync workers for 2 cores on a unix socket, the product's pooled connections), then:

1. **Goal run**: LOAD_USERS (60) locust users, each a physician's browser plus a patient's
   phone, at LOAD_RATE (1) task/s each for LOAD_SECONDS (300): 70 % physician reads, 25 %
   check-ins by client UUID, 5 % cookie refreshes (see locustfile.py). Reports p50/p95/p99,
   status counts and requests/s. Goals: at least 50 req/s, p95 <= 300 ms, p99 <= 800 ms,
   no 5xx and no other failure.
2. **Framework cost**: the same mix as fast as answers come (LOAD_RATIO_USERS users, no
   wait), against the API and against bench/load/plain_urls.py (the same selectors,
   services, audit rows and JWT check without DRF), interleaved for LOAD_RATIO_ROUNDS rounds
   of LOAD_RATIO_SECONDS each. Reports requests/s of each and the median ratio.

locust runs on the same two cores as nginx, gunicorn and PostgreSQL; its CPU share is printed. A
run of LOAD_SECONDS >= 120 rewrites the "load" section of RELIABILITY.md. Exit status 1 when a
goal is missed.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rig
from common import machine

DB = "relief_load"
PORT = 8801
SECONDS = int(os.environ.get("LOAD_SECONDS", "300"))
USERS = int(os.environ.get("LOAD_USERS", "60"))
RATE = float(os.environ.get("LOAD_RATE", "1"))
RATIO_USERS = int(os.environ.get("LOAD_RATIO_USERS", "8"))
RATIO_SECONDS = int(os.environ.get("LOAD_RATIO_SECONDS", "30"))
RATIO_ROUNDS = int(os.environ.get("LOAD_RATIO_ROUNDS", "3"))
WORKERS = int(os.environ.get("LOAD_WORKERS", str(os.cpu_count() or 2)))
THREADS = int(os.environ.get("LOAD_THREADS", "1"))
if RATIO_ROUNDS < 1:
    sys.exit("LOAD_RATIO_ROUNDS must be at least 1: the framework-cost ratio needs a round")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOCUST = str(Path(sys.executable).parent / "locust")
GOALS = {"rate": 50.0, "p95": 300.0, "p99": 800.0}


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def locust(
    server: rig.Server,
    doctors: list[dict[str, Any]],
    *,
    target: str,
    users: int,
    rate: float,
    seconds: int,
) -> dict[str, Any]:
    """One headless locust run; every request's sample, summarised."""
    with tempfile.TemporaryDirectory() as tmp:
        creds, samples = Path(tmp) / "creds.json", Path(tmp) / "samples.json"
        creds.write_text(json.dumps(rig.credentials(doctors, users)))
        env = {
            **os.environ,
            "LOAD_CREDENTIALS": str(creds),
            "LOAD_SAMPLES": str(samples),
            "LOAD_TARGET": target,
            "LOAD_RATE": str(rate),
        }
        before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers = server.workers()
        proxies = server.nginx_workers()
        before_server = cpu_seconds(workers)
        before_nginx = cpu_seconds(proxies)
        started = time.monotonic()
        subprocess.run(
            [LOCUST, "-f", str(LOCUSTFILE), "--headless", "--host", server.base,
             "-u", str(users), "-r", str(max(1, users // 3)), "-t", f"{seconds}s",
             "--stop-timeout", "10", "--only-summary", "--loglevel", "ERROR"],
            env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = cpu_seconds(workers) - before_server
        nginx_cpu = cpu_seconds(proxies) - before_nginx
        locust_cpu = (after.ru_utime - before_children.ru_utime) + (
            after.ru_stime - before_children.ru_stime
        )
        rows = json.loads(samples.read_text())
    result = summarise(rows, locust_cpu / wall, server_cpu / wall, len(server.workers()))
    result["nginx_cpu"] = nginx_cpu / wall
    result["loadavg"] = os.getloadavg()[1]  # 5-minute: everything runnable on the machine
    return result


def summarise(rows: list[list[Any]], locust_share: float, server_share: float, alive: int):  # type: ignore[no-untyped-def]
    measured = [r for r in rows if not r[1].startswith("setup:")]
    start = min(r[0] for r in measured)
    end = max(r[0] + r[3] / 1000 for r in measured)
    times = [r[3] for r in measured]
    statuses = Counter(r[2] for r in rows)
    names: dict[str, list[float]] = {}
    for r in measured:
        names.setdefault(r[1], []).append(r[3])
    return {
        "requests": len(measured),
        "seconds": end - start,
        "rate": len(measured) / (end - start),
        "p50": rig.percentile(times, 50),
        "p95": rig.percentile(times, 95),
        "p99": rig.percentile(times, 99),
        "max": max(times),
        "statuses": dict(sorted(statuses.items())),
        "errors_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "failed": sum(n for s, n in statuses.items() if s == 0 or s >= 400),
        "by_name": {
            name: {
                "n": len(v),
                "p50": rig.percentile(v, 50),
                "p95": rig.percentile(v, 95),
                "p99": rig.percentile(v, 99),
            }
            for name, v in sorted(names.items())
        },
        "locust_cpu": locust_share,
        "server_cpu": server_share,
        "workers_alive": alive,
    }


def main() -> None:
    url = rig.recreate_database(DB)
    rig.setup_django(url)
    seeded = rig.seed(url, physicians_with_visits=10)
    doctors = seeded["doctors"]
    print(
        f"seeded {len(seeded['patients']):,} patients, {seeded['entries']:,} check-ins in "
        f"{seeded['seconds']:.0f} s; {sum(len(d['visits']) for d in doctors)} visits in "
        f"{seeded['visit_seconds']:.0f} s",
        flush=True,
    )
    server = rig.Server(url, PORT, workers=WORKERS, threads=THREADS)
    try:
        locust(server, doctors, target="api", users=USERS, rate=RATE, seconds=10)  # warm-up
        locust(server, doctors, target="plain", users=USERS, rate=RATE, seconds=5)
        print(f"goal run: {USERS} users x {RATE} task/s for {SECONDS} s ...", flush=True)
        goal = locust(server, doctors, target="api", users=USERS, rate=RATE, seconds=SECONDS)
        runs: dict[str, list[dict[str, Any]]] = {"api": [], "plain": []}
        for _ in range(RATIO_ROUNDS):
            for target in ("api", "plain"):
                print(f"capacity run: {target}, {RATIO_USERS} users, no wait ...", flush=True)
                runs[target].append(
                    locust(server, doctors, target=target, users=RATIO_USERS, rate=0,
                           seconds=RATIO_SECONDS)
                )  # fmt: skip
    finally:
        server.stop()
    rig.drop_database(DB)
    report(goal, runs)


def report(goal: dict[str, Any], runs: dict[str, list[dict[str, Any]]]) -> None:
    api = statistics.median(r["rate"] for r in runs["api"])
    plain = statistics.median(r["rate"] for r in runs["plain"])
    ratio = statistics.median(
        a["rate"] / p["rate"] for a, p in zip(runs["api"], runs["plain"], strict=True)
    )
    checks = [
        ("requests/s", f"{goal['rate']:.1f}", ">= 50", goal["rate"] >= GOALS["rate"]),
        ("p95", f"{goal['p95']:.0f} ms", "<= 300 ms", goal["p95"] <= GOALS["p95"]),
        ("p99", f"{goal['p99']:.0f} ms", "<= 800 ms", goal["p99"] <= GOALS["p99"]),
        ("5xx responses", str(goal["errors_5xx"]), "0", goal["errors_5xx"] == 0),
        ("other failures (4xx, connection)", str(goal["failed"] - goal["errors_5xx"]), "0",
         goal["failed"] == goal["errors_5xx"]),
    ]  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Last run {stamp} on {machine()}; locust "
        f"{subprocess.run([LOCUST, '--version'], capture_output=True, text=True).stdout.split()[1]}.",
        f"make serve's topology: nginx in front of gunicorn {WORKERS} "
        f"{'sync' if THREADS == 1 else f'gthread x{THREADS}'} workers on a unix socket, "
        f"pooled connections; {USERS} locust users at {RATE:g} task/s each for {SECONDS} s "
        f"({goal['requests']:,} requests). locust shares the 2 cores with nginx, gunicorn and "
        f"PostgreSQL: it used {goal['locust_cpu']:.0%} of one core, the gunicorn workers "
        f"{goal['server_cpu']:.0%}, nginx {goal['nginx_cpu']:.0%}; the machine's 5-minute load average at the end was "
        f"{goal['loadavg']:.1f} (other engineers' tests and benchmarks run on it too).",
        "",
        "| goal | measured | target | result |",
        "|---|---|---|---|",
        *(f"| {n} | {m} | {t} | {'PASS' if ok else 'FAIL'} |" for n, m, t, ok in checks),
        "",
        f"p50 {goal['p50']:.0f} ms, max {goal['max']:.0f} ms; statuses "
        + ", ".join(f"{s}: {n:,}" for s, n in goal["statuses"].items())
        + " (including each device's first refresh).",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {v['n']:,} | {v['p50']:.0f} | {v['p95']:.0f} | {v['p99']:.0f} |"
            for name, v in goal["by_name"].items()
        ),
        "",
        f"Framework cost: the same mix with {RATIO_USERS} users and no wait, "
        f"{RATIO_SECONDS} s a run, {RATIO_ROUNDS} interleaved rounds: API {api:.1f} req/s, "
        f"plain Django {plain:.1f} req/s, ratio API/plain **{ratio:.2f}** "
        f"(p95 {statistics.median(r['p95'] for r in runs['api']):.0f} ms vs "
        f"{statistics.median(r['p95'] for r in runs['plain']):.0f} ms; 5xx "
        f"{sum(r['errors_5xx'] for r in runs['api'] + runs['plain'])}; locust used "
        f"{statistics.median(r['locust_cpu'] for r in runs['api']):.0%} of a core).",
    ]
    markdown = "\n".join(lines)
    print("\n" + markdown + "\n")
    ok = all(c[3] for c in checks)
    print(f"LOAD: {'PASS' if ok else 'FAIL'}")
    if SECONDS >= 120:
        rig.write_section(rig.ROOT / "RELIABILITY.md", "load", markdown)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
