"""Recovery analytics benchmark: cohort latency, chart cost and cohort memory, side by side.

Run by ``make bench`` (needs PostgreSQL; DATABASE_URL's server, a throwaway database
``relief_bench`` that this script drops and recreates). It seeds a practice of one
physician, 2,000 patients, 14,000 visits and about a million check-ins (28 days after each
visit, 1-4 a day), runs ``VACUUM ANALYZE``, then measures, interleaving the variants over
several rounds and reporting medians:

- A-1: the cohort endpoint's latency as served (its answer kept for COHORT_MAX_AGE) / the
  fastest single SQL query we could write that returns the same median and IQR per day over
  the raw check-ins (goal <= 0.1 since issue #19, was <= 1.5; numbers identical); for
  reference, the endpoint computing every request afresh from the kept tallies;
- A-2: the visit-chart endpoint's requests/s / the same endpoint returning only the raw
  per-day series (goal >= 0.85);
- A-3: peak RSS of a fresh process computing the cohort (goal < 400 MiB);
- A-6: a patient's course (every visit's daily series, summary and flags, as the course
  endpoint computes it) from the kept tallies / from the raw check-ins, the same analytics
  on either input, alternating patient by patient (goal <= 1.0: reading the tallies is
  never slower; the outputs are compared and must be identical);
- A-4 / A-5: what keeping the tallies costs the write paths, measured in this process
  through the API views (no HTTP server, so the share the upkeep takes is, if anything,
  larger than under wrk): check-in ``PUT`` req/s and 500-entry batch rows/s with the
  upkeep / with it switched off, alternating request by request (goal >= 0.9 each); the
  batch as W-3's (500 check-ins at one instant) and, for reference, spread over 125 dates.

The seed goes around the services (COPY), so the tallies are rebuilt from it
(``diary.tallies.days_rebuild``, as ``relief aggregates rebuild``) before measuring.

It prints the table with the machine and versions and rewrites the "Recovery analytics"
section of BENCHMARKS.md.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from common import GOALS_MISSED, copy_csv, machine, recreate_database, write_section

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "relief_bench"
PATIENTS, VISITS_PER_PATIENT, DAYS = 2000, 7, 28
ROUNDS = 7
SEED = 20261129

# The baseline query: the fastest single statement we found that returns the cohort's
# per-day median/IQR/n (relief per visit-day from the day's mean pain and the visit's
# baseline, recorded or the mean of the 7 days before). Tried and slower: joining the
# entries to the visits' baselines directly and grouping by (visit, day, baseline), 2.5x.
BASELINE_SQL = """
WITH cv AS (
    SELECT v.id AS visit_id,
           COALESCE(v.baseline_pain::float,
                    (SELECT AVG(p.pain::float) FROM diary_entry p
                      WHERE p.patient_id = v.patient_id AND p.deleted_at IS NULL
                        AND p.local_date >= v.local_date - 7
                        AND p.local_date < v.local_date)) AS baseline
      FROM treatments_visit v
      JOIN accounts_carelink c ON c.patient_id = v.patient_id AND c.physician_id = %s
), daily AS (
    SELECT e.visit_id, e.day, AVG(e.pain::float) AS pain
      FROM diary_entry e
     WHERE e.deleted_at IS NULL AND e.day <= 28 AND e.visit_id IN (SELECT visit_id FROM cv)
     GROUP BY e.visit_id, e.day
)
SELECT d.day,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY 100.0 * (1.0 - d.pain / c.baseline)),
       percentile_cont(0.25) WITHIN GROUP (ORDER BY 100.0 * (1.0 - d.pain / c.baseline)),
       percentile_cont(0.75) WITHIN GROUP (ORDER BY 100.0 * (1.0 - d.pain / c.baseline)),
       COUNT(*)
  FROM daily d JOIN cv c ON c.visit_id = d.visit_id
 WHERE c.baseline > 0
 GROUP BY d.day ORDER BY d.day
