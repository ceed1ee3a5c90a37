"""One placement rule: every path that places a check-in agrees with ``diary.placement.place``.

Random histories of one patient are written through the real services into the real
database (PostgreSQL or SQLite): visits recorded and moved, check-ins made and edited by
the single PUT and by the batch sync, and the patient's timezone changed between them.
Instants cluster around a daylight-saving change and reuse a few moments, so visits at the
same instant (the tie-break), check-ins at a visit's very instant and local dates that run
backwards (day 0, never negative) all come up.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.patient_time import local_date_for
from audit.context import AuditContext
from diary.actions.save import entry_save
from diary.actions.sync import SyncItem, entries_sync
from diary.models import Entry
from diary.placement import (
    Placement,
    Timeline,
    VisitPoint,
    entries_reassign,
    entry_placement,
    patient_timeline,
    place,
)
from recovery.analytics import assign_visits
from tests.factories import entry_data, make_visit
from treatments.models import Visit
from treatments.services import visit_update

pytestmark = pytest.mark.django_db

# Two zones with the clock changes below, one whose clocks move by half an hour, and UTC+14,
# from which a move west turns the next many hours' local dates back to the day before.
ZONES = ("Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati")
# 2026's clock changes: London springs forward and falls back at 01:00 UTC on 29 March
# and 25 October, New York at 07:00 UTC on 8 March and 06:00 UTC on 1 November.
CLOCK_CHANGES = (
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
)
MICROSECOND = timedelta(microseconds=1)


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, list[tuple[Any, ...]]]:
    """The patient's first timezone and a list of events around one clock change."""
    change = draw(st.sampled_from(CLOCK_CHANGES))
    fresh = st.builds(
        lambda half_hours, micros: change + timedelta(minutes=30 * half_hours, microseconds=micros),
        st.integers(-60, 120),
        st.sampled_from([0, 1, 999_999]),
    )
    # A few moments that events share or follow closely: ties between visits, check-ins at
    # a visit's instant or hours after it, across a local midnight.
    shared = draw(st.lists(fresh, min_size=1, max_size=3))
    moment = st.one_of(
        st.sampled_from(shared),
        st.builds(
            lambda at, half_hours: at + timedelta(minutes=30 * half_hours),
            st.sampled_from(shared),
            st.integers(1, 40),
        ),
        fresh,
    )
    path = st.sampled_from(["put", "sync"])
    event = st.one_of(
        st.tuples(st.just("visit"), moment, st.uuids()),
        st.tuples(st.just("move visit"), moment, st.integers(0, 9)),
        st.tuples(st.just("check in"), moment, path),
        st.tuples(st.just("edit check-in"), moment, path, st.integers(0, 9)),
        st.tuples(st.just("move patient"), st.sampled_from(ZONES)),
    )
    return draw(st.sampled_from(ZONES)), draw(st.lists(event, min_size=1, max_size=14))


def by_the_words(
    felt_at: datetime, local: date, visits: list[VisitPoint]
) -> tuple[uuid.UUID | None, int | None]:
    """The rule as DESIGN words it, by brute force: the latest visit performed at or before
    felt_at (of visits at one instant, the greater id), local days since it, never negative."""
    earlier = [visit for visit in visits if visit.performed_at <= felt_at]
    if not earlier:
        return None, None
    visit = max(earlier, key=lambda v: (v.performed_at, v.id))
    return visit.id, max(0, (local - visit.local_date).days)


