"""Export benchmark: do 100,000-check-in CSV and FHIR exports keep memory flat?

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/relief .venv/bin/python bench/exports.py``
(needs PostgreSQL: DATABASE_URL's server, a throwaway database ``relief_bench_exports``
that this script drops and recreates). It seeds, with COPY, one physician and two
patients: one with 1,000 check-ins and one with 100,000 (a visit every 28 days, check-ins
every ~30 minutes, some notes, some starting with ``=``). Then, in a **fresh process per
measurement**, it streams ``GET /api/v1/patients/{id}/entries.csv`` through the real view
and URL stack (DRF test client, forced authentication) and reads the process's peak RSS
as ``VmHWM`` from ``/proc/self/status`` (``getrusage``'s ``ru_maxrss`` survives ``exec``,
so a child of this seeding process would report the parent's peak).

- E-1: peak RSS streaming 100k / streaming 1k (goal <= 1.10: memory does not grow with
  the history);
- E-2: the same 100k rows fetched at once and joined in memory (what not streaming would
  cost), for reference;
- E-3: CSV export throughput, rows/s, for the 100k export;
- E-4: the FHIR bundle (also streamed), peak RSS 100k / 1k (goal <= 1.10).

Rounds are interleaved and the median is reported. The script prints the table and
rewrites its own section of BENCHMARKS.md (between ``<!-- exports:start -->`` and
``<!-- exports:end -->``).
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from common import GOALS_MISSED, child_env, copy_csv, machine, recreate_database, write_section

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "relief_bench_exports"
SMALL, LARGE = 1_000, 100_000
ROUNDS = 3
GOAL = 1.10
NOTES = (
    "",
    "",
    "",
    "Walked 20 minutes, stiff afterwards",
    "Better after ice, tight band still there",
    '=HYPERLINK("http://evil.example","x")',
)
# One pair of keys for the whole run (each child process must accept the others' tokens).


def _history(
    patient: uuid.UUID, physician: uuid.UUID, count: int, now: datetime, out: dict[str, io.StringIO]
) -> None:
    """``count`` check-ins every 30 minutes up to yesterday, a visit every 28 days."""
    stamp = now.isoformat()
    first = (now - timedelta(days=1, minutes=30 * count)).replace(second=0, microsecond=0)
    visit_at = first - timedelta(hours=1)
    visit_id, visit_date = None, None
    for i in range(count):
        felt = first + timedelta(minutes=30 * i)
        if visit_id is None or felt - visit_at >= timedelta(days=28):
            visit_at = felt - timedelta(minutes=10) if visit_id else visit_at
            visit_id, visit_date = uuid.uuid4(), visit_at.date()
            baseline = "" if i % 3 == 2 else "7"  # a third use the 7-day fallback
            out["visits"].write(
                f"{visit_id},{patient},{physician},{visit_at.isoformat()},{visit_date},"
                f'neck_pain,{baseline},,"",{stamp},{stamp}\n'
            )
            out["sites"].write(f"{visit_id},neck,Upper trapezius,left,t,f,f,1.0\n")
        day = (felt.date() - visit_date).days
        pain, soreness = (3 + i % 5), max(0, 6 - day)
        note = NOTES[i % len(NOTES)].replace('"', '""')
        out["entries"].write(
            f"{uuid.uuid4()},{patient},{felt.isoformat()},{stamp},{stamp},{felt.date()},"
            f"{visit_id},{day},{pain},{soreness},none,{'t' if i % 4 == 0 else 'f'},f,f,"
            f'"{note}",1\n'
        )


def seed(url: str) -> dict[str, object]:
    started = time.perf_counter()
    now = datetime.now(UTC)
    stamp = now.isoformat()
    physician, small, large = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    out = {name: io.StringIO() for name in ("users", "links", "visits", "sites", "entries")}
    out["users"].write(f"{physician},!,f,dr@bench.example,Dr Bench,physician,UTC,t,f,{stamp}\n")
    for patient, count in ((small, SMALL), (large, LARGE)):
        out["users"].write(
            f"{patient},!,f,p{count}@bench.example,Patient {count},patient,UTC,t,f,{stamp}\n"
        )
        out["links"].write(f"{physician},{patient},{stamp}\n")
        _history(patient, physician, count, now, out)
    with psycopg.connect(url) as conn:
        copy_csv(conn, "accounts_user", out["users"])
        copy_csv(conn, "accounts_carelink", out["links"])
        copy_csv(conn, "treatments_visit", out["visits"])
        copy_csv(conn, "treatments_injectionsite", out["sites"])
        copy_csv(conn, "diary_entry", out["entries"])
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"small": small, "large": large, "seconds": time.perf_counter() - started}


# One measurement, run in a fresh interpreter: Django set up, the export streamed through
# the view (or, with mode "buffered", every row fetched first and the file joined in memory).
CHILD = r"""
import sys, time
import django
django.setup()
from rest_framework.test import APIClient
from accounts.models import User
from interop import csv_export, selectors

