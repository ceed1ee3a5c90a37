"""Where a check-in belongs: the placement rule, once, and the operations built on it.

The rule (:func:`place`): an entry belongs to the latest visit of the same patient
performed at or before its ``felt_at`` (an entry felt at the very instant of a visit
belongs to it); its day is the number of patient-local days from the visit's local date to
the entry's local date, never negative. Both local dates are fixed when recorded.

The one tie-break: the patient's visits are ordered by ``(performed_at, id)``, so of two
visits performed at the same instant the one with the greater id wins. The id is the only
key that is always present (also in ``recovery.analytics``' frames), never changes and is
unique, so the order is total and the same whoever computes it; UUIDs order alike in
Python (``uuid.UUID``), PostgreSQL (``uuid``) and SQLite (32 hex digits), and as
``str(uuid)`` in pandas.

Every path uses it: :func:`entry_placement` (one check-in, a per-vendor SQL statement that
encodes the same order), :class:`Timeline` (a batch: the visits read once) and
:func:`entries_reassign` (a patient's visits changed). ``recovery.analytics.assign_visits``
encodes the same rule for frames. ``tests/diary/test_placement_rule.py`` holds all of them
equal to :func:`place` on random timelines.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.models import User
from accounts.patient_time import local_date_for, lock_patient
from diary.models import Entry
from diary.tallies import days_recount
from treatments.models import Visit

# --------------------------------------------------------------------------- the rule


class VisitPoint(NamedTuple):
    """A visit as the rule sees it. Tuples compare in timeline order: ``performed_at``,
    then ``id`` (ids are unique, so ``local_date`` never decides)."""

    performed_at: datetime
    id: uuid.UUID
    local_date: date


def day_since(local: date, visit_date: date) -> int:
    """Local days since the visit's local date. An entry felt after the visit can carry an
    earlier local date only if the patient moved west since; it counts as day 0."""
    return max(0, (local - visit_date).days)


_PERFORMED = attrgetter("performed_at")


def place(
    felt_at: datetime, local_date: date, timeline: Sequence[VisitPoint]
) -> tuple[uuid.UUID | None, int | None]:
    """The rule: ``(visit_id, day)`` for an entry felt at ``felt_at`` on the patient-local
    ``local_date``, given the patient's visits in timeline order (``sorted``); ``(None,
    None)`` before the first visit."""
    index = bisect_right(timeline, felt_at, key=_PERFORMED) - 1
    if index < 0:
        return None, None
    visit = timeline[index]
    return visit.id, day_since(local_date, visit.local_date)


def patient_timeline(patient: User) -> list[VisitPoint]:
    """The patient's visits in timeline order (sorted here, so the order is the rule's
    whatever the database's collation)."""
    rows = (
        Visit.objects.filter(patient=patient)
        .order_by()
        .values_list("performed_at", "id", "local_date")
    )
    return sorted(VisitPoint(*row) for row in rows)


# --------------------------------------------------------------------------- one check-in


class _Placeable(Protocol):
    """An ``Entry``, or a batch's ``NewEntry``: what placement reads and sets."""

    patient: Any
    felt_at: datetime
    local_date: Any
    visit_id: Any
    day: Any


@dataclass(frozen=True, slots=True)
class Placement:
    local_date: date
    visit_id: uuid.UUID | None
    day: int | None

    def put_on(self, entry: _Placeable) -> None:
        """Set an entry's local date, visit and day to this placement."""
        entry.local_date, entry.visit_id, entry.day = self.local_date, self.visit_id, self.day

    def on_stored_date(self, local_date: date) -> Placement:
        """This placement for a check-in whose felt time has not changed: its stored local
        date stands (it was true where it was felt, whatever zone the patient is in now)
        and the day counts from it, as ``entries_reassign`` does."""
        if local_date == self.local_date:
            return self
        day = None if self.day is None else max(0, self.day + (local_date - self.local_date).days)
        return Placement(local_date=local_date, visit_id=self.visit_id, day=day)


