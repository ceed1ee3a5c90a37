"""Web app benchmark: a mid-range phone on a slow network, first and repeat visit.

Run by ``make bench`` (needs PostgreSQL: DATABASE_URL's server, a throwaway database
``relief_bench_frontend`` that this script drops and recreates, seeded with the demo clinic)
and ``make node`` (plotly from npm). It serves Relief with gunicorn as in production
(DEBUG off, WhiteNoise) and drives Debian's Chromium through the DevTools protocol with
mobile emulation: 360x640, 4x CPU slowdown, 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up.

- first visit: the patient signed in on this phone before (refresh cookie and profile kept),
  but the HTTP cache, the service worker and its caches are empty;
- repeat visit: the same phone again, service worker and caches warm.

It measures, as medians over several rounds: bytes over the wire (compressed, as Chromium
counts them), the time from navigation start until the check-in screen is usable (the app
marks ``relief:view:/`` once the 0-10 buttons are in the page and their handlers are live,
so a tap would register), whether any plotly bytes arrive before a chart screen opens, the
size of the plotly bundle shipped against the brotli size of the full ``plotly.min.js``, and
the time until the first chart has drawn (``relief:chart-drawn``) on a first visit to
"My recovery". F-2 divides the repeat visit's usable time by that same visit's first
contentful paint (what the app adds once the browser has painted; the median of the rounds'
own ratios) and also caps the usable time. For reference it records a blank page's first
contentful paint under the same emulation: the browser's own floor, below which no app code
can go. It prints the table and rewrites the "Web app" section of BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from common import GOALS_MISSED, write_section

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BENCH_DB = "relief_bench_frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PATIENT = ("patient@relief.example", "relief-demo")
NETWORK = {
    "offline": False,
    "latency": 150,  # ms, added to each request's round trip
    "downloadThroughput": 1_600_000 / 8,  # bytes/s
    "uploadThroughput": 750_000 / 8,
}
CPU_SLOWDOWN = 4
GOALS = {
    "first_usable_s": 2.0,
    # F-2 (2026-12-06): usable within 1.1x the repeat visit's own first contentful paint, and
    # by 0.3 s. It used to be repeat / first visit, which a faster first visit made worse.
    "repeat_over_paint": 1.1,
    "repeat_usable_s": 0.3,
    "plotly_ratio": 0.35,
    "first_chart_s": 4.0,
}


# --------------------------------------------------------------------------- set-up


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("bench/frontend.py needs DATABASE_URL=postgres://… (make bench sets it)")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def _psql_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str) -> None:
    _psql_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _psql_admin(url, f"CREATE DATABASE {BENCH_DB}")
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    subprocess.run([BIN / "relief", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([BIN / "relief", "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "backend",
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not start")


# --------------------------------------------------------------------------- measuring


class Wire:
    """Bytes over the wire per URL for one page, from the DevTools Network domain."""

    def __init__(self, cdp: Any) -> None:
        self.urls: dict[str, str] = {}
        self.encoding: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.via_worker: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _request(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.encoding[event["requestId"]] = headers.get("content-encoding", "")
        if response.get("fromServiceWorker") and "content-length" in headers:
            # The worker fetched it from the network for the page: the page's own counter
            # says 0, the body's compressed length is what crossed the wire.
            self.via_worker[event["requestId"]] = int(headers["content-length"])

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes[event["requestId"]] = int(event["encodedDataLength"])

    def total(self) -> int:
        return sum(self.bytes.values())

    def matching(self, fragment: str) -> tuple[int, str]:
        ids = [rid for rid, url in self.urls.items() if fragment in url]
        sizes = (self.bytes.get(rid, 0) or self.via_worker.get(rid, 0) for rid in ids)
        return sum(sizes), ",".join(sorted({self.encoding.get(rid, "") for rid in ids}))


def throttled_page(context: Any) -> tuple[Any, Wire]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    wire = Wire(cdp)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return page, wire


# Waits for a mark with a PerformanceObserver (buffered: it also sees a mark made before it
# was attached): nothing runs in the page until the mark exists. Playwright's
# wait_for_function would poll on every animation frame of the throttled main thread that is
# being measured, and inject its helper script there first.
WAIT_FOR_MARK = """([name, timeout]) => new Promise((resolve, reject) => {
    const observer = new PerformanceObserver((list) => {
        const entry = list.getEntriesByName(name)[0];
        if (entry) { observer.disconnect(); resolve(entry.startTime); }
    });
    observer.observe({type: "mark", buffered: true});
    setTimeout(() => { observer.disconnect(); reject(new Error(`no ${name} mark`)); }, timeout);
})"""


def mark(page: Any, name: str, timeout: float = 30_000) -> float:
    """Milliseconds from navigation start to the app's performance mark ``name``."""
    return page.evaluate(WAIT_FOR_MARK, [name, timeout])


