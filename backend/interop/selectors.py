"""Reads for the exports. Scoping stays in the accounts/treatments/diary selectors: every
function here starts from ``patients_visible_to`` / ``visits_visible_to`` /
``entries_visible_to`` of the user asking, and only narrows them down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
from django.db.models import Avg, F, Q, QuerySet, Window

from accounts.models import User
from diary.models import Entry
from diary.selectors import entries_visible_to
from recovery import analytics
from recovery.selectors import visits_frame
from treatments.models import Visit
from treatments.selectors import visits_visible_to

# Rows fetched per round trip while streaming (a server-side cursor on PostgreSQL).
CHUNK_ROWS = 2000

ENTRY_EXPORT_FIELDS = (
    "id",
    "felt_at",
    "recorded_at",
    "local_date",
    "visit_id",
    "visit_date",
    "day",
    "pain",
    "soreness",
    "bruising",
    "iced",
    "heated",
    "strenuous_activity",
    "notes",
)


def export_visits(*, user: User, patient: User) -> QuerySet[Visit]:
    """The patient's visits, oldest first, with physician and sites (3 queries when read)."""
    return visits_visible_to(user).filter(patient=patient).order_by("performed_at", "id")


def treating_physicians(*, patient: User, visits: list[Visit]) -> list[User]:
    """Physicians who performed one of the visits or are linked to the patient now, by name.

    Not scoped again: the caller may see the patient, and a patient's care team is part of
    their record (the same names appear on the visits)."""
    performers = {v.physician_id for v in visits}
    return list(
        User.objects.filter(Q(pk__in=performers) | Q(patient_links__patient=patient))
        .distinct()
        .order_by("display_name", "id")
    )


def visit_baselines(*, user: User, patient: User) -> dict[str, float | None]:
    """Each visit's baseline, by visit id, with the recovery API's exact rule (the recorded
    baseline, else the mean pain of the 7 local days before the visit; None without one).

    Two queries whatever the history's length: the visits, and only the check-ins inside
    the look-back windows of visits that have no recorded baseline.
    """
    visits = visits_frame(export_visits(user=user, patient=patient).prefetch_related(None))
    if visits.empty:
        return {}
    missing = visits.loc[visits["baseline_pain"].isna(), "visit_date"]
    prior = pd.DataFrame({"patient_id": [], "local_date": [], "pain": []})
    if not missing.empty:
        window = Q()
        for visit_date in missing:
            window |= Q(
                local_date__gte=visit_date - timedelta(days=analytics.BASELINE_LOOKBACK_DAYS),
                local_date__lt=visit_date,
            )
        rows = list(
            entries_visible_to(user)
            .filter(patient=patient)
            .filter(window)
            .values_list("local_date", "pain")
        )
        prior = pd.DataFrame(
            {
                "patient_id": [str(patient.pk)] * len(rows),
                "local_date": [r[0] for r in rows],
                "pain": [float(r[1]) for r in rows],
            }
        )
    table = analytics.baselines(visits, prior)
    return {
        row.visit_id: (None if pd.isna(row.baseline) else float(row.baseline))
        for row in table.itertuples(index=False)
    }


def export_entries(*, user: User, patient: User) -> QuerySet[Entry]:
    """The patient's check-ins (never deleted ones), oldest first, as named rows of
    :data:`ENTRY_EXPORT_FIELDS` plus ``day_pain``: the mean pain of the entry's local day
    for its visit, computed by the database in the same query (a window function), so the
    export needs no second pass and reads one consistent snapshot."""
    return (
        entries_visible_to(user)
        .filter(patient=patient)
        .annotate(
            visit_date=F("visit__local_date"),
            day_pain=Window(Avg("pain"), partition_by=[F("visit_id"), F("day")]),
        )
        .order_by("felt_at", "recorded_at", "id")
        .values_list(*ENTRY_EXPORT_FIELDS, "day_pain", named=True)
    )


def iter_rows(rows: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """Stream a values queryset in chunks (server-side cursor on PostgreSQL): memory stays
    flat however long the history is."""
    return rows.iterator(chunk_size=CHUNK_ROWS)