def entry_placement(*, patient: User, felt_at: datetime) -> Placement:
    """:func:`place` for one check-in, read with one indexed statement: the visit that
    sorts last in timeline order among those performed at or before ``felt_at``."""
    connection = connections[router.db_for_read(Visit)]
    with connection.cursor() as cursor:
        cursor.execute(
            _place_sql(connection),
            [
                _PATIENT.get_db_prep_value(patient.pk, connection),
                _PERFORMED_AT.get_db_prep_value(felt_at, connection),
            ],
        )
        visit_id, visit_date = cursor.fetchone() or (None, None)
    local = local_date_for(patient, felt_at)
    if visit_id is None:
        return Placement(local, None, None)
    visit_date = _LOCAL_DATE.to_python(visit_date)
    return Placement(local, Visit._meta.pk.to_python(visit_id), day_since(local, visit_date))


def lock_patient_and_place(patient: User, felt_at: datetime) -> Placement:
    """``lock_patient``, then ``entry_placement``: the check-in hot path's two reads.

    Two statements, never one: under READ COMMITTED a statement that waits for the row lock
    still reads everything else from the snapshot it took before waiting, so a visit
    committed by the transaction it waited for (which holds this lock while it re-places
    the patient's entries) would be missed and the check-in left under the older visit
    (tests/diary/test_entries_write.py makes that happen)."""
    if not lock_patient(patient):
        raise User.DoesNotExist(f"patient {patient.pk} not found")
    return entry_placement(patient=patient, felt_at=felt_at)


_PATIENT = Visit._meta.get_field("patient")
_PERFORMED_AT = Visit._meta.get_field("performed_at")
_LOCAL_DATE = Visit._meta.get_field("local_date")
_PLACE_SQL: dict[str, str] = {}


def _place_sql(connection: BaseDatabaseWrapper) -> str:
    """The placement read as plain SQL written once per vendor: it runs on every check-in,
    and compiling its ORM form cost about 0.9 ms each time. ``ORDER BY performed_at DESC,
    id DESC`` is the timeline order reversed; the property test keeps it equal to
    :func:`place`."""
    sql = _PLACE_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        visit_pk = quote(str(Visit._meta.pk.column))
        performed = quote(str(_PERFORMED_AT.column))
        sql = (
            f"SELECT {visit_pk}, {quote(str(_LOCAL_DATE.column))}"
            f" FROM {quote(Visit._meta.db_table)} WHERE {quote(str(_PATIENT.column))} = %s"
            f" AND {performed} <= %s ORDER BY {performed} DESC, {visit_pk} DESC LIMIT 1"
        )
        _PLACE_SQL[connection.vendor] = sql
    return sql


# --------------------------------------------------------------------------- many check-ins


class Timeline:
    """A patient's visits, read once (on first use), to place a batch's entries without a
    query each."""

    def __init__(self, patient: User) -> None:
        self.patient = patient
        self._visits: list[VisitPoint] | None = None

    @property
    def visits(self) -> list[VisitPoint]:
        if self._visits is None:
            self._visits = patient_timeline(self.patient)
        return self._visits

    def placement(self, felt_at: datetime) -> Placement:
        """What :func:`entry_placement` answers, from the visits in memory."""
        local = local_date_for(self.patient, felt_at)
        return Placement(local, *place(felt_at, local, self.visits))

    def place_entry(self, entry: _Placeable) -> None:
        """Set a new or edited entry's local date (the patient's timezone now), visit and day."""
        self.placement(entry.felt_at).put_on(entry)


def entries_reassign(*, patient: User) -> int:
    """Re-place every entry of the patient after their visits changed; the number moved.

    Called in the visit's transaction, under the patient's lock. Each entry keeps its
    stored local date (fixed when it was recorded); only its visit and day are derived
    again. A patient has few visits and at most a few thousand entries, so this reads them
    once and writes only those that moved.
    """
    timeline = patient_timeline(patient)
    changed = []
    entries = Entry.objects.filter(patient=patient).only(
        "id", "felt_at", "local_date", "visit_id", "day"
    )
    for entry in entries:
        visit_id, day = place(entry.felt_at, entry.local_date, timeline)
        if (entry.visit_id, entry.day) != (visit_id, day):
            entry.visit_id, entry.day = visit_id, day
            changed.append(entry)
    Entry.objects.bulk_update(changed, ["visit", "day"], batch_size=500)
    # Local dates stay; the tallies of the dates whose check-ins changed visit follow them.
    days_recount(patient_id=patient.pk, local_dates=[entry.local_date for entry in changed])
    return len(changed)
