"""Faults: what the clients were told, reconciled against the database afterwards.

Run by ``make faults`` (PostgreSQL from DATABASE_URL; throwaway database ``relief_fault``,
bench/api.py's quick seed plus a visit per patient). Two scenarios, each under write-heavy
load from FAULTS_PHONES (6) patient phones (threads; each PUTs check-ins with its own client
UUIDs and, like the web app's outbox, sends the same UUID and body again until it gets a
2xx) plus one physician reading the entries list and a /readyz poller:

``pg-restart``: PostgreSQL is stopped with a fast shutdown, kept down FAULTS_DOWN_SECONDS
(10), started again. Passes when: during the outage every error is a 503 with Retry-After,
never a 500; no request takes over 5 s; the last error is at most 15 s after the database
is back; every acknowledged check-in is in the database with the content sent; no
check-in is stored twice; every stored check-in has its one audit row. This restarts the
machine's PostgreSQL cluster (``pg_ctlcluster``), which every other user of it notices;
``FAULTS_OUTAGE=proxy`` instead routes the app through a socat proxy that is killed and
restarted (connections reset, port refused), for trying the script on a shared machine.

``worker-kill``: a gunicorn worker is killed with SIGKILL every FAULTS_KILL_EVERY (30) s,
FAULTS_KILLS (3) times. Passes when: every killed worker is replaced (the master is back to
its worker count within 10 s); no 5xx; the same reconciliation as above.

The app is make serve's topology (``deploy/serve.py``: nginx in front of gunicorn on a unix
socket), as a clinic would run it; the clients talk to nginx.

``python bench/faults/run.py [pg-restart] [worker-kill]`` (both by default). Each prints its
figures and PASS/FAIL; a run of both (either outage) rewrites the "faults" section of
RELIABILITY.md.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# bench/api.py's quick seed: a few hundred patients is plenty for writes.
os.environ.setdefault("BENCH_QUICK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "load"))
import psycopg
import rig

DB = "relief_fault"
PORT, PROXY_PORT = 8811, 8829
PHONES = int(os.environ.get("FAULTS_PHONES", "6"))
DOWN_SECONDS = float(os.environ.get("FAULTS_DOWN_SECONDS", "10"))
KILLS = int(os.environ.get("FAULTS_KILLS", "3"))
KILL_EVERY = float(os.environ.get("FAULTS_KILL_EVERY", "30"))
OUTAGE = os.environ.get("FAULTS_OUTAGE", "restart")
PG_VERSION = os.environ.get("FAULTS_PG_VERSION") or sorted(os.listdir("/etc/postgresql"))[-1]
PG_CLUSTER = os.environ.get("FAULTS_PG_CLUSTER", "main")
HANG_SECONDS, RECOVERY_SECONDS = 5.0, 15.0
CLIENT_TIMEOUT = 20.0  # longer than any acceptable answer, so a hang is measured, not cut


@dataclass
class Attempt:
    start: float
    end: float
    kind: str  # "put", "read", "ready"
    status: int  # 0: no HTTP answer (connection reset, refused, timed out)
    entry: str = ""
    retry_after: str | None = None
    error: str = ""


@dataclass
class Log:
    attempts: list[Attempt] = field(default_factory=list)
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


def request(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, str | None, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After"), ""
    except (OSError, http.client.HTTPException) as exc:
        return 0, None, type(exc).__name__
    finally:
        conn.close()


def phone(port: int, token: str, tag: str, log: Log, stop: threading.Event) -> None:
    """A patient's outbox: one check-in at a time, resent with the same UUID until a 2xx."""
    rng = random.Random()
    current: tuple[str, dict[str, Any]] | None = None
    while not stop.is_set():
        if current is None:
            entry = str(uuid.uuid4())
            felt = datetime.now(UTC) - timedelta(minutes=rng.randint(0, 600))
            body = {
                "felt_at": felt.isoformat(),
                "pain": rng.randint(0, 10),
                "soreness": rng.randint(0, 10),
                "notes": f"fault {tag} {entry}",
            }
            current = (entry, body)
            with log.lock:
                log.pending[entry] = body
        entry, body = current
        start = time.monotonic()
        status, retry_after, error = request(port, "PUT", f"/api/v1/entries/{entry}/", token, body)
        log.add(Attempt(start, time.monotonic(), "put", status, entry, retry_after, error))
        if status in (200, 201):
            with log.lock:
                log.acked[entry] = body
                log.pending.pop(entry, None)
            current = None
            time.sleep(0.05)
        else:
            time.sleep(0.5)  # the outbox's next try (Retry-After is honoured by the timer)


