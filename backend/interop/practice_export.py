"""The practice's outcomes for quality review: one CSV row per visit of the practice's
patients, pseudonymous, written as a stream.

Columns (the header row names them; README "Exports" explains them):

- ``patient_key``: a pseudonym for the patient, the same on every row of that patient, so a
  course can be followed; an HMAC of the patient id keyed by the server's secret key and the
  practice (``django.utils.crypto.salted_hmac``), never the id itself. Another practice's
  export, or a rotated secret key, gives other keys;
- ``visit_number`` (1-based in the patient's course, as the recovery API numbers it),
  ``visit_month`` (``YYYY-MM`` of the patient's local date of the visit: the month, not the
  day, since exact dates with a condition can single a patient out), ``condition``;
- ``sites`` (how many injection sites), ``muscles`` (each site as "muscle (side)"),
  ``body_regions`` and ``injectates`` (distinct, ``;``-separated), ``cpt_code`` (20552 for
  1-2 muscles, 20553 for 3 or more: ``treatments.models.cpt_code_for``, as the FHIR export);
- ``baseline`` (pain 0-10, to 1 decimal) and ``baseline_source`` (``recorded`` at the visit,
  ``prior_entries``: the mean of the 7 days before, or empty without one);
- ``relief_day_0`` … ``relief_day_14``: relief % of each day, 100 x (1 - mean pain of the
  day / baseline), to 1 decimal; empty where nothing was logged or without a usable
  baseline. The cohort's SQL computes them, so the file and the cohort agree;
- ``response_window_closed`` (days 3-14 are over: day 14 ended or a later visit began),
  ``responder`` (relief ≥ 30 % on a day 3-14) and ``substantial_responder`` (≥ 50 %):
  ``true``/``false``, empty without a usable baseline (unknown, not false).

No name, e-mail, timezone, note or contact detail of anyone, and no id Relief uses. Text
cells (the muscles, typed by physicians) are guarded against spreadsheet formulas as the
patient's CSV export does (``csv_export.neutralise``).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Practice
from accounts.selectors import practice_patients
from interop.csv_export import BOM, CHUNK_CHARS, neutralise
from recovery import analytics, cohort
from treatments.models import InjectionSite, Visit, cpt_code_for

LAST_DAY = analytics.RESPONSE_LAST_DAY
DAYS = range(LAST_DAY + 1)
COLUMNS = (
    "patient_key",
    "visit_number",
    "visit_month",
    "condition",
    "sites",
    "muscles",
    "body_regions",
    "injectates",
    "cpt_code",
    "baseline",
    "baseline_source",
    *(f"relief_day_{day}" for day in DAYS),
    "response_window_closed",
    "responder",
    "substantial_responder",
)
# Visits read per round of queries (their sites, then their relief): memory stays flat
# however many visits the practice has, and three queries serve this many rows.
BATCH_VISITS = 500
INJECTATE_NAMES = ("lidocaine", "saline", "magnesium")


def patients_in(practice: Practice) -> list[Any]:
    """The ids of the patients the file has rows for (those with a visit): whose logs list
    the download."""
    return list(
        Visit.objects.filter(patient__in=practice_patients(practice))
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()
    )


def practice_visits(practice: Practice) -> QuerySet[Any]:
    """Every visit of the practice's patients, in date order, as named rows with the visit's
    number in the patient's course (counted over all of the patient's visits)."""
    return (
        Visit.objects.filter(patient__in=practice_patients(practice))
        .annotate(
            visit_number=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("performed_at").asc(), F("id").asc()],
            )
        )
        .order_by("performed_at", "id")
        .values_list(
            "id",
            "patient_id",
            "visit_number",
            "local_date",
            "condition",
            "baseline_pain",
            named=True,
        )
    )


def patient_key(practice: Practice, patient_id: Any) -> str:
    """A stable pseudonym: 16 hex digits of an HMAC of the patient id (64 bits: no two
    patients of a practice share one in practice), keyed by SECRET_KEY and the practice."""
    salt = f"relief.practice_outcomes.{practice.pk}"
    return salted_hmac(salt, str(patient_id), algorithm="sha256").hexdigest()[:16]


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _number(value: float | None) -> str:
    rounded = analytics.round1(value)
    return "" if rounded is None else f"{rounded:g}"


def _sites_columns(sites: list[InjectionSite]) -> list[str]:
    muscles = "; ".join(f"{' '.join(site.muscle.split())} ({site.side})" for site in sites)
    regions = "; ".join(dict.fromkeys(site.body_region for site in sites))
    injectates = "; ".join(
        name for name in INJECTATE_NAMES if any(getattr(site, name) for site in sites)
    )
    return [str(len(sites)), neutralise(muscles), regions, injectates, cpt_code_for(sites)]


def _today(zone: str, cache: dict[str, date]) -> date:
    if zone not in cache:
        cache[zone] = timezone.now().astimezone(ZoneInfo(zone)).date()
    return cache[zone]


def _batch_rows(practice: Practice, visits: list[Any], today: dict[str, date]) -> Iterator[list]:
    ids = [visit.id for visit in visits]
    sites: dict[uuid.UUID, list[InjectionSite]] = defaultdict(list)
    for site in InjectionSite.objects.filter(visit_id__in=ids).order_by("visit_id", "id"):
        sites[site.visit_id].append(site)
    days: dict[uuid.UUID, dict[int, float]] = defaultdict(dict)
    facts: dict[uuid.UUID, tuple[float | None, bool, str]] = {}
    query = Visit.objects.filter(id__in=ids).order_by().values("id")
    for visit_id, baseline, has_next, zone, day, relief in cohort.visit_relief_days(query):
        key = uuid.UUID(str(visit_id))  # SQLite returns the hex text
        facts[key] = (None if baseline is None else float(baseline), bool(has_next), zone)
        if day is not None and relief is not None:
            days[key][int(day)] = float(relief)
    for visit in visits:
        baseline, has_next, zone = facts[visit.id]
        source = "recorded" if visit.baseline_pain is not None else "prior_entries"
        usable = baseline is not None and baseline > 0
        relief = days[visit.id]
        read = [value for day, value in relief.items() if day >= analytics.THERAPEUTIC_READ_DAY]
        best = max(read, default=None)
        closed = has_next or (_today(zone, today) - visit.local_date).days > LAST_DAY
        yield [
            patient_key(practice, visit.patient_id),
            str(visit.visit_number),
            visit.local_date.strftime("%Y-%m"),
            visit.condition,
            *_sites_columns(sites[visit.id]),
            _number(baseline),
            source if baseline is not None else "",
            *(_number(relief.get(day)) for day in DAYS),
            _bool(closed),
            _bool(
                None if not usable else best is not None and best >= cohort.MODERATE - cohort.EPS
            ),
            _bool(
                None if not usable else best is not None and best >= cohort.SUBSTANTIAL - cohort.EPS
            ),
        ]


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def stream_outcomes(practice: Practice, *, batch: int = BATCH_VISITS) -> Iterator[str]:
    """The file in chunks of about ``CHUNK_CHARS`` characters (RFC 4180, a BOM first, as the
    patient's CSV). Visits are read in batches of ``batch`` (:data:`BATCH_VISITS`); each
    row is built once and written once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    today: dict[str, date] = {}
    visits = practice_visits(practice).iterator(chunk_size=batch)
    for visits_batch in _batches(visits, batch):
        for row in _batch_rows(practice, visits_batch, today):
            writer.writerow(row)
            if buffer.tell() >= CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