# As WAIT_FOR_MARK, for the paint entry (buffered: it is usually there before we ask).
FIRST_PAINT = """(timeout) => new Promise((resolve, reject) => {
    const observer = new PerformanceObserver((list) => {
        const entry = list.getEntriesByName("first-contentful-paint")[0];
        if (entry) { observer.disconnect(); resolve(entry.startTime); }
    });
    observer.observe({type: "paint", buffered: true});
    setTimeout(() => { observer.disconnect(); reject(new Error("no first-contentful-paint")); },
               timeout);
})"""


BLANK = "data:text/html,<!doctype html><meta name=viewport content='width=device-width'><p>Blank"


def first_paint(page: Any, timeout: float = 30_000) -> float:
    """Milliseconds from navigation start to the page's first contentful paint."""
    return page.evaluate(FIRST_PAINT, timeout)


def forget_caches(context: Any, base: str) -> None:
    """Empty the HTTP cache, the service worker and its caches; keep cookie and IndexedDB."""
    page = context.new_page()
    page.goto(base + "/icons/icon-192.png")
    page.evaluate(
        """async () => {
            for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
            for (const name of await caches.keys()) await caches.delete(name);
        }"""
    )
    cdp = context.new_cdp_session(page)
    cdp.send("Network.clearBrowserCache")
    page.close()


def sign_in_once(context: Any, base: str) -> None:
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.fill("input[name=email]", PATIENT[0])
    page.fill("input[name=password]", PATIENT[1])
    page.click("button[type=submit]")
    page.wait_for_selector("form.checkin")
    page.close()


def one_round(browser: Any, base: str) -> dict[str, float]:
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        sign_in_once(context, base)
        forget_caches(context, base)

        page, wire = throttled_page(context)
        page.goto(base + "/", wait_until="commit")
        first_ms = mark(page, "relief:view:/")
        assert page.locator("form.checkin input[name=pain]").count() == 11
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
        page.wait_for_load_state("networkidle")
        plotly_before, _ = wire.matching("/vendor/")
        first_bytes = wire.total()
        page.close()

        # F-2: the usable mark and the first contentful paint of this same visit.
        page, wire = throttled_page(context)
        page.goto(base + "/", wait_until="commit")
        repeat_ms = mark(page, "relief:view:/")
        repeat_paint_ms = first_paint(page)
        page.wait_for_load_state("networkidle")
        repeat_bytes = wire.total()
        page.close()

        # The floor: a blank page (no network, CSS or script) under the same emulation.
        page, _ = throttled_page(context)
        page.goto(BLANK, wait_until="commit")
        blank_paint_ms = first_paint(page)
        page.close()

        forget_caches(context, base)
        page, wire = throttled_page(context)
        page.goto(base + "/#/recovery", wait_until="commit")
        chart_ms = mark(page, "relief:chart-drawn", timeout=60_000)
        plotly_bytes, plotly_encoding = wire.matching("/vendor/plotly")
        page.close()
    finally:
        context.close()
    return {
        "first_ms": first_ms,
        "first_bytes": first_bytes,
        "repeat_ms": repeat_ms,
        "repeat_paint_ms": repeat_paint_ms,
        "repeat_over_paint": repeat_ms / repeat_paint_ms,
        "blank_paint_ms": blank_paint_ms,
        "repeat_bytes": repeat_bytes,
        "plotly_before": plotly_before,
        "chart_ms": chart_ms,
        "plotly_bytes": plotly_bytes,
        "plotly_encoding": plotly_encoding,
    }


def full_plotly_brotli() -> tuple[int, str]:
    """Brotli size (quality 11, as a server would pre-compress) of the full plotly.min.js that
    the plotly Python package ships, compressed by node's zlib (Python has no brotli)."""
    import plotly

    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    script = (
        "const z=require('zlib'),fs=require('fs');"
        "const b=fs.readFileSync(process.argv[1]);"
        "process.stdout.write(String(z.brotliCompressSync(b,{params:"
        "{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))"
    )
    size = subprocess.run(
        ["node", "-e", script, str(full)], capture_output=True, text=True, check=True
    ).stdout
    return int(size), f"plotly.js {plotly.offline.get_plotlyjs_version()} (full)"


# --------------------------------------------------------------------------- report


def _kb(n: float) -> str:
    return f"{n / 1024:,.0f} KiB"


