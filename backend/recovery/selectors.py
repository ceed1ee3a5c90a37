"""Rows for the recovery analytics, fetched with a constant number of queries.

The frames use exactly the columns ``recovery.analytics`` documents. Every function takes
the already-scoped objects (a visit or patients the caller may see); scoping stays in the
accounts/treatments/diary selectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from accounts.models import User
from diary.models import Entry, PatientDay
from recovery import analytics
from treatments.models import Visit

VISIT_COLUMNS = [
    "visit_id",
    "patient_id",
    "performed_at",
    "visit_date",
    "baseline_pain",
    "post_injection_pain",
    "condition",
]
ENTRY_COLUMNS = [
    "entry_id",
    "patient_id",
    "felt_at",
    "local_date",
    "pain",
    "soreness",
    "bruising",
    "visit_id",
    "day",
]
TALLY_COLUMNS = [*analytics.TALLY_KEY, *analytics.TALLY_SUMS]
# The baseline fallback looks at the local days before a visit (analytics' definition).
BASELINE_DAYS = analytics.BASELINE_LOOKBACK_DAYS


def patient_today(patient: User) -> date:
    """Today's date where the patient lives: which days have ended is a local question."""
    return timezone.now().astimezone(ZoneInfo(patient.timezone)).date()


def visit_rows_frame(rows: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows in ``visit_values`` order as the analytics' visits frame."""
    frame = pd.DataFrame(list(rows), columns=VISIT_COLUMNS)
    frame["visit_id"] = frame["visit_id"].astype(str)
    frame["patient_id"] = frame["patient_id"].astype(str)
    frame["performed_at"] = pd.to_datetime(frame["performed_at"], utc=True)
    frame["baseline_pain"] = frame["baseline_pain"].astype(float)
    frame["post_injection_pain"] = frame["post_injection_pain"].astype(float)
    return frame


def _entries_frame(rows: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=ENTRY_COLUMNS)
    frame["entry_id"] = frame["entry_id"].astype(str)
    frame["patient_id"] = frame["patient_id"].astype(str)
    frame["visit_id"] = frame["visit_id"].map(lambda v: None if v is None else str(v))
    frame["felt_at"] = pd.to_datetime(frame["felt_at"], utc=True)
    frame["day"] = frame["day"].astype("Int64")
    return frame


# The visit columns the analytics read (in VISIT_COLUMNS' order).
VISIT_VALUES = (
    "id",
    "patient_id",
    "performed_at",
    "local_date",
    "baseline_pain",
    "post_injection_pain",
    "condition",
)


def visit_values(visits: Any) -> Any:
    """The given visits (a queryset) as the analytics read them, oldest first."""
    return visits.order_by("performed_at", "id").values_list(*VISIT_VALUES)


def visits_frame(visits: Any) -> pd.DataFrame:
    """One query: the given visits (a queryset) as the analytics' visits frame."""
    return visit_rows_frame(visit_values(visits))


def entries_frame(entries: Any) -> pd.DataFrame:
    """One query: the given entries (a queryset) as the analytics' entries frame."""
    return _entries_frame(
        entries.filter(deleted_at__isnull=True)
        .order_by("felt_at", "id")
        .values_list(
            "id",
            "patient_id",
            "felt_at",
            "local_date",
            "pain",
            "soreness",
            "bruising",
            "visit_id",
            "day",
        )
    )


def days_frame(days: Any) -> pd.DataFrame:
    """One query: the given kept tallies (a ``PatientDay`` queryset) as the analytics'
    tallies frame, oldest date first."""
    frame = pd.DataFrame(
        list(days.order_by("local_date", "visit_id").values_list(*TALLY_COLUMNS)),
        columns=TALLY_COLUMNS,
    )
    frame["patient_id"] = frame["patient_id"].astype(str)
    frame["visit_id"] = frame["visit_id"].map(lambda v: None if v is None else str(v))
    frame["day"] = frame["day"].astype("Int64")
    for column in analytics.TALLY_SUMS:
        frame[column] = frame[column].astype("int64")
    return frame


def patient_visit_rows(patient_id: Any) -> tuple[tuple[Any, ...], ...]:
    """One query: all of a patient's visits as ``visit_values`` rows, oldest first."""
    return tuple(visit_values(Visit.objects.filter(patient_id=patient_id)))


def course_frames(
    patient: User, visit_rows: Iterable[tuple[Any, ...]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two queries (one with ``visit_rows``, the patient's visits already read): all of a
    patient's visits and kept tallies."""
    if visit_rows is None:
        visit_rows = patient_visit_rows(patient.pk)
    return visit_rows_frame(visit_rows), days_frame(PatientDay.objects.filter(patient=patient))


def visit_frames(
    visit: Visit, visit_rows: Iterable[tuple[Any, ...]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two queries (one with ``visit_rows``, the patient's visits already read): the
    patient's visits, and the tallies one visit's report needs (its own window and the week
    before it, for the baseline fallback)."""
    if visit_rows is None:
        visit_rows = patient_visit_rows(visit.patient_id)
    visits = visit_rows_frame(visit_rows)
    since = visit.local_date - timedelta(days=BASELINE_DAYS)
    days = days_frame(
        PatientDay.objects.filter(patient_id=visit.patient_id).filter(
            Q(visit_id=visit.id) | Q(local_date__gte=since, local_date__lt=visit.local_date)
        )
    )
    return visits, days


def latest_visit_days(latest: pd.DataFrame) -> pd.DataFrame:
    """One query: for these latest visits (one row per patient), the tallies of each visit
    plus the week before it."""
    earliest = min(latest["visit_date"]) - timedelta(days=BASELINE_DAYS)
    return days_frame(
        PatientDay.objects.filter(
            patient_id__in=list(latest["patient_id"]), local_date__gte=earliest
        ).filter(
            Q(visit_id__in=list(latest["visit_id"])) | Q(local_date__lt=max(latest["visit_date"]))
        )
    )


def entry_fingerprints(patient_ids: list[Any]) -> dict[str, tuple[Any, ...]]:
    """One query: per patient, (rows, sum of versions, latest change) over all their
    check-ins, deleted ones included. Creating, editing or deleting a check-in always
    changes it (a new row, or a version up), so equal fingerprints mean the same check-ins."""
    rows = (
        Entry.objects.filter(patient_id__in=patient_ids)
        .values("patient_id")
        .annotate(rows=Count("id"), versions=Sum("version"), changed=Max("updated_at"))
        .values_list("patient_id", "rows", "versions", "changed")
        .order_by()
    )
    return {str(patient): (n, versions, changed) for patient, n, versions, changed in rows}