def reader(port: int, token: str, log: Log, stop: threading.Event) -> None:
    while not stop.is_set():
        start = time.monotonic()
        status, retry_after, error = request(port, "GET", "/api/v1/entries/", token)
        log.add(Attempt(start, time.monotonic(), "read", status, "", retry_after, error))
        time.sleep(0.2)


def ready_poller(port: int, log: Log, stop: threading.Event) -> None:
    while not stop.is_set():
        start = time.monotonic()
        status, retry_after, error = request(port, "GET", "/readyz", "")
        log.add(Attempt(start, time.monotonic(), "ready", status, "", retry_after, error))
        time.sleep(0.5)


class Load:
    """The phones, the reader and the poller, as threads against ``port``."""

    def __init__(self, port: int, creds: dict[str, Any], tag: str) -> None:
        self.log, self.stop = Log(), threading.Event()
        devices = creds["devices"]
        self.threads = [
            threading.Thread(
                target=phone, args=(port, d["patient"]["access"], tag, self.log, self.stop)
            )
            for d in devices[:PHONES]
        ]
        self.threads.append(
            threading.Thread(
                target=reader, args=(port, devices[0]["physician"]["access"], self.log, self.stop)
            )
        )
        self.threads.append(threading.Thread(target=ready_poller, args=(port, self.log, self.stop)))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT + 5)


