"""Each write path keeps the per (patient, local date, visit) tallies in its transaction.

Through the API, as a phone and a physician would write; each test asserts the whole
``PatientDay`` table afterwards (sums, counts, visit and day), not just the status.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import User
from diary.bulk_insert import NewEntry, insert_skipping_existing
from diary.models import Entry, PatientDay
from diary.tallies import days_mismatches, days_rebuild, days_recount
from tests.concurrency import run_concurrently
from tests.factories import PhysicianFactory, link, make_visit

pytestmark = pytest.mark.django_db

# The patient lives in Europe/Berlin (UTC+1 in March).
MAR_2, MAR_3 = date(2026, 3, 2), date(2026, 3, 3)


def body(felt_at: str = "2026-03-02T09:30:00+01:00", **changes: object) -> dict[str, Any]:
    data = {
        "felt_at": felt_at,
        "pain": 4,
        "soreness": 6,
        "bruising": "small",
        "iced": False,
        "heated": False,
        "strenuous_activity": False,
        "notes": "",
    }
    data.update(changes)
    return data


def url(entry_id: object) -> str:
    return f"/api/v1/entries/{entry_id}/"


def tallies(patient: User) -> list[tuple[Any, ...]]:
    """(local date, visit, day, pain sum, soreness sum, check-ins, large bruises)."""
    return list(
        PatientDay.objects.filter(patient=patient)
        .order_by("local_date", "day")
        .values_list(
            "local_date", "visit_id", "day", "pain_sum", "soreness_sum", "entries",
            "large_bruising",
        )
    )  # fmt: skip


def test_a_check_in_adds_to_its_days_tally(patient: User, patient_client: APIClient):
    patient_client.put(url(uuid.uuid4()), body(pain=4, soreness=6), format="json")
    patient_client.put(
        url(uuid.uuid4()),
        body("2026-03-02T20:00:00+01:00", pain=7, soreness=1, bruising="large"),
        format="json",
    )
    assert tallies(patient) == [(MAR_2, None, None, 11, 7, 2, 1)]


def test_an_edit_moves_the_check_in_between_days(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    patient_client.put(url(uuid.uuid4()), body(pain=2, soreness=2), format="json")

    response = patient_client.put(
        url(entry_id),
        body("2026-03-03T08:00:00+01:00", pain=9, bruising="large"),
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.content
    assert tallies(patient) == [(MAR_2, None, None, 2, 2, 1, 0), (MAR_3, None, None, 9, 6, 1, 1)]


def test_a_delete_takes_the_check_in_out_and_an_empty_day_goes(
    patient: User, patient_client: APIClient
):
    first, second = uuid.uuid4(), uuid.uuid4()
    patient_client.put(url(first), body(pain=4), format="json")
    patient_client.put(url(second), body("2026-03-03T08:00:00+01:00", pain=5), format="json")

    assert patient_client.delete(url(first)).status_code == 204

    assert tallies(patient) == [(MAR_3, None, None, 5, 6, 1, 0)]
    assert Entry.objects.filter(pk=first, deleted_at__isnull=False).exists()


def test_a_replay_and_a_conflict_change_no_tally(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    patient_client.put(url(entry_id), body(), format="json")  # replay
    assert patient_client.put(url(entry_id), body(pain=9), format="json").status_code == 409
    assert tallies(patient) == [(MAR_2, None, None, 4, 6, 1, 0)]


def test_a_batch_creates_and_edits_in_one_recount(patient: User, patient_client: APIClient):
    edited = uuid.uuid4()
    patient_client.put(url(edited), body(pain=8), format="json")
    items = [
        {"id": str(uuid.uuid4()), **body(pain=1, soreness=1)},
        {"id": str(uuid.uuid4()), **body("2026-03-03T23:30:00+01:00", pain=3, bruising="large")},
        {"id": str(edited), "version": 1, **body("2026-03-03T07:00:00+01:00", pain=6)},
    ]

    response = patient_client.post("/api/v1/entries/sync/", {"entries": items}, format="json")

    assert [r["status"] for r in response.json()["results"]] == ["created", "created", "updated"]
    assert tallies(patient) == [(MAR_2, None, None, 1, 1, 1, 0), (MAR_3, None, None, 9, 12, 2, 1)]


def test_a_visit_recorded_late_takes_over_its_check_ins_tallies(
    patient: User, patient_client: APIClient
):
    physician = PhysicianFactory()
    link(physician, patient)
    patient_client.put(url(uuid.uuid4()), body(pain=3), format="json")  # 2 Mar 09:30
    patient_client.put(url(uuid.uuid4()), body("2026-03-03T10:00:00+01:00"), format="json")

    # Performed at 09:00 on 2 March, recorded afterwards: both check-ins are its now.
    visit = make_visit(physician, patient, datetime(2026, 3, 2, 8, tzinfo=UTC))

    assert tallies(patient) == [
        (MAR_2, visit.pk, 0, 3, 6, 1, 0),
        (MAR_3, visit.pk, 1, 4, 6, 1, 0),
    ]


def test_moving_a_visit_splits_a_day_between_two_visits(
    patient: User, physician: User, physician_client: APIClient, patient_client: APIClient
):
    link(physician, patient)
    first = make_visit(physician, patient, datetime(2026, 2, 20, 8, tzinfo=UTC))
    second = make_visit(physician, patient, datetime(2026, 3, 5, 8, tzinfo=UTC))
    patient_client.put(url(uuid.uuid4()), body(pain=3), format="json")  # 2 Mar 09:30
    patient_client.put(url(uuid.uuid4()), body("2026-03-02T20:00:00+01:00"), format="json")
    assert tallies(patient) == [(MAR_2, first.pk, 10, 7, 12, 2, 0)]

    # The second visit moves to noon on 2 March: the evening check-in becomes its day 0.
    response = physician_client.patch(
        f"/api/v1/visits/{second.pk}/", {"performed_at": "2026-03-02T12:00:00+01:00"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert sorted(tallies(patient), key=lambda row: row[2]) == [
        (MAR_2, second.pk, 0, 4, 6, 1, 0),
        (MAR_2, first.pk, 10, 3, 6, 1, 0),
    ]


def test_a_timezone_change_moves_no_stored_day(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    # Half past midnight on 2 March in Berlin: still 1 March in New York.
    patient_client.put(url(entry_id), body("2026-03-02T00:30:00+01:00"), format="json")
    response = patient_client.patch(
        "/api/v1/auth/me/", {"timezone": "America/New_York"}, format="json"
    )
    assert response.status_code == 200, response.content
    patient.refresh_from_db()  # the test client signs in with this very object

    # An edit of what was felt keeps the stored date; a new check-in at 01:30 Berlin time on
    # 3 March is dated in the new zone, the evening of 2 March.
    patient_client.put(url(entry_id), body("2026-03-02T00:30:00+01:00", pain=6),
                       format="json", HTTP_IF_MATCH='"1"')  # fmt: skip
    patient_client.put(url(uuid.uuid4()), body("2026-03-03T01:30:00+01:00"), format="json")

    assert tallies(patient) == [(MAR_2, None, None, 10, 12, 2, 0)]
    assert sorted(Entry.objects.values_list("local_date", flat=True)) == [MAR_2, MAR_2]


def test_recount_and_rebuild_agree_with_the_raw_rows(patient: User, patient_client: APIClient):
    patient_client.put(url(uuid.uuid4()), body(), format="json")
    before = tallies(patient)
    PatientDay.objects.all().delete()

    days_recount(patient_id=patient.pk, local_dates=[MAR_2, None])
    assert tallies(patient) == before
    assert days_rebuild() == 1
    assert tallies(patient) == before


def test_check_passes_when_the_tallies_match(patient: User, patient_client: APIClient, capsys):
    patient_client.put(url(uuid.uuid4()), body(), format="json")
    call_command("aggregates", "check")
    assert capsys.readouterr().out == "1 tallies match the raw check-ins.\n"


def test_check_fails_and_names_what_differs_then_rebuild_repairs(
    patient: User, patient_client: APIClient, capsys
):
    patient_client.put(url(uuid.uuid4()), body(), format="json")
    PatientDay.objects.update(pain_sum=99)

    with pytest.raises(CommandError, match="1 tallies differ from the raw check-ins"):
        call_command("aggregates", "check")
    out = capsys.readouterr().out
    assert f'"patient_id": "{patient.pk}"' in out
    assert '"kept": [99, 6, 1, 0], "counted": [4, 6, 1, 0]' in out

    call_command("aggregates", "rebuild")
    assert capsys.readouterr().out == "Rebuilt 1 tallies.\n"
    assert tallies(patient) == [(MAR_2, None, None, 4, 6, 1, 0)]
    call_command("aggregates", "check")


def test_a_batch_adds_to_tallies_with_and_without_a_visit(
    patient: User, physician: User, patient_client: APIClient
):
    link(physician, patient)
    visit = make_visit(physician, patient, datetime(2026, 3, 2, 11, tzinfo=UTC))  # noon
    patient_client.put(url(uuid.uuid4()), body("2026-03-02T13:00:00+01:00", pain=1), format="json")
    items = [
        {"id": str(uuid.uuid4()), **body("2026-03-02T09:00:00+01:00", pain=8)},  # before it
        {"id": str(uuid.uuid4()), **body("2026-03-02T10:00:00+01:00", pain=7)},
        {"id": str(uuid.uuid4()), **body("2026-03-02T18:00:00+01:00", pain=2, bruising="large")},
    ]

    response = patient_client.post("/api/v1/entries/sync/", {"entries": items}, format="json")

    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3
    assert sorted(tallies(patient), key=lambda row: row[2] is None) == [
        (MAR_2, visit.pk, 0, 3, 12, 2, 1),
        (MAR_2, None, None, 15, 12, 2, 0),
    ]


def test_an_insert_of_several_check_ins_adds_each_kind_of_key_once(patient: User, physician: User):
    """The INSERT a batch falls back to when its COPY meets an id another patient just
    committed, and the PUT's with one row: several rows in one statement, two sharing a key,
    with a visit and without; a replay adds nothing; a single row is its own tally."""
    link(physician, patient)
    visit = make_visit(physician, patient, datetime(2026, 3, 2, 10, tzinfo=UTC))
    felt = datetime(2026, 3, 2, 12, tzinfo=UTC)

    def new(pain: int, bruising: str, visit_id: object, day: int | None) -> NewEntry:
        return NewEntry(
            id=uuid.uuid4(), patient=patient, felt_at=felt, pain=pain, soreness=pain + 1,
            bruising=bruising, iced=False, heated=False, strenuous_activity=False, notes="",
            recorded_at=felt, local_date=MAR_2, visit_id=visit_id, day=day,
        )  # fmt: skip

    rows = [
        new(3, "none", visit.pk, 0),
        new(5, "large", visit.pk, 0),
        new(7, "none", None, None),
        new(2, "small", None, None),
    ]
    assert insert_skipping_existing(rows) == {row.id for row in rows}
    expected = [(MAR_2, visit.pk, 0, 8, 10, 2, 1), (MAR_2, None, None, 9, 11, 2, 0)]
    assert sorted(tallies(patient), key=lambda row: row[2] is None) == expected

    assert insert_skipping_existing(rows) == set()
    assert sorted(tallies(patient), key=lambda row: row[2] is None) == expected

    alone = new(4, "large", None, None)
    assert insert_skipping_existing([alone]) == {alone.id}
    assert sorted(tallies(patient), key=lambda row: row[2] is None) == [
        (MAR_2, visit.pk, 0, 8, 10, 2, 1),
        (MAR_2, None, None, 13, 16, 3, 1),
    ]
    assert days_mismatches() == (0, [])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_and_edits_of_one_day_add_up(patient: User, client_for):
    """Each writer holds the patient's lock while it adds to or recounts a tally, so
    concurrent check-ins (upserts) and an edit (a recount) of one day lose nothing."""
    edited = uuid.uuid4()
    client_for(patient).put(url(edited), body(pain=1), format="json")

    def work(i: int) -> int:
        client = client_for(patient)
        if i == 0:
            return client.put(
                url(edited), body(pain=9), format="json", HTTP_IF_MATCH='"1"'
            ).status_code
        return client.put(url(uuid.uuid4()), body(pain=i % 11), format="json").status_code

    statuses = run_concurrently(8, work)

    assert sorted(statuses) == [200] + [201] * 7
    assert tallies(patient) == [(MAR_2, None, None, 9 + sum(range(1, 8)), 48, 8, 0)]
    assert days_mismatches() == (0, [])
