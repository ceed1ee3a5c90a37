"""Cohort curves for one physician's patients or their whole practice, aggregated where
the rows live.

Two scopes: ``mine`` (the patients on the asking physician's care team) and ``practice``
(the patients on the care team of any physician of the asker's practice). The practice
scope crosses care teams, so what leaves this module is aggregates only: the curve (median,
quartiles and n per day) and counts. No patient or visit id, date or name is in either.

A cohort of a million check-ins cannot be loaded into pandas per request, so the per
(visit, day) relief is computed in SQL on every database, from the per (patient, local
date, visit) tallies that every check-in write keeps in its own transaction
(``diary.tallies``; ``relief aggregates check`` compares them with the raw rows), not from
the raw check-ins: fewer rows (2.5x fewer in bench/analytics.py), the same numbers to
the last bit. On PostgreSQL the median and quartiles are ``percentile_cont`` in the same
query (29 rows come back); elsewhere the per (visit, day) rows come back and
``recovery.analytics.cohort_curve`` computes them.
Both are linear-interpolation quantiles, so the numbers are identical (tested).

Definitions (see ``recovery.analytics``): a visit contributes only the days it logged, only
with a usable baseline (recorded, else the mean pain of the 7 local days before the visit;
0 counts as none); relief = 100 * (1 - mean pain of the day / baseline). Responder rates
count visits with a usable baseline whose days 3-14 are over (day 14 ended or a later
visit began).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.utils import timezone

from accounts.models import Practice, User
from accounts.selectors import practice_patients
from diary.models import PatientDay
from recovery import analytics
from recovery.models import KeptCohort
from treatments.models import Visit

LAST_DAY = analytics.COHORT_LAST_DAY
READ_FIRST, READ_LAST = analytics.THERAPEUTIC_READ_DAY, analytics.RESPONSE_LAST_DAY
MODERATE, SUBSTANTIAL = analytics.MODERATE_RELIEF, analytics.SUBSTANTIAL_RELIEF
EPS = analytics.EPS

MINE, PRACTICE = "mine", "practice"
SCOPES = (MINE, PRACTICE)


def cohort_visits(
    user: User,
    *,
    scope: str = MINE,
    condition: str | None = None,
    injectate: str | None = None,
    body_region: str | None = None,
) -> Any:
    """The visits matching the filters: of the user's own patients (``mine``) or of every
    patient on the care team of a physician of the user's practice (``practice``; none
    without a practice). The caller decides who may ask for which scope."""
    return _scope_visits(
        scope,
        user,
        user.practice,
        condition=condition,
        injectate=injectate,
        body_region=body_region,
    )


def _scope_visits(
    scope: str,
    physician: User | None,
    practice: Practice | None,
    *,
    condition: str | None = None,
    injectate: str | None = None,
    body_region: str | None = None,
) -> Any:
    if scope == PRACTICE:
        visits = Visit.objects.filter(patient__in=practice_patients(practice))
    else:
        visits = Visit.objects.filter(patient__physician_links__physician=physician)
    if condition:
        visits = visits.filter(condition=condition)
    if injectate:
        visits = visits.filter(**{f"sites__{injectate}": True})
    if body_region:
        visits = visits.filter(sites__body_region=body_region)
    return visits.order_by().values("id").distinct()


def _date_minus_7() -> str:
    if connection.vendor == "postgresql":
        return "v.local_date - 7"
    return "date(v.local_date, '-7 day')"


def _ctes(visits: Any) -> tuple[str, list[Any]]:
    """The cohort's visits with their baselines, and the relief of each (visit, logged day),
    read from the kept tallies (``diary.PatientDay``), not the raw check-ins.

    A visit's day 1 and later is one tally each (its local date is the visit's plus the
    day), so those rows are the days' means as they stand; only day 0 can span two local
    dates (a check-in felt after the visit on an earlier local date, once the patient
    moved west), so only day 0 is summed. Means are ``CAST(sum AS FLOAT) / count``: the
    raw rows' ``AVG(CAST(pain AS FLOAT))`` adds whole numbers exactly and divides once, so
    the two are the same double (tests/recovery/test_cohort_kept.py).
    """
    ids_sql, ids_params = visits.query.sql_with_params()
    # Materialised on PostgreSQL: inlined, its subqueries ran once per (visit, day) row.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    sql = f"""
    WITH cohort_visits AS {materialized} (
        SELECT v.id AS visit_id, v.local_date, u.timezone,
               COALESCE(
                   CAST(v.baseline_pain AS FLOAT),
                   (SELECT CAST(SUM(p.pain_sum) AS FLOAT) / SUM(p.entries)
                      FROM diary_patientday p
                     WHERE p.patient_id = v.patient_id
                       AND p.local_date >= {_date_minus_7()} AND p.local_date < v.local_date)
               ) AS baseline,
               EXISTS (SELECT 1 FROM treatments_visit n
                        WHERE n.patient_id = v.patient_id
                          AND (n.performed_at > v.performed_at
                               OR (n.performed_at = v.performed_at AND n.id > v.id))
               ) AS has_next
          FROM treatments_visit v
          JOIN accounts_user u ON u.id = v.patient_id
         WHERE v.id IN ({ids_sql})
    ),
    daily AS (
        SELECT t.visit_id, t.day, CAST(t.pain_sum AS FLOAT) / t.entries AS pain
          FROM diary_patientday t
         WHERE t.day BETWEEN 1 AND {LAST_DAY}
        UNION ALL
        SELECT t.visit_id, 0, CAST(SUM(t.pain_sum) AS FLOAT) / SUM(t.entries)
          FROM diary_patientday t
         WHERE t.day = 0
         GROUP BY t.visit_id
    ),
    relief AS (
        SELECT d.visit_id, d.day, 100.0 * (1.0 - d.pain / c.baseline) AS relief
          FROM daily d JOIN cohort_visits c ON c.visit_id = d.visit_id
         WHERE c.baseline > 0
    )
    """
    return sql, list(ids_params)


# The planner's guesses about the cohort's CTEs are far off (thousands of rows for 14,000
# visits, millions of relief rows for 400,000), and on them it JIT-compiled for ~0.6 s, sorted
# on disk and merge-joined 400,000 sorted rows where one hash of the visits does.
_PLANNER = (
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '64MB'",
    "SET LOCAL enable_mergejoin = off",
)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one cohort statement on the database the router picks for a read (the replica
    where ``core.replica`` allows it; the primary otherwise); on PostgreSQL with the
    planner settings above, local to a transaction of its own on that database (or the
    caller's, to its end). A transaction on the primary would keep the read there."""
    alias = router.db_for_read(PatientDay)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        if cursor.db.vendor == "postgresql":
            for setting in _PLANNER:
                cursor.execute(setting)
        cursor.execute(sql, params)
        return cursor.fetchall()


