"""Local date and day since the visit: across midnight and daylight-saving changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from accounts.models import User
from diary.models import Entry
from tests.factories import PatientFactory, PhysicianFactory, make_entry, make_visit

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def ny_patient(db: None) -> User:
    return PatientFactory(timezone="America/New_York")


@pytest.fixture
def doctor(db: None) -> User:
    return PhysicianFactory()


def test_local_date_follows_the_patients_timezone_across_midnight(ny_patient: User, doctor):
    # 03:30 UTC on 2 March is still the evening of 1 March in New York (UTC-5).
    entry = make_entry(ny_patient, utc(2026, 3, 2, 3, 30))
    assert str(entry.local_date) == "2026-03-01"
    assert entry.visit is None and entry.day is None


def test_day_counts_local_days_since_the_visit(ny_patient: User, doctor):
    # Visit at 16:00 New York on 1 March; an entry at 23:59 local that day is day 0,
    # one at 00:01 local on 2 March (05:01 UTC) is day 1.
    visit = make_visit(doctor, ny_patient, utc(2026, 3, 1, 21, 0))
    same_day = make_entry(ny_patient, utc(2026, 3, 2, 4, 59))
    next_day = make_entry(ny_patient, utc(2026, 3, 2, 5, 1))
    assert str(visit.local_date) == "2026-03-01"
    assert (same_day.visit_id, same_day.day) == (visit.id, 0)
    assert (next_day.visit_id, next_day.day) == (visit.id, 1)


def test_day_is_right_across_the_spring_dst_change(ny_patient: User, doctor):
    # US clocks spring forward on 8 March 2026. Visit Saturday 7 March 12:00 EST (17:00Z);
    # Monday 9 March 00:30 EDT is 04:30Z: two local days later, though only 43.5 h passed.
    visit = make_visit(doctor, ny_patient, utc(2026, 3, 7, 17, 0))
    entry = make_entry(ny_patient, utc(2026, 3, 9, 4, 30))
    assert str(entry.local_date) == "2026-03-09"
    assert (entry.visit_id, entry.day) == (visit.id, 2)


def test_day_is_right_across_the_autumn_dst_change(ny_patient: User, doctor):
    # Clocks fall back on 1 November 2026: 23:30 EST on 1 Nov is 04:30Z on 2 Nov.
    visit = make_visit(doctor, ny_patient, utc(2026, 10, 31, 14, 0))
    entry = make_entry(ny_patient, utc(2026, 11, 2, 4, 30))
    assert str(entry.local_date) == "2026-11-01"
    assert entry.day == 1 and entry.visit_id == visit.id


def test_entry_belongs_to_the_latest_visit_at_or_before_it(ny_patient: User, doctor):
    first = make_visit(doctor, ny_patient, utc(2026, 3, 1, 15, 0))
    second = make_visit(doctor, ny_patient, utc(2026, 3, 10, 15, 0))
    at_second = make_entry(ny_patient, utc(2026, 3, 10, 15, 0))
    before_second = make_entry(ny_patient, utc(2026, 3, 10, 14, 59))
    assert (at_second.visit_id, at_second.day) == (second.id, 0)
    assert (before_second.visit_id, before_second.day) == (first.id, 9)


def test_recording_a_visit_later_re_places_existing_entries(ny_patient: User, doctor):
    before = make_entry(ny_patient, utc(2026, 3, 1, 12, 0))
    after = make_entry(ny_patient, utc(2026, 3, 4, 12, 0))
    visit = make_visit(doctor, ny_patient, utc(2026, 3, 2, 15, 0))
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.visit_id, before.day) == (None, None)
    assert (after.visit_id, after.day) == (visit.id, 2)


def test_local_date_does_not_shift_when_the_patient_moves_timezone(ny_patient: User, doctor):
    entry = make_entry(ny_patient, utc(2026, 3, 2, 3, 30))
    ny_patient.timezone = "Asia/Tokyo"
    ny_patient.save()
    assert str(Entry.objects.get(pk=entry.pk).local_date) == "2026-03-01"


def test_an_entry_after_the_visit_never_gets_a_negative_day(doctor):
    # Visit at 00:30 London time; the patient then moves to New York, where an entry felt
    # later that evening carries the previous calendar date. It is day 0, not day -1.
    patient = PatientFactory(timezone="Europe/London")
    visit = make_visit(doctor, patient, utc(2026, 6, 10, 23, 30))
    patient.timezone = "America/New_York"
    patient.save()
    entry = make_entry(patient, utc(2026, 6, 11, 1, 0))
    assert str(visit.local_date) == "2026-06-11"
    assert str(entry.local_date) == "2026-06-10"
    assert (entry.visit_id, entry.day) == (visit.id, 0)


GREATER_ID = uuid.UUID("ffffffff-0000-4000-8000-000000000000")
SMALLER_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    ("first", "second"),
    [(GREATER_ID, SMALLER_ID), (SMALLER_ID, GREATER_ID)],
    ids=["greater-id-recorded-first", "smaller-id-recorded-first"],
)
def test_of_two_visits_at_the_same_instant_the_greater_id_holds_the_entries(
    ny_patient: User, doctor, first: uuid.UUID, second: uuid.UUID
):
    # Re-placing the entries when the second visit is recorded must choose as a new
    # check-in does (the greater id), whichever of the two was recorded first.
    at = utc(2026, 3, 1, 15, 0)
    make_visit(doctor, ny_patient, at, visit_id=first)
    re_placed = make_entry(ny_patient, utc(2026, 3, 3, 15, 0))
    make_visit(doctor, ny_patient, at, visit_id=second)
    placed = make_entry(ny_patient, utc(2026, 3, 3, 16, 0))
    re_placed.refresh_from_db()
    assert (re_placed.visit_id, re_placed.day) == (GREATER_ID, 2)
    assert (placed.visit_id, placed.day) == (GREATER_ID, 2)