def live(patient: User, physician: User, events: list[tuple[Any, ...]]) -> None:
    """Write the history through the services, as the API would."""
    visits: list[Visit] = []
    entries: list[uuid.UUID] = []
    for kind, *args in events:
        if kind == "visit":
            performed_at, visit_id = args
            if not Visit.objects.filter(pk=visit_id).exists():
                visits.append(make_visit(physician, patient, performed_at, visit_id=visit_id))
        elif kind == "move visit" and visits:
            performed_at, index = args
            visit = visits[index % len(visits)]
            visit_update(
                visit=visit,
                data={"performed_at": performed_at},
                audit=AuditContext.system(actor=physician),
            )
        elif kind == "check in":
            felt_at, path = args
            entries.append(uuid.uuid4())
            write(patient, path, entries[-1], felt_at, version=None)
        elif kind == "edit check-in" and entries:
            felt_at, path, index = args
            entry_id = entries[index % len(entries)]
            version = Entry.objects.get(pk=entry_id).version
            write(patient, path, entry_id, felt_at, version=version)
        elif kind == "move patient":
            (patient.timezone,) = args
            User.objects.filter(pk=patient.pk).update(timezone=patient.timezone)


def write(
    patient: User, path: str, entry_id: uuid.UUID, felt_at: datetime, version: int | None
) -> None:
    data = entry_data(felt_at, notes=f"felt {felt_at.isoformat()}")
    if path == "put":
        entry_save(patient=patient, entry_id=entry_id, data=data, expected_version=version)
    else:
        (result,) = entries_sync(
            patient=patient, items=[SyncItem(id=entry_id, data=data, version=version)]
        )
        assert result.status in ("created", "updated", "unchanged"), result


def check(patient: User) -> None:
    timeline = patient_timeline(patient)
    entries = list(Entry.objects.filter(patient=patient).order_by("felt_at", "id"))

    # What is stored (each write path, then re-placement when visits changed) is the rule,
    # over the local date fixed when the check-in was recorded.
    for entry in entries:
        expected = place(entry.felt_at, entry.local_date, timeline)
        assert expected == by_the_words(entry.felt_at, entry.local_date, timeline)
        assert (entry.visit_id, entry.day) == expected, entry
    assert entries_reassign(patient=patient) == 0

    # A new check-in now, by the single path's SQL and by a batch's timeline: at every
    # check-in's instant and at, just before and just after every visit's.
    batch = Timeline(patient)
    probes = {entry.felt_at for entry in entries} | {
        visit.performed_at + step
        for visit in timeline
        for step in (-MICROSECOND, timedelta(0), MICROSECOND)
    }
    for felt_at in sorted(probes):
        local = local_date_for(patient, felt_at)
        expected = Placement(local, *place(felt_at, local, timeline))
        assert (expected.visit_id, expected.day) == by_the_words(felt_at, local, timeline)
        assert entry_placement(patient=patient, felt_at=felt_at) == expected, felt_at
        assert batch.placement(felt_at) == expected, felt_at

    # The analytics' frames version of the rule gives what the server stored.
    visits = pd.DataFrame(
        {
            "visit_id": [str(visit.id) for visit in timeline],
            "patient_id": str(patient.pk),
            "performed_at": pd.to_datetime([visit.performed_at for visit in timeline], utc=True),
            "visit_date": [visit.local_date for visit in timeline],
        }
    )
    frame = pd.DataFrame(
        {
            "entry_id": [str(entry.pk) for entry in entries],
            "patient_id": str(patient.pk),
            "felt_at": pd.to_datetime([entry.felt_at for entry in entries], utc=True),
            "local_date": [entry.local_date for entry in entries],
        }
    )
    assigned = assign_visits(frame, visits)
    assert [
        (visit_id, None if pd.isna(day) else int(day))
        for visit_id, day in zip(assigned["visit_id"], assigned["day"], strict=True)
    ] == [(None if e.visit_id is None else str(e.visit_id), e.day) for e in entries]


# Each example runs in a savepoint it rolls back, so the function-scoped patient and
# physician start every example as they were (the timezone is reset explicitly).
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories())
def test_every_placement_path_agrees_with_the_one_rule(
    patient: User, physician: User, history: tuple[str, list[tuple[Any, ...]]]
) -> None:
    zone, events = history
    patient.timezone = zone
    with transaction.atomic():
        User.objects.filter(pk=patient.pk).update(timezone=zone)
        live(patient, physician, events)
        check(patient)
        transaction.set_rollback(True)