mode, patient_id = sys.argv[1], sys.argv[2]
user = User.objects.get(pk=patient_id)
started = time.perf_counter()
if mode in ("csv", "fhir"):
    client = APIClient()
    client.force_authenticate(user=user)
    path = "entries.csv" if mode == "csv" else "fhir/"
    response = client.get(f"/api/v1/patients/{patient_id}/{path}")
    assert response.status_code == 200 and response.streaming
    size = count = 0
    # Chunks end at row / bundle-entry boundaries, so counting per chunk is exact.
    marker = b"\r\n" if mode == "csv" else b'"resourceType":"Observation"'
    for chunk in response.streaming_content:
        size += len(chunk)
        count += chunk.count(marker)
    response.close()
    rows = count - 1 if mode == "csv" else count // 3  # minus the header; 3 per check-in
else:
    baselines = selectors.visit_baselines(user=user, patient=user)
    everything = list(selectors.export_entries(user=user, patient=user))
    body = "".join(csv_export.stream_csv(everything, baselines)).encode()
    size, rows = len(body), body.count(b"\r\n") - 1
seconds = time.perf_counter() - started
status = open("/proc/self/status").read()
peak = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM"))
print(f"RESULT {peak} {size} {rows} {seconds:.3f}")
"""


def measure(url: str, mode: str, patient: uuid.UUID) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(patient)],
        env=child_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    peak_kib, size, rows, seconds = line.split()[1:]
    return {
        "peak_mib": int(peak_kib) / 1024,
        "bytes": int(size),
        "rows": int(rows),
        "seconds": float(seconds),
    }


def versions_line() -> str:
    import django
    import pandas

    return machine(f"Django {django.get_version()}", f"pandas {pandas.__version__}")


def main() -> None:
    url = recreate_database(BENCH_DB, child_env)
    seeded = seed(url)
    runs = {
        "small": ("csv", "small"),
        "large": ("csv", "large"),
        "buffered": ("buffered", "large"),
        "fhir_small": ("fhir", "small"),
        "fhir_large": ("fhir", "large"),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    for _ in range(ROUNDS):  # interleaved, so drift on the machine hits every variant
        for name, (mode, who) in runs.items():
            results[name].append(measure(url, mode, seeded[who]))

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    small, large, buffered, fhir_small, fhir_large = (
        median(n, "peak_mib") for n in ("small", "large", "buffered", "fhir_small", "fhir_large")
    )
    ratio, fhir_ratio = large / small, fhir_large / fhir_small
    rows_ok = all(
        r["rows"] == (SMALL if name.endswith("small") else LARGE)
        for name, measured in results.items()
        for r in measured
    )
    rate = LARGE / median("large", "seconds")
    size_mib = median("large", "bytes") / (1 << 20)
    fhir_mib = median("fhir_large", "bytes") / (1 << 20)
    fhir_seconds = median("fhir_large", "seconds")
    rows = [
        (
            "E-1",
            "peak RSS streaming 100,000 / 1,000 check-ins",
            f"{large:.0f} MiB / {small:.0f} MiB",
            f"{ratio:.2f}x",
            f"<= {GOAL:.2f}",
            "PASS" if ratio <= GOAL and rows_ok else "FAIL",
        ),
        (
            "E-2",
            "for reference: the same 100,000 rows fetched at once, file joined in memory",
            f"{buffered:.0f} MiB",
            f"{buffered / small:.2f}x",
            "-",
            "-",
        ),
        (
            "E-3",
            f"CSV streaming throughput, 100,000 check-ins ({size_mib:.1f} MiB of CSV)",
            f"{rate:,.0f} rows/s",
            "-",
            "-",
            "-",
        ),
        (
            "E-4",
            f"peak RSS streaming the FHIR bundle, 100,000 / 1,000 check-ins "
            f"({fhir_mib:.0f} MiB of JSON, {fhir_seconds:.0f} s)",
            f"{fhir_large:.0f} MiB / {fhir_small:.0f} MiB",
            f"{fhir_ratio:.2f}x",
            f"<= {GOAL:.2f}",
            "PASS" if fhir_ratio <= GOAL and rows_ok else "FAIL",
        ),
    ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join(
        [
            "## Export memory: CSV and FHIR (`bench/exports.py`)",
            "",
            f"Last run {stamp} on {versions_line()}.",
            f"One patient with {SMALL:,} and one with {LARGE:,} check-ins (seeded by COPY in "
            f"{seeded['seconds']:.0f} s). Each number is a fresh process streaming "
            "`GET /api/v1/patients/{id}/entries.csv` (or `.../fhir/`) through the real view; "
            "peak RSS is "
            f"VmHWM from /proc. Medians of {ROUNDS} interleaved rounds. Row counts right: "
            f"{'yes' if rows_ok else 'NO'}.",
            "",
            "| id | measure | absolute | ratio | goal | result |",
            "|---|---|---|---|---|---|",
            *(f"| {' | '.join(r)} |" for r in rows),
        ]
    )
    print(markdown)
    print(json.dumps(results))
    write_section("exports", markdown)
    if any(row[5] == "FAIL" for row in rows):
        sys.exit(GOALS_MISSED)


if __name__ == "__main__":
    main()
