"""PATCH /api/v1/auth/me/: display name and timezone. A patient who moves keeps every
stored check-in's local date and day; check-ins from then on are dated in the new zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from diary.models import Entry
from tests.accounts.helpers import ME_URL, bearer, sign_in
from tests.concurrency import behind_a_held_transaction
from tests.factories import PhysicianFactory, link, make_entry, make_visit

pytestmark = pytest.mark.django_db


def me(user: User, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "timezone": user.timezone,
        "language": "en",
        **changes,
    }


def test_a_patient_changes_their_name(patient: User, patient_client: APIClient):
    response = patient_client.patch(ME_URL, {"display_name": "  Pat P.  "}, format="json")

    assert (response.status_code, response.json()) == (200, me(patient, display_name="Pat P."))
    stored = User.objects.get(pk=patient.pk)
    assert (stored.display_name, stored.timezone) == ("Pat P.", "Europe/Berlin")


def test_a_legacy_zone_name_is_stored_canonical(patient: User, patient_client: APIClient):
    response = patient_client.patch(ME_URL, {"timezone": "Asia/Calcutta"}, format="json")

    assert (response.status_code, response.json()) == (200, me(patient, timezone="Asia/Kolkata"))
    assert User.objects.get(pk=patient.pk).timezone == "Asia/Kolkata"


def test_both_at_once_and_nothing_at_all(patient: User, patient_client: APIClient):
    both = patient_client.patch(
        ME_URL, {"display_name": "Pat", "timezone": "America/Los_Angeles"}, format="json"
    )
    assert both.json() == me(patient, display_name="Pat", timezone="America/Los_Angeles")
    nothing = patient_client.patch(ME_URL, {}, format="json")
    assert (nothing.status_code, nothing.json()) == (
        200,
        me(patient, display_name="Pat", timezone="America/Los_Angeles"),
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"timezone": "localtime"}, {"timezone": ['"localtime" is not a known IANA timezone.']}),
        ({"timezone": "Etc/GMT+5"}, {"timezone": ['"Etc/GMT+5" is not a known IANA timezone.']}),
        ({"timezone": ""}, {"timezone": ['"" is not a known IANA timezone.']}),
        ({"display_name": "   "}, {"display_name": ["This field may not be blank."]}),
        (
            {"display_name": "x" * 151},
            {"display_name": ["Ensure this field has no more than 150 characters."]},
        ),
        ({"display_name": 7}, {"display_name": ["Must be a string."]}),
        ({"email": "new@example.org"}, {"email": ["Unknown field."]}),
        ({"role": "physician"}, {"role": ["Unknown field."]}),
    ],
)
def test_a_refused_change_names_its_field_and_changes_nothing(
    patient: User, patient_client: APIClient, body: dict[str, Any], fields: Any
):
    response = patient_client.patch(ME_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"Invalid input: {', '.join(fields)}.",
        "fields": fields,
    }
    stored = User.objects.get(pk=patient.pk)
    assert (stored.email, stored.display_name, stored.role, stored.timezone) == (
        "pat@example.org",
        "Pat Patient",
        "patient",
        "Europe/Berlin",
    )


def test_signing_in_is_required(db: None):
    assert APIClient().patch(ME_URL, {"display_name": "x"}, format="json").status_code == 401


def test_a_physician_changes_theirs(physician: User, physician_client: APIClient):
    response = physician_client.patch(
        ME_URL, {"display_name": "Dr. Hope Okafor", "timezone": "Europe/London"}, format="json"
    )
    assert response.json() == me(
        physician, display_name="Dr. Hope Okafor", timezone="Europe/London"
    )


def test_the_change_shows_at_once_to_the_same_token(patient: User, password: str):
    """Authentication remembers users per session (on PostgreSQL): the change must not be
    hidden behind what it remembered."""
    api = bearer(sign_in("pat@example.org", password)["access"])
    assert api.get(ME_URL).json()["timezone"] == "Europe/Berlin"

    assert api.patch(ME_URL, {"timezone": "America/Los_Angeles"}, format="json").status_code == 200

    assert api.get(ME_URL).json() == me(patient, timezone="America/Los_Angeles")


def _check_in(client: APIClient, felt_at: str) -> dict[str, Any]:
    body = {"felt_at": felt_at, "pain": 4, "soreness": 3}
    response = client.put(f"/api/v1/entries/{uuid.uuid4()}/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_patient_who_moves_keeps_their_stored_check_ins_as_they_were(
    patient: User, password: str
):
    """A visit on 1 March (Berlin). A check-in at 00:30 on 4 March in Berlin (23:30 UTC on
    the 3rd) is day 3. The patient moves to Los Angeles: that check-in still says 4 March,
    day 3 (in Los Angeles it would have been the 3rd, day 2). A check-in at 23:30 UTC on
    5 March is 15:30 on the 5th in Los Angeles: day 4 (in Berlin it would be the 6th)."""
    # A real sign-in: each request loads the patient as the database has them now.
    patient_client = bearer(sign_in("pat@example.org", password)["access"])
    doctor = PhysicianFactory()
    link(doctor, patient)
    visit = make_visit(doctor, patient, datetime(2026, 3, 1, 10, tzinfo=UTC))
    before = _check_in(patient_client, "2026-03-03T23:30:00Z")
    assert (before["local_date"], before["visit"], before["day"]) == (
        "2026-03-04",
        str(visit.pk),
        3,
    )

    moved = patient_client.patch(ME_URL, {"timezone": "America/Los_Angeles"}, format="json")
    assert moved.status_code == 200

    after = _check_in(patient_client, "2026-03-05T23:30:00Z")
    assert (after["local_date"], after["visit"], after["day"]) == ("2026-03-05", str(visit.pk), 4)
    stored = dict(Entry.objects.values_list("id", "local_date"))
    assert {str(k): v.isoformat() for k, v in stored.items()} == {
        before["id"]: "2026-03-04",
        after["id"]: "2026-03-05",
    }
    assert Entry.objects.get(pk=before["id"]).day == 3
    # As the patient reads them.
    listed = {e["id"]: (e["local_date"], e["day"]) for e in patient_client.get(
        "/api/v1/entries/").json()["results"]}  # fmt: skip
    assert listed == {before["id"]: ("2026-03-04", 3), after["id"]: ("2026-03-05", 4)}
    # The visit's own day 0 stays where it was recorded, too.
    visit.refresh_from_db()
    assert visit.local_date.isoformat() == "2026-03-01"
    # Editing what was felt (not when) keeps the date and day it was logged on.
    edited = patient_client.put(
        f"/api/v1/entries/{before['id']}/",
        {"felt_at": "2026-03-03T23:30:00Z", "pain": 2, "soreness": 3, "notes": "better"},
        format="json",
        HTTP_IF_MATCH=f'"{before["version"]}"',
    )
    assert edited.status_code == 200, edited.content
    assert (edited.json()["local_date"], edited.json()["day"], edited.json()["pain"]) == (
        "2026-03-04",
        3,
        2,
    )
    # Moving it to another time places it in the zone the patient is in now.
    moved_time = patient_client.put(
        f"/api/v1/entries/{before['id']}/",
        {"felt_at": "2026-03-03T23:00:00Z", "pain": 2, "soreness": 3},
        format="json",
        HTTP_IF_MATCH=f'"{edited.json()["version"]}"',
    )
    assert (moved_time.json()["local_date"], moved_time.json()["day"]) == ("2026-03-03", 2)


def test_moving_back_and_forth_changes_no_stored_check_in(patient: User, patient_client: APIClient):
    entries = [make_entry(patient, datetime(2026, 3, day, 23, 30, tzinfo=UTC)) for day in (1, 2, 3)]
    dates = sorted(e.local_date.isoformat() for e in entries)
    assert dates == ["2026-03-02", "2026-03-03", "2026-03-04"]  # Berlin
    for zone in ("Pacific/Auckland", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo"):
        assert patient_client.patch(ME_URL, {"timezone": zone}, format="json").status_code == 200
        assert (
            sorted(d.isoformat() for d in Entry.objects.values_list("local_date", flat=True))
            == dates
        )


def test_the_zone_changes_under_the_patient_lock(patient: User, patient_client: APIClient):
    with CaptureQueriesContext(connection) as queries:
        patient_client.patch(ME_URL, {"timezone": "Asia/Tokyo"}, format="json")
    table, pk = User._meta.db_table, User._meta.pk.column
    locks = [
        q["sql"] for q in queries.captured_queries if f'FROM "{table}" WHERE "{pk}" =' in q["sql"]
    ]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    assert locks and locks[0].endswith(lock)
    # A name alone does not need it.
    with CaptureQueriesContext(connection) as queries:
        patient_client.patch(ME_URL, {"display_name": "Pat"}, format="json")
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_zone_change_waits_for_a_check_in_being_written(patient: User, client_for: Any):
    """A check-in is being written (its transaction holds the patient lock) when the
    patient changes their zone: the change waits, so the check-in is dated wholly in the
    zone it was written under, never half in each."""
    written: list[Entry] = []

    def check_in() -> None:
        written.append(make_entry(patient, datetime(2026, 3, 3, 23, 30, tzinfo=UTC)))

    def move() -> int:
        return (
            client_for(patient)
            .patch(ME_URL, {"timezone": "America/Los_Angeles"}, format="json")
            .status_code
        )

    assert behind_a_held_transaction(check_in, move) == 200

    assert Entry.objects.get(pk=written[0].pk).local_date.isoformat() == "2026-03-04"
    assert User.objects.get(pk=patient.pk).timezone == "America/Los_Angeles"