"""


def seed(url: str) -> dict[str, object]:
    """A practice generated with numpy and loaded with COPY (minutes otherwise)."""
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    first_visit = now - timedelta(days=VISITS_PER_PATIENT * 30 + 10)
    physician = uuid.uuid4()
    patients = [uuid.uuid4() for _ in range(PATIENTS)]
    users, links, visits, sites, entries = (io.StringIO() for _ in range(5))
    stamp = now.isoformat()
    users.write(f"{physician},!,f,dr@bench.example,Dr Bench,physician,UTC,t,f,{stamp}\n")
    conditions = ["myofascial_pain", "fibromyalgia", "neck_pain", "low_back_pain"]
    entry_count = 0
    for i, patient in enumerate(patients):
        users.write(f"{patient},!,f,p{i}@bench.example,Patient {i},patient,UTC,t,f,{stamp}\n")
        links.write(f"{physician},{patient},{stamp}\n")
        baseline_level = int(rng.integers(5, 10))
        response = float(rng.uniform(0.0, 0.7))
        for k in range(VISITS_PER_PATIENT):
            visit = uuid.uuid4()
            performed = first_visit + timedelta(days=30 * k, hours=int(rng.integers(8, 17)))
            baseline = "" if rng.random() < 0.1 else str(baseline_level)
            condition = conditions[int(rng.integers(0, len(conditions)))]
            visits.write(
                f"{visit},{patient},{physician},{performed.isoformat()},"
                f'{performed.date()},{condition},{baseline},,"",{stamp},{stamp}\n'
            )
            sites.write(f"{visit},neck,Trapezius,left,t,f,f,1.0\n")
            per_day = rng.integers(1, 5, size=DAYS)
            for day in range(DAYS):
                date = performed.date() + timedelta(days=day)
                target = baseline_level * (1.0 - response * min(1.0, day / 4))
                for j in range(int(per_day[day])):
                    felt = datetime.combine(date, datetime.min.time(), UTC) + timedelta(
                        hours=9 + 4 * j, minutes=int(rng.integers(0, 60))
                    )
                    if felt < performed:
                        felt = performed + timedelta(minutes=5 + j)
                    pain = int(np.clip(round(target + rng.normal(0, 1)), 0, 10))
                    sore = int(np.clip(round(6 - day + rng.normal(0, 1)), 0, 10))
                    entries.write(
                        f"{uuid.uuid4()},{patient},{felt.isoformat()},{stamp},{stamp},"
                        f'{date},{visit},{day},{pain},{sore},none,f,f,f,"",1\n'
                    )
                    entry_count += 1
    with psycopg.connect(url) as conn:
        copy_csv(conn, "accounts_user", users)
        copy_csv(conn, "accounts_carelink", links)
        copy_csv(conn, "treatments_visit", visits)
        copy_csv(conn, "treatments_injectionsite", sites)
        copy_csv(conn, "diary_entry", entries)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "physician": physician,
        "entries": entry_count,
        "visits": PATIENTS * VISITS_PER_PATIENT,
        "seconds": time.perf_counter() - start,
    }


def setup_django(url: str) -> None:
    os.environ.update(DATABASE_URL=url, DEBUG="false", ALLOWED_HOSTS="testserver")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("JWT_SIGNING_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT / "backend"))
    import django

    django.setup()


def rebuild_tallies(url: str) -> float:
    """The kept tallies of the seeded check-ins (the seed went around the services)."""
    from django.db import transaction

    from diary.tallies import days_rebuild

    start = time.perf_counter()
    with transaction.atomic():
        days_rebuild()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE diary_patientday")
    return time.perf_counter() - start


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def bench_cohort(url: str, physician: uuid.UUID) -> dict[str, object]:
    """The cohort endpoint as served (the kept answer: asked once first, so each round is
    served from it, as every request within COHORT_MAX_AGE of a computation is), computed
    afresh on every request (COHORT_MAX_AGE=0, the previous behaviour), and the baseline
    query, interleaved round by round."""
    from django.test import override_settings
    from rest_framework.test import APIClient

    from accounts.models import User

    user = User.objects.get(pk=physician)
    client = APIClient()
    client.force_authenticate(user=user)
    timings: dict[str, list[float]] = {"kept": [], "fresh": [], "baseline": []}
    bodies: dict[str, Any] = {}
    rows = None

    def ask(name: str) -> None:
        t0 = time.perf_counter()
        response = client.get("/api/v1/cohort/")
        timings[name].append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
        bodies[name] = response.json()

    with override_settings(COHORT_MAX_AGE=3600):
        client.get("/api/v1/cohort/")  # computed and kept
    with psycopg.connect(url) as conn:
        for _ in range(ROUNDS):
            with override_settings(COHORT_MAX_AGE=3600):
                ask("kept")
            with override_settings(COHORT_MAX_AGE=0):
                ask("fresh")
            t0 = time.perf_counter()
            rows = conn.execute(BASELINE_SQL, (physician,)).fetchall()
            timings["baseline"].append(time.perf_counter() - t0)
    # Rounded as the endpoint rounds (recovery.analytics.round1, half away from zero):
    # Python's round() takes an exact tie such as 6.25 to 6.2 where the answer says 6.3.
    from recovery.analytics import round1

    theirs = {
        day: (round1(m + 0.0), round1(q1 + 0.0), round1(q3 + 0.0), n) for day, m, q1, q3, n in rows
    }

    def same(body: dict[str, Any]) -> bool:
        days = body["days"]
        return {d["day"]: (d["median"], d["q1"], d["q3"], d["n"]) for d in days if d["n"]} == theirs

    return {
        "endpoint_ms": statistics.median(timings["kept"]) * 1000,
        "fresh_ms": statistics.median(timings["fresh"]) * 1000,
        "baseline_ms": statistics.median(timings["baseline"]) * 1000,
        "ratio": median_ratio(timings["kept"], timings["baseline"]),
        "fresh_ratio": median_ratio(timings["fresh"], timings["baseline"]),
        "identical": same(bodies["kept"]) and same(bodies["fresh"]),
        "rates": bodies["kept"]["rates"],
    }


def bench_chart(physician: uuid.UUID, seconds: float = 3.0) -> dict[str, object]:
    """Same view stack both ways; only the response body differs (figure vs raw series)."""
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User
    from recovery import analytics, apis, reports
    from treatments.models import Visit

    class RawSeriesApi(apis.VisitRecoveryChartApi):
        def get(self, request: Request, pk: object) -> Response:
            visit = self._visit(request, pk)
            return Response(analytics.daily_rows(reports._report_for(visit).daily))

    user = User.objects.get(pk=physician)
    visit = Visit.objects.filter(physician=user).order_by("-performed_at").first()
    factory = APIRequestFactory()
    views = {"chart": apis.VisitRecoveryChartApi.as_view(), "raw": RawSeriesApi.as_view()}

    def rate(name: str) -> float:
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / ROUNDS:
            request = factory.get("/")
            force_authenticate(request, user=user)
            response = views[name](request, pk=visit.pk)
            response.render()
            assert response.status_code == 200
            done += 1
        return done / (time.perf_counter() - t0)

    rate("chart"), rate("raw")  # warm up
    chart, raw = [], []
    for _ in range(ROUNDS):
        chart.append(rate("chart"))
        raw.append(rate("raw"))
    return {
        "chart_rps": statistics.median(chart),
        "raw_rps": statistics.median(raw),
        "ratio": median_ratio(chart, raw),
    }


def bench_course(physician: uuid.UUID, patients: int = 40) -> dict[str, object]:
    """Milliseconds to compute a patient's course from the tallies (as served) and from the
    raw check-ins (as before issue #19), the same patients in turn, medians of rounds."""
    from accounts.models import User
    from diary.models import Entry
    from recovery import analytics, reports, selectors
    from treatments.models import Visit

    ids = list(
        Visit.objects.filter(physician_id=physician)
        .values_list("patient_id", flat=True)
        .distinct()
        .order_by("patient_id")[:patients]
    )
    people = list(User.objects.filter(pk__in=ids))

    def kept(patient: User) -> list[analytics.VisitReport]:
        return reports._course_reports(patient)

    def raw(patient: User) -> list[analytics.VisitReport]:
        visits = selectors.visit_rows_frame(selectors.patient_visit_rows(patient.pk))
        entries = selectors.entries_frame(Entry.objects.filter(patient=patient))
        return analytics.course_reports(visits, entries, selectors.patient_today(patient))

    def summaries(course: list[analytics.VisitReport]) -> str:
        return json.dumps([analytics.jsonable(r.summary) for r in course], default=str)

    identical = all(summaries(kept(p)) == summaries(raw(p)) for p in people)
    timings: dict[str, list[float]] = {"kept": [], "raw": []}
    for _ in range(ROUNDS):
        spent = {"kept": 0.0, "raw": 0.0}
        for patient in people:
            for name, compute in (("kept", kept), ("raw", raw)):
                t0 = time.perf_counter()
                compute(patient)
                spent[name] += time.perf_counter() - t0
        for name in spent:
            timings[name].append(1000 * spent[name] / len(people))
    return {
        "kept_ms": statistics.median(timings["kept"]),
        "raw_ms": statistics.median(timings["raw"]),
        "ratio": median_ratio(timings["kept"], timings["raw"]),
        "identical": identical,
        "patients": len(people),
    }


def bench_upkeep(physician: uuid.UUID, seconds: float = 7.0) -> dict[str, object]:
    """Check-in writes with the tallies' upkeep / with it switched off (the tally CTEs of
    the PUT's insert, the batch's ``days_add`` and the edits' ``days_recount`` left out).

    The two alternate request by request (batch by batch), each timed on its own, so a
    busy neighbour on the machine slows both alike. The PUTs go round-robin over the
    practice's patients (each already has ~490 check-ins and 7 visits), an hour apart per
    patient, so a day's tally holds a handful of check-ins as in life. Each batch is 500
    new check-ins of one patient: at one instant, as W-3's batch in bench/api.py (the
    issue's measure: one tally), and, for reference, 6 hours apart (125 local dates, 125
    tallies, where a phone's batch of a few offline days adds a handful)."""
    from unittest import mock

    from rest_framework.test import APIClient

    from accounts.models import User
    from diary import bulk_insert
    from diary.actions import save, sync

    patients = list(User.objects.filter(physician_links__physician_id=physician))
    client = APIClient()
    start = datetime.now(UTC).replace(microsecond=0)
    counter = iter(range(10**9))
    entry = {"soreness": 3, "bruising": "none", "iced": False, "heated": False,
             "strenuous_activity": False, "notes": ""}  # fmt: skip
    upkeep = {"on": True}

    def switched(real: Any) -> Any:
        return lambda *args, **kwargs: real(*args, **kwargs) if upkeep["on"] else None

    def put() -> float:
        i = next(counter)
        client.force_authenticate(user=patients[i % len(patients)])
        felt = start - timedelta(hours=i // len(patients))
        body = {"felt_at": felt.isoformat(), "pain": i % 11, **entry}
        t0 = time.perf_counter()
        response = client.put(f"/api/v1/entries/{uuid.uuid4()}/", body, format="json")
        elapsed = time.perf_counter() - t0
        assert response.status_code == 201, response.content
        return elapsed

    def batch(hours_apart: int) -> float:
        i = next(counter)
        client.force_authenticate(user=patients[i % len(patients)])
        # Each batch a minute apart from the last, so the single-instant ones do not pile
        # onto one tally.
        first = start - timedelta(minutes=i)
        items = [
            {"id": str(uuid.uuid4()),
             "felt_at": (first - timedelta(hours=hours_apart * k)).isoformat(),
             "pain": k % 11, **entry}
            for k in range(500)
        ]  # fmt: skip
        t0 = time.perf_counter()
        response = client.post("/api/v1/entries/sync/", {"entries": items}, format="json")
        elapsed = time.perf_counter() - t0
        assert response.status_code == 200, response.content
        return elapsed

    def rounds(write: Callable[[], float], per_round: int, batch_rows: int) -> list[float]:
        """Per round, the rate with / without upkeep (the order alternates)."""
        ratios_: dict[bool, list[float]] = {True: [], False: []}
        for round_ in range(ROUNDS):
            spent = {True: 0.0, False: 0.0}
            for k in range(per_round):
                upkeep["on"] = (k + round_) % 2 == 0
                spent[upkeep["on"]] += write()
            for on in (True, False):
                ratios_[on].append(batch_rows * (per_round // 2) / spent[on])
        return [*ratios_[True], *ratios_[False]]

    real_ctes = bulk_insert.days_add_ctes

    def ctes(connection: Any, source: str, entries: Any) -> str:
        # Off: a CTE that writes nothing in place of those that add to the tallies.
        if upkeep["on"]:
            return real_ctes(connection, source, entries)
        return "no_tallies AS (SELECT 1)"

    with (
        mock.patch.object(bulk_insert, "days_add_ctes", ctes),
        mock.patch.object(bulk_insert, "days_add", switched(bulk_insert.days_add)),
        mock.patch.object(save, "days_recount", switched(save.days_recount)),
        mock.patch.object(sync, "days_recount", switched(sync.days_recount)),
    ):
        put(), batch(0), batch(6)  # warm up
        per_put = max(2, int(seconds / ROUNDS / 0.005) // 2 * 2)
        put_rates = rounds(put, per_put, 1)
        batch_rates = rounds(lambda: batch(0), 6, 500)
        spread_rates = rounds(lambda: batch(6), 6, 500)
    result: dict[str, object] = {}
    for name, rates in (("put", put_rates), ("batch", batch_rates), ("spread", spread_rates)):
        with_, without = rates[:ROUNDS], rates[ROUNDS:]
        result[name] = (statistics.median(with_), statistics.median(without))
        result[f"{name}_ratio"] = median_ratio(with_, without)
    return result


def bench_memory(url: str, physician: uuid.UUID) -> float:
    """Peak RSS (MiB) of a fresh process that sets Django up and computes the cohort.

    Read as VmHWM from /proc: getrusage's ru_maxrss survives exec on Linux, so a child of
    this (large, seeding) process would report the parent's peak instead of its own.
    """
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT / "backend")!r})
os.environ.update(DATABASE_URL={url!r}, DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings")
import django; django.setup()
from accounts.models import User
from recovery import cohort
user = User.objects.get(pk={str(physician)!r})
for _ in range(3):
    cohort.cohort(user)
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def versions_line() -> str:
    import django
    import pandas
    import plotly

    return machine(
        f"Django {django.get_version()}",
        f"pandas {pandas.__version__}",
        f"plotly {plotly.__version__}",
    )


def main() -> None:
    url = recreate_database(
        BENCH_DB, lambda url: {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    )
    seeded = seed(url)
    setup_django(url)
    tallies_seconds = rebuild_tallies(url)
    cohort = bench_cohort(url, seeded["physician"])
    chart = bench_chart(seeded["physician"])
    memory = bench_memory(url, seeded["physician"])
    course = bench_course(seeded["physician"])
    # Last: it adds check-ins to the practice.
    upkeep = bench_upkeep(seeded["physician"])
    rows = [
        (
            "A-1",
            "cohort endpoint latency as served (the answer kept, at most COHORT_MAX_AGE old) "
            "/ fastest single SQL query (same numbers)",
            f"{cohort['endpoint_ms']:.1f} ms / {cohort['baseline_ms']:.0f} ms",
            f"{cohort['ratio']:.3f}x",
            "<= 0.1",
            cohort["ratio"] <= 0.1 and cohort["identical"],
        ),
        (
            "A-1 (ref.)",
            "the same endpoint computing every request afresh from the kept tallies "
            "(COHORT_MAX_AGE=0) / the same query",
            f"{cohort['fresh_ms']:.0f} ms / {cohort['baseline_ms']:.0f} ms",
            f"{cohort['fresh_ratio']:.2f}x",
            "-",
            True,
        ),
        (
            "A-2",
            "visit chart req/s / same endpoint with raw per-day series",
            f"{chart['chart_rps']:.0f} / {chart['raw_rps']:.0f} req/s",
            f"{chart['ratio']:.2f}x",
            ">= 0.85",
            chart["ratio"] >= 0.85,
        ),
        (
            "A-3",
            "peak RSS of a process computing the cohort",
            f"{memory:.0f} MiB",
            "-",
            "< 400 MiB",
            memory < 400,
        ),
        (
            "A-4",
            "check-in `PUT` req/s (in process) with the tallies' upkeep / without",
            f"{upkeep['put'][0]:.0f} / {upkeep['put'][1]:.0f} req/s",
            f"{upkeep['put_ratio']:.2f}x",
            ">= 0.9",
            upkeep["put_ratio"] >= 0.9,
        ),
        (
            "A-5",
            "W-3's batch: 500 check-ins at one instant, sync rows/s (in process) with the "
            "tallies' upkeep / without",
            f"{upkeep['batch'][0]:,.0f} / {upkeep['batch'][1]:,.0f} rows/s",
            f"{upkeep['batch_ratio']:.2f}x",
            ">= 0.9",
            upkeep["batch_ratio"] >= 0.9,
        ),
        (
            "A-5 (ref.)",
            "the same with the 500 check-ins 6 hours apart (125 local dates: 125 tallies "
            "to add, where a phone's batch of a few days adds a handful), with upkeep / "
            "without",
            f"{upkeep['spread'][0]:,.0f} / {upkeep['spread'][1]:,.0f} rows/s",
            f"{upkeep['spread_ratio']:.2f}x",
            "-",
            True,
        ),
        (
            "A-6",
            f"a patient's course computed from the kept tallies / from the raw check-ins "
            f"({course['patients']} patients in turn; identical: "
            f"{'yes' if course['identical'] else 'NO'})",
            f"{course['kept_ms']:.1f} ms / {course['raw_ms']:.1f} ms",
            f"{course['ratio']:.2f}x",
            "<= 1.0",
            course["ratio"] <= 1.0 and course["identical"],
        ),
    ]
    header = "| id | measure | absolute | ratio | goal | result |\n|---|---|---|---|---|---|"
    lines = [
        f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} "
        f"| {'-' if r[4] == '-' else 'PASS' if r[5] else 'FAIL'} |"
        for r in rows
    ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = "\n".join(
        [
            "## Recovery analytics (`bench/analytics.py`)",
            "",
            f"Last run {stamp} on {versions_line()}.",
            f"Practice: 1 physician, {PATIENTS:,} patients, {seeded['visits']:,} visits, "
            f"{seeded['entries']:,} check-ins (seeded by COPY in {seeded['seconds']:.0f} s, "
            f"then VACUUM ANALYZE; the kept tallies rebuilt from them in "
            f"{tallies_seconds:.0f} s). Medians of {ROUNDS} interleaved rounds. Cohort numbers "
            f"identical to the baseline query: {'yes' if cohort['identical'] else 'NO'}.",
            "",
            header,
            *lines,
        ]
    )
    print(markdown)
    print(json.dumps({"rates": cohort["rates"]}))
    write_section("analytics", markdown)
    if not all(r[5] for r in rows):
        sys.exit(GOALS_MISSED)


if __name__ == "__main__":
    main()