def reconcile(url: str, tag: str, log: Log) -> dict[str, Any]:
    """The database against what the phones were told."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id::text, notes, pain, soreness, felt_at FROM diary_entry WHERE notes LIKE %s",
            (f"fault {tag} %",),
        ).fetchall()
        audit = dict(
            conn.execute(
                "SELECT object_id, count(*) FROM audit_auditevent WHERE resource = 'entry' "
                "AND action = 'create' AND object_id = ANY(%s) GROUP BY object_id",
                ([r[0] for r in rows],),
            ).fetchall()
        )
    stored = {r[0]: r for r in rows}
    notes = [r[1] for r in rows]
    lost = [e for e in log.acked if e not in stored]
    changed = [
        e
        for e, body in log.acked.items()
        if e in stored
        and (
            stored[e][2] != body["pain"]
            or stored[e][3] != body["soreness"]
            or stored[e][4] != datetime.fromisoformat(body["felt_at"])
        )
    ]
    return {
        "acknowledged": len(log.acked),
        "stored": len(rows),
        "lost": len(lost),
        "changed": len(changed),
        "duplicates": len(notes) - len(set(notes)),
        # stored although the phone never heard a 2xx for it (its last try was cut off)
        "stored_unacknowledged": len([e for e in stored if e not in log.acked]),
        "pending_at_end": len(log.pending),
        "without_audit": len([e for e in stored if audit.get(e, 0) == 0]),
        "audit_twice": len([e for e in stored if audit.get(e, 0) > 1]),
    }


def reconciled_ok(r: dict[str, Any]) -> bool:
    return (
        r["lost"] == r["changed"] == r["duplicates"] == r["without_audit"] == r["audit_twice"] == 0
        and r["acknowledged"] > 0
    )


# --------------------------------------------------------------------------- PostgreSQL


def pg_ctl(action: str) -> None:
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=True)


def pg_ready(url: str) -> bool:
    parts = urlsplit(url)
    return (
        subprocess.run(
            [
                "pg_isready",
                "-q",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
            ],
            check=False,
        ).returncode
        == 0
    )


class Proxy:
    """socat between the app and PostgreSQL: stopping it resets every connection."""

    def __init__(self, url: str) -> None:
        self.target = urlsplit(url)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        host, port = self.target.hostname or "127.0.0.1", self.target.port or 5432
        self.process = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{PROXY_PORT},fork,reuseaddr,bind=127.0.0.1",
             f"TCP:{host}:{port}"],
            start_new_session=True,
        )  # fmt: skip
        time.sleep(0.3)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the listener and every child
            self.process.wait()

    def url(self, url: str) -> str:
        return urlsplit(url)._replace(netloc=f"postgres@127.0.0.1:{PROXY_PORT}").geturl()


def pg_restart(url: str, creds: dict[str, Any]) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    proxy = Proxy(url) if OUTAGE == "proxy" else None
    app_url = url
    if proxy:
        proxy.start()
        app_url = proxy.url(url)
    server = rig.Server(app_url, PORT, workers=2)
    t0 = time.monotonic()
    try:
        with Load(PORT, creds, tag) as load:
            time.sleep(8)
            down_at = time.monotonic()
            try:
                if proxy:
                    proxy.stop()
                else:
                    pg_ctl("stop")
                time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
            finally:
                if proxy:
                    proxy.start()
                else:
                    pg_ctl("start")
                for _ in range(120):
                    if pg_ready(url):
                        break
                    time.sleep(0.25)
            up_at = time.monotonic()
            time.sleep(25)
        log = load.log
    finally:
        server.stop()
        if proxy:
            proxy.stop()
    outage = [a for a in log.attempts if down_at <= a.end <= up_at]
    errors = [a for a in log.attempts if a.kind != "ready" and a.status not in (200, 201)]
    last_error = max((a.end for a in errors), default=up_at)
    result = {
        "scenario": "pg-restart",
        "outage": "socat proxy killed" if proxy else "pg_ctlcluster stop -m fast / start",
        "down_seconds": up_at - down_at,
        "requests": len([a for a in log.attempts if a.kind != "ready"]),
        "outage_statuses": _statuses(outage),
        "status_500": len([a for a in log.attempts if a.status == 500]),
        "status_5xx_other_than_503": len([a for a in log.attempts if a.status >= 500 and a.status != 503]),
        "no_answer": len([a for a in log.attempts if a.status == 0]),
        "503_without_retry_after": len(
            [a for a in log.attempts if a.status == 503 and not a.retry_after]
        ),
        "slowest_seconds": max(a.end - a.start for a in log.attempts),
        "over_5s": len([a for a in log.attempts if a.end - a.start > HANG_SECONDS]),
        "last_error_after_up_seconds": max(0.0, last_error - up_at),
        "first_error_after_down_seconds": min((a.end for a in errors), default=down_at) - down_at,
        "timeline": _timeline(log, t0),
        **reconcile(url, tag, log),
    }  # fmt: skip
    result["pass"] = (
        result["status_5xx_other_than_503"] == 0
        and result["no_answer"] == 0
        and result["503_without_retry_after"] == 0
        and result["over_5s"] == 0
        and result["last_error_after_up_seconds"] <= RECOVERY_SECONDS
        and reconciled_ok(result)
    )
    return result


# --------------------------------------------------------------------------- workers


def worker_kill(url: str, creds: dict[str, Any]) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    server = rig.Server(url, PORT, workers=2)
    kills, replaced = [], []
    try:
        with Load(PORT, creds, tag) as load:
            for _ in range(KILLS):
                time.sleep(KILL_EVERY)
                before = server.workers()
                victim = random.choice(before)
                os.kill(victim, signal.SIGKILL)
                killed_at = time.monotonic()
                kills.append(victim)
                back = None
                while time.monotonic() - killed_at < 10:
                    now = server.workers()
                    if len(now) == len(before) and victim not in now:
                        back = time.monotonic() - killed_at
                        break
                    time.sleep(0.1)
                replaced.append(back)
            time.sleep(5)
        log = load.log
    finally:
        server.stop()
    result = {
        "scenario": "worker-kill",
        "kills": len(kills),
        "replaced_within_seconds": replaced,
        "requests": len([a for a in log.attempts if a.kind != "ready"]),
        "statuses": _statuses(log.attempts),
        "status_5xx": len([a for a in log.attempts if a.status >= 500]),
        "no_answer": len([a for a in log.attempts if a.status == 0]),
        "slowest_seconds": max(a.end - a.start for a in log.attempts),
        **reconcile(url, tag, log),
    }
    result["pass"] = (
        all(r is not None for r in replaced) and result["status_5xx"] == 0 and reconciled_ok(result)
    )
    return result


def _statuses(attempts: list[Attempt]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in attempts:
        key = str(a.status) if a.status else f"no answer ({a.error})"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def _timeline(log: Log, t0: float) -> list[str]:
    """Per second: the answers the phones and the reader got (for the report)."""
    seconds: dict[int, dict[str, int]] = {}
    for a in log.attempts:
        if a.kind == "ready":
            continue
        bucket = seconds.setdefault(int(a.end - t0), {})
        key = str(a.status or "-")
        bucket[key] = bucket.get(key, 0) + 1
    return [
        f"{s:3d}s " + " ".join(f"{k}x{v}" for k, v in sorted(b.items()))
        for s, b in sorted(seconds.items())
    ]


def main() -> None:
    scenarios = sys.argv[1:] or ["pg-restart", "worker-kill"]
    unknown = set(scenarios) - {"pg-restart", "worker-kill"}
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    url = rig.recreate_database(DB)
    rig.setup_django(url)
    seeded = rig.seed(url, physicians_with_visits=1)
    results = []
    for scenario in scenarios:
        creds = rig.credentials(seeded["doctors"], PHONES)
        from django.db import connection

        connection.close()  # the set-up's connection must not outlive a restart
        with contextlib.suppress(Exception):
            connection.close_pool()
        print(f"{scenario} ...", flush=True)
        result = (pg_restart if scenario == "pg-restart" else worker_kill)(url, creds)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=1))
        print(f"{scenario}: {'PASS' if result['pass'] else 'FAIL'}", flush=True)
    rig.drop_database(DB)
    markdown = report(results)
    print("\n" + markdown)
    # Either outage (the report names it): on a shared machine the proxy cut is the one run.
    if set(scenarios) == {"pg-restart", "worker-kill"}:
        rig.write_section(rig.ROOT / "RELIABILITY.md", "faults", markdown)
    print(f"FAULTS: {'PASS' if all(r['pass'] for r in results) else 'FAIL'}")
    if not all(r["pass"] for r in results):
        sys.exit(1)


def report(results: list[dict[str, Any]]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Last run {stamp}; {PHONES} phones writing, one physician reading, through "
             "nginx (make serve's topology) to gunicorn's 2 sync workers on a unix socket.",
             ""]  # fmt: skip
    for r in results:
        lines.append(f"**{r['scenario']}**: {'PASS' if r['pass'] else 'FAIL'}")
        lines.append("")
        if r["scenario"] == "pg-restart":
            lines += [
                f"- {r['outage']}, database unreachable for {r['down_seconds']:.1f} s; "
                f"{r['requests']:,} requests.",
                f"- answers that ended during the outage: {r['outage_statuses']}; "
                f"500s: {r['status_500']}, other 5xx than 503: {r['status_5xx_other_than_503']}, "
                f"no answer: {r['no_answer']}, 503 without Retry-After: "
                f"{r['503_without_retry_after']}.",
                f"- slowest request {r['slowest_seconds']:.2f} s ({r['over_5s']} over 5 s); "
                f"last error {r['last_error_after_up_seconds']:.1f} s after the database was "
                "back.",
            ]
        else:
            lines += [
                f"- {r['kills']} workers killed with SIGKILL, replaced after "
                + ", ".join(f"{s:.1f} s" if s is not None else "never" for s in r["replaced_within_seconds"])
                + f"; {r['requests']:,} requests: {r['statuses']}; slowest "
                f"{r['slowest_seconds']:.2f} s.",
            ]  # fmt: skip
        lines.append(
            f"- reconciliation: {r['acknowledged']:,} check-ins acknowledged, {r['stored']:,} "
            f"stored ({r['stored_unacknowledged']} stored but unacknowledged, "
            f"{r['pending_at_end']} still in an outbox at the end); lost {r['lost']}, changed "
            f"{r['changed']}, duplicated {r['duplicates']}, without audit row "
            f"{r['without_audit']}, with two {r['audit_twice']}."
        )
        lines.append("")
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    main()