def _result(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(rounds: list[dict[str, Any]], full_br: int, full_name: str) -> tuple[str, bool]:
    med = {
        key: statistics.median(r[key] for r in rounds)
        for key in rounds[0]
        if key != "plotly_encoding"
    }
    encoding = rounds[0]["plotly_encoding"] or "identity"
    first_s, repeat_s, chart_s = (
        med["first_ms"] / 1000,
        med["repeat_ms"] / 1000,
        med["chart_ms"] / 1000,
    )
    repeat_paint_s = med["repeat_paint_ms"] / 1000
    # Each round's usable time over its own visit's paint; the median of those ratios.
    repeat_ratio = med["repeat_over_paint"]
    plotly_ratio = med["plotly_bytes"] / full_br
    checks = {
        "F-1": first_s <= GOALS["first_usable_s"],
        "F-2": repeat_ratio <= GOALS["repeat_over_paint"] and repeat_s <= GOALS["repeat_usable_s"],
        "F-3": med["plotly_before"] == 0,
        "F-4": plotly_ratio <= GOALS["plotly_ratio"],
        "F-5": chart_s <= GOALS["first_chart_s"],
    }
    rows = [
        "| id | measure | absolute | ratio | goal | result |",
        "|---|---|---|---|---|---|",
        f"| F-1 | check-in screen usable, first visit (empty caches) | {first_s:.2f} s, "
        f"{_kb(med['first_bytes'])} over the wire | - | <= 2.0 s | {_result(checks['F-1'])} |",
        f"| F-2 | check-in screen usable, repeat visit (service worker warm) / that visit's "
        f"first contentful paint | {repeat_s:.2f} s / {repeat_paint_s:.2f} s, "
        f"{_kb(med['repeat_bytes'])} over the wire | {repeat_ratio:.2f}x | <= 1.1, and "
        f"<= 0.3 s | {_result(checks['F-2'])} |",
        f"| F-3 | plotly.js bytes before a chart screen opens | "
        f"{med['plotly_before']:,.0f} B | - | 0 | {_result(checks['F-3'])} |",
        f"| F-4 | plotly.js shipped ({encoding}) / brotli size of the full plotly.min.js | "
        f"{_kb(med['plotly_bytes'])} / {_kb(full_br)} | {plotly_ratio:.2f}x | <= 0.35 | "
        f"{_result(checks['F-4'])} |",
        f"| F-5 | first chart drawn, first visit to My recovery | {chart_s:.2f} s | - | "
        f"<= 4.0 s | {_result(checks['F-5'])} |",
    ]
    return "\n".join(rows), all(checks.values())


def median(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rounds) / 1000


def spread(rounds: list[dict[str, Any]], key: str) -> str:
    values = [r[key] / 1000 for r in rounds]
    return f"{min(values):.2f}-{max(values):.2f} s"


def ratio_spread(rounds: list[dict[str, Any]]) -> str:
    values = [r["repeat_over_paint"] for r in rounds]
    return f"{min(values):.2f}-{max(values):.2f}x"


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or "Chromium"
    except OSError:
        return "Chromium"


def main() -> int:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not (ROOT / "node_modules" / "plotly.js-basic-dist-min").exists():
        sys.exit("node_modules is missing: run `make node`")
    url = _database_url()
    prepare_database(url)
    port = _free_port()
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()[0]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            rounds = []
            for i in range(ROUNDS):
                rounds.append(one_round(browser, base))
                print(f"round {i + 1}/{ROUNDS}: {rounds[-1]}", flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        _psql_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")

    load_after = os.getloadavg()[0]
    full_br, full_name = full_plotly_brotli()
    rows, ok = table(rounds, full_br, full_name)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = os.cpu_count()
    section = "\n".join(
        [
            "## Web app (`bench/frontend.py`)",
            "",
            f"Last run {when} on {platform.machine()}, {cpus} CPUs; {chromium_version()} "
            "(headless) driven over the DevTools protocol; gunicorn (2 workers, DEBUG off, "
            "WhiteNoise), demo clinic on PostgreSQL.",
            "Phone emulation: 360x640 at 2x, touch, 4x CPU slowdown, 150 ms latency, "
            f"1.6 Mbit/s down, 750 kbit/s up. Medians of {len(rounds)} rounds. First visit: "
            "signed in before (refresh cookie and profile kept), HTTP cache, service worker "
            "and Cache Storage empty. Usable = the app's `relief:view:/` mark (0-10 buttons "
            f"in the page, handlers live). Full bundle for F-4: {full_name}, brotli quality 11.",
            "",
            rows,
            "",
            f"Spread over the rounds: first visit {spread(rounds, 'first_ms')}; repeat visit "
            f"{spread(rounds, 'repeat_ms')} usable, first contentful paint (usually the app "
            f"shell's header, drawn before the app's modules run) "
            f"{spread(rounds, 'repeat_paint_ms')}, ratio {ratio_spread(rounds)}. For comparison, "
            f"the repeat visit / first visit ratio (F-2's goal until 2026-12-06) is "
            f"{median(rounds, 'repeat_ms') / median(rounds, 'first_ms'):.2f}x, and a blank "
            f"page's first contentful paint (a data: URL: no network, CSS or script) under the "
            f"same emulation comes at {median(rounds, 'blank_paint_ms'):.2f} s. The machine is "
            f"shared: load average {load_before:.1f} at the start of the run, "
            f"{load_after:.1f} at the end.",
        ]
    )
    print(section)
    write_section("frontend", section)
    return 0 if ok else GOALS_MISSED


if __name__ == "__main__":
    sys.exit(main())