def cohort_sql(visits: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """PostgreSQL: curve and rates from ONE statement.

    The relief rows are computed once (a CTE used twice is materialised) and feed both the
    29 curve rows (percentile_cont = linear interpolation) and one row of rate counts.
    "Today" is each patient's local date (``now() AT TIME ZONE``) as in the analytics.
    """
    ctes, params = _ctes(visits)
    rows = _fetch(
        ctes
        + f""",
    per_visit AS (
        SELECT c.visit_id,
               COALESCE(c.baseline > 0, FALSE) AS usable,
               c.has_next
                 OR ((now() AT TIME ZONE c.timezone)::date - c.local_date) > {READ_LAST}
                 AS closed,
               b.best
          FROM cohort_visits c
          LEFT JOIN (SELECT r.visit_id, MAX(r.relief) AS best FROM relief r
                      WHERE r.day BETWEEN {READ_FIRST} AND {READ_LAST}
                      GROUP BY r.visit_id) b ON b.visit_id = c.visit_id
    )
    SELECT day,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY relief),
           percentile_cont(0.25) WITHIN GROUP (ORDER BY relief),
           percentile_cont(0.75) WITHIN GROUP (ORDER BY relief),
           COUNT(*), NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint
      FROM relief GROUP BY day
    UNION ALL
    SELECT NULL, NULL, NULL, NULL,
           COUNT(*) FILTER (WHERE usable AND closed),
           COUNT(*) FILTER (WHERE usable AND closed AND best >= {MODERATE - EPS}),
           COUNT(*) FILTER (WHERE usable AND closed AND best >= {SUBSTANTIAL - EPS}),
           COUNT(*) FILTER (WHERE NOT usable),
           COUNT(*) FILTER (WHERE usable AND NOT closed)
      FROM per_visit
        """,
        params,
    )
    days = [row[:5] for row in rows if row[0] is not None]
    n, responders, substantial, no_baseline, open_window = next(
        row[4:] for row in rows if row[0] is None
    )
    found = pd.DataFrame(days, columns=["day", "median", "q1", "q3", "n"]).set_index("day")
    curve = found.reindex(pd.RangeIndex(0, LAST_DAY + 1, name="day"))
    curve["n"] = curve["n"].fillna(0).astype("int64")
    curve = curve.reset_index()[["day", "median", "q1", "q3", "n"]].astype(
        {"median": "float64", "q1": "float64", "q3": "float64"}
    )
    rates = {
        "n": n,
        "responders": responders,
        "substantial_responders": substantial,
        "responder_rate": 100.0 * responders / n if n else None,
        "substantial_responder_rate": 100.0 * substantial / n if n else None,
        "excluded_no_baseline": no_baseline,
        "excluded_open_window": open_window,
    }
    return curve, rates


def relief_rows(visits: Any) -> pd.DataFrame:
    """Per (visit, logged day) relief, computed in SQL: the input of ``cohort_curve``."""
    ctes, params = _ctes(visits)
    rows = _fetch(ctes + "SELECT visit_id, day, relief FROM relief", params)
    return pd.DataFrame(rows, columns=["visit_id", "day", "relief"]).astype(
        {"day": "int64", "relief": "float64"}
    )


def curve_pandas(visits: Any) -> pd.DataFrame:
    return analytics.cohort_curve(relief_rows(visits))


def rates(visits: Any) -> dict[str, Any]:
    """Responder rates over the cohort's visits: one query, vectorised in pandas."""
    ctes, params = _ctes(visits)
    rows = _fetch(
        ctes
        + f"""
        SELECT c.visit_id, c.local_date, c.timezone, c.baseline, c.has_next,
               MAX(CASE WHEN r.day BETWEEN {READ_FIRST} AND {READ_LAST} THEN r.relief END)
          FROM cohort_visits c LEFT JOIN relief r ON r.visit_id = c.visit_id
         GROUP BY c.visit_id, c.local_date, c.timezone, c.baseline, c.has_next
        """,
        params,
    )
    table = pd.DataFrame(
        rows, columns=["visit_id", "visit_date", "tz", "baseline", "has_next", "best"]
    )
    if table.empty:
        return analytics.cohort_rates(table)
    now = timezone.now()
    today = {tz: now.astimezone(ZoneInfo(tz)).date() for tz in table["tz"].unique()}
    visit_date = pd.to_datetime(table["visit_date"]).dt.date
    elapsed = [(today[tz] - d).days for tz, d in zip(table["tz"], visit_date, strict=True)]
    usable = table["baseline"].astype(float) > 0
    best = table["best"].astype(float)
    summaries = pd.DataFrame(
        {
            "responder": (best >= MODERATE - EPS).where(usable, None),
            "substantial_responder": (best >= SUBSTANTIAL - EPS).where(usable, None),
            "response_window_closed": table["has_next"].astype(bool)
            | (pd.Series(elapsed, index=table.index) > READ_LAST),
        }
    )
    return analytics.cohort_rates(summaries)


def cohort_portable(visits: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Any database: per (visit, day) relief from SQL, quantiles and rates in pandas."""
    return curve_pandas(visits), rates(visits)


def cohort(user: User, *, scope: str = MINE, **filters: str | None) -> dict[str, Any]:
    """Curve and rates of :func:`cohort_visits`: aggregates only, whatever the scope."""
    return _computed(cohort_visits(user, scope=scope, **filters))


def _computed(visits: Any) -> dict[str, Any]:
    if connection.vendor == "postgresql":
        curve, rates_ = cohort_sql(visits)
    else:
        curve, rates_ = cohort_portable(visits)
    return {"curve": curve, "rates": rates_}


# --------------------------------------------------------------------------- kept answers
#
# Exact quantiles over every (visit, day) of a practice cannot be computed in a small
# fraction of reading them (the sort alone of ~390,000 reliefs is a tenth of the fastest
# raw query; docs/SCALING.md), so the answer itself is kept: computed for a scope and
# filters, served again until COHORT_MAX_AGE seconds after its computation began, and
# recomputed by the worker (``cohort_refresh_job``) once half that old while it is being
# asked for. Every answer says when its data was read (``as_of``). An
# answer older than the bound is never served: the request computes it afresh.

# The worker's job runs this often (the worker runs every job at least every
# WORKER_TICK_SECONDS, 30 by default, so about every 30 s as shipped).
REFRESH_EVERY = 60
# Recomputed by the worker while asked for in the last two hours (``requested_at`` moves at
# most hourly); forgotten once not asked for in a week.
REFRESH_WHILE_ASKED = timedelta(hours=2)
FORGET_AFTER = timedelta(days=7)
_REQUESTED_EVERY = timedelta(hours=1)


def _key(scope: str, subject: Any, filters: dict[str, str | None]) -> str:
    named = "|".join(f"{name}={filters.get(name) or ''}" for name in sorted(filters))
    return f"{scope}:{subject}:{named}"


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Python numbers, unrounded, NaN as None: kept as JSON, they read back as the same
    doubles (JSON floats are written with ``repr``)."""
    plain = {}
    for name, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        plain[name] = None if isinstance(value, float) and math.isnan(value) else value
    return plain


def _as_answer(curve: list[dict[str, Any]], rates_: dict[str, Any], as_of: Any) -> dict[str, Any]:
    frame = pd.DataFrame.from_records(curve, columns=["day", "median", "q1", "q3", "n"])
    frame = frame.astype(
        {"day": "int64", "median": "float64", "q1": "float64", "q3": "float64", "n": "int64"}
    )
    return {"curve": frame, "rates": rates_, "as_of": as_of}


def _read_at() -> datetime:
    """When the data a cohort computed now will read was current: now on the primary; on
    the replica (``core.replica`` may send this request's reads there), now less the lag
    the router allows it, ``DATABASE_REPLICA_MAX_LAG``: an answer is never dated later than
    its data."""
    at = timezone.now()
    if router.db_for_read(PatientDay) != DEFAULT_DB_ALIAS:
        at -= timedelta(seconds=settings.DATABASE_REPLICA_MAX_LAG)
    return at


def _keep(
    key: str,
    scope: str,
    physician: User | None,
    practice: Practice | None,
    filters: dict[str, str | None],
    *,
    requested_at: datetime | None,
) -> dict[str, Any]:
    """Compute the answer afresh and keep it, unless a newer one was kept meanwhile.
    ``requested_at``: a request's time (None from the worker, which leaves it as it is)."""
    read_at = _read_at()
    answer = _computed(_scope_visits(scope, physician, practice, **filters))
    fields: dict[str, Any] = {
        "scope": scope,
        "physician": physician if scope == MINE else None,
        "practice": practice if scope == PRACTICE else None,
        "filters": filters,
        "curve": [_plain(row) for row in answer["curve"].to_dict("records")],
        "rates": _plain(answer["rates"]),
        "computed_at": read_at,
    }
    if requested_at is not None:
        fields["requested_at"] = requested_at
    if not KeptCohort.objects.filter(key=key, computed_at__lt=read_at).update(**fields):
        fields.setdefault("requested_at", timezone.now())
        KeptCohort.objects.bulk_create([KeptCohort(key=key, **fields)], ignore_conflicts=True)
    return {**answer, "as_of": read_at}


def served(user: User, *, scope: str = MINE, **filters: str | None) -> dict[str, Any]:
    """The cohort the API answers: the kept answer for this scope and filters while it is at
    most ``COHORT_MAX_AGE`` seconds old, else computed now (and kept). ``as_of``: when the
    answer's data was read."""
    max_age = settings.COHORT_MAX_AGE
    if max_age <= 0:
        read_at = _read_at()
        return {**cohort(user, scope=scope, **filters), "as_of": read_at}
    practice = user.practice if scope == PRACTICE else None
    key = _key(scope, user.practice_id if scope == PRACTICE else user.pk, filters)
    now = timezone.now()
    row = KeptCohort.objects.filter(key=key).first()
    if row is not None and now - row.computed_at <= timedelta(seconds=max_age):
        if now - row.requested_at > _REQUESTED_EVERY:
            KeptCohort.objects.filter(pk=row.pk).update(requested_at=now)
        return _as_answer(row.curve, row.rates, row.computed_at)
    return _keep(key, scope, user if scope == MINE else None, practice, filters, requested_at=now)


def cohort_refresh_job(*, now: datetime) -> int:
    """Worker: recompute each kept answer asked for in the last two hours once it is half of
    ``COHORT_MAX_AGE`` old (so a physician is seldom the one who waits for it); forget those
    not asked for in a week. Several workers may run it at once: each answer is claimed
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) while it is recomputed, so two never compute
    the same one, and a newer answer is never replaced by an older one. Returns how many it
    recomputed."""
    max_age = settings.COHORT_MAX_AGE
    KeptCohort.objects.filter(requested_at__lt=now - FORGET_AFTER).delete()
    if max_age <= 0:
        return 0
    due = {
        "requested_at__gte": now - REFRESH_WHILE_ASKED,
        "computed_at__lte": now - timedelta(seconds=max_age / 2),
    }
    done = 0
    for pk in list(KeptCohort.objects.filter(**due).values_list("pk", flat=True)):
        with transaction.atomic():
            row = (
                KeptCohort.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("physician", "practice")
                .filter(pk=pk, **due)
                .first()
            )
            if row is None:  # another worker has it, or it was recomputed meanwhile
                continue
            _keep(row.key, row.scope, row.physician, row.practice, row.filters, requested_at=None)
        done += 1
    return done


def curve_rows(curve: pd.DataFrame) -> list[dict[str, Any]]:
    return analytics.jsonable(curve.to_dict("records"))


def visit_relief_days(visits: Any, *, last_day: int = READ_LAST) -> list[tuple[Any, ...]]:
    """Per visit of ``visits`` (a ``values("id")`` queryset): ``(visit_id, baseline,
    has_next, timezone, day, relief)`` for each logged day 0..``last_day`` with a usable
    baseline, or one row with day and relief None. The cohort's own SQL, so a per-visit
    export shows exactly the numbers the cohort aggregates. One query."""
    ctes, params = _ctes(visits)
    return _fetch(
        ctes
        + f"""
        SELECT c.visit_id, c.baseline, c.has_next, c.timezone, r.day, r.relief
          FROM cohort_visits c
          LEFT JOIN relief r ON r.visit_id = c.visit_id AND r.day BETWEEN 0 AND {int(last_day)}
        """,
        params,
    )
