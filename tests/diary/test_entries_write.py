"""Check-ins: idempotent create, conflicts, versioned edits, history, delete, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from diary.models import Entry, EntryRevision
from tests.concurrency import behind_a_held_transaction, run_concurrently
from tests.factories import PhysicianFactory, link, make_visit

pytestmark = pytest.mark.django_db

FELT = "2026-03-02T09:30:00+01:00"


def body(**changes: object) -> dict:
    data = {
        "felt_at": FELT,
        "pain": 4,
        "soreness": 6,
        "bruising": "small",
        "iced": True,
        "heated": False,
        "strenuous_activity": False,
        "notes": "Stiff in the morning.",
    }
    data.update(changes)
    return data


def url(entry_id: object) -> str:
    return f"/api/v1/entries/{entry_id}/"


def expected_json(entry_id: object, patient: User, **changes: object) -> dict:
    entry = Entry.objects.get(pk=entry_id)
    data = {
        "id": str(entry_id),
        "patient": str(patient.pk),
        "felt_at": "2026-03-02T08:30:00Z",
        "recorded_at": entry.recorded_at.isoformat().replace("+00:00", "Z"),
        "updated_at": entry.updated_at.isoformat().replace("+00:00", "Z"),
        "local_date": "2026-03-02",
        "visit": None,
        "day": None,
        "pain": 4,
        "soreness": 6,
        "bruising": "small",
        "iced": True,
        "heated": False,
        "strenuous_activity": False,
        "notes": "Stiff in the morning.",
        "version": 1,
    }
    data.update(changes)
    return data


def test_put_with_a_new_id_creates_the_entry(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    response = patient_client.put(url(entry_id), body(), format="json")

    assert response.status_code == 201
    assert response.json() == expected_json(entry_id, patient)
    assert response["ETag"] == '"1"'
    entry = Entry.objects.get()
    assert (entry.id, entry.patient, entry.pain, entry.version) == (entry_id, patient, 4, 1)
    audit = AuditEvent.objects.get()
    assert (audit.action, audit.resource, audit.object_id, audit.patient, audit.actor) == (
        "create",
        "entry",
        str(entry_id),
        patient,
        patient,
    )


def test_post_with_an_id_creates_and_a_replay_returns_the_stored_entry(
    patient: User, patient_client: APIClient
):
    entry_id = uuid.uuid4()
    first = patient_client.post("/api/v1/entries/", body(id=str(entry_id)), format="json")
    replay = patient_client.post("/api/v1/entries/", body(id=str(entry_id)), format="json")

    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Entry.objects.count() == 1


def test_post_without_an_id_gets_a_server_id(patient: User, patient_client: APIClient):
    response = patient_client.post("/api/v1/entries/", body(), format="json")
    assert response.status_code == 201
    assert Entry.objects.get().id == uuid.UUID(response.json()["id"])


def test_replaying_a_put_is_idempotent(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    replay = patient_client.put(url(entry_id), body(felt_at="2026-03-02T08:30:00Z"), format="json")
    assert replay.status_code == 200
    assert replay.json() == expected_json(entry_id, patient)
    assert Entry.objects.count() == 1
    assert not EntryRevision.objects.exists()


def test_same_id_with_other_content_and_no_version_is_409_with_the_stored_version(
    patient: User, patient_client: APIClient
):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    response = patient_client.put(url(entry_id), body(pain=7), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "detail": "A different check-in with this id exists. Send its version to edit it.",
        "version": 1,
        "entry": expected_json(entry_id, patient),
    }
    assert Entry.objects.get().pain == 4


def test_edit_with_current_version_keeps_history(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    response = patient_client.put(url(entry_id), body(pain=2, version=1), format="json")

    assert response.status_code == 200
    assert response.json()["pain"] == 2
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    revision = EntryRevision.objects.get()
    assert (revision.version, revision.action, revision.changed_by) == (1, "update", patient)
    assert revision.values == {
        "felt_at": "2026-03-02T08:30:00+00:00",
        "pain": 4,
        "soreness": 6,
        "bruising": "small",
        "iced": True,
        "heated": False,
        "strenuous_activity": False,
        "notes": "Stiff in the morning.",
    }


def test_stale_version_is_412_and_changes_nothing(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    patient_client.put(url(entry_id), body(pain=2, version=1), format="json")

    response = patient_client.put(url(entry_id), body(pain=9), format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response.json()["code"] == "version_mismatch"
    assert response.json()["version"] == 2
    assert Entry.objects.get().pain == 2
    assert EntryRevision.objects.count() == 1


def test_if_match_header_edits(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    response = patient_client.patch(
        url(entry_id), {"notes": "Better"}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert response.status_code == 200
    assert response.json()["notes"] == "Better"
    assert response.json()["pain"] == 4
    assert response.json()["version"] == 2


def test_patch_without_a_version_is_400_naming_version(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    response = patient_client.patch(url(entry_id), {"pain": 1}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["version"]


def test_delete_is_recorded_and_the_entry_leaves_lists(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")

    response = patient_client.delete(url(entry_id))

    assert response.status_code == 204
    entry = Entry.objects.get()
    assert entry.deleted_at is not None
    assert entry.version == 2
    revision = EntryRevision.objects.get()
    assert (revision.action, revision.version, revision.values["pain"]) == ("delete", 1, 4)
    assert patient_client.get(url(entry_id)).status_code == 404
    assert patient_client.get("/api/v1/entries/").json()["count"] == 0
    # A late replay of the create is told the entry is gone, not re-created.
    replay = patient_client.put(url(entry_id), body(), format="json")
    assert replay.status_code == 409
    assert replay.json()["code"] == "entry_deleted"
    assert Entry.objects.count() == 1


def test_delete_with_a_stale_version_is_412(patient: User, patient_client: APIClient):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    patient_client.put(url(entry_id), body(pain=1, version=1), format="json")
    response = patient_client.delete(url(entry_id) + "?version=1")
    assert response.status_code == 412
    assert Entry.objects.get().deleted_at is None


def test_patient_cannot_write_another_patients_entry(
    patient: User, other_patient: User, client_for
):
    entry_id = uuid.uuid4()
    client_for(other_patient).put(url(entry_id), body(notes="olive's secret"), format="json")

    put = client_for(patient).put(url(entry_id), body(), format="json")
    delete = client_for(patient).delete(url(entry_id))

    assert put.status_code == delete.status_code == 404
    assert put.json() == delete.json() == {"code": "not_found", "detail": "Not found."}
    entry = Entry.objects.get()
    assert (entry.patient, entry.notes, entry.deleted_at) == (other_patient, "olive's secret", None)
    denied = AuditEvent.objects.filter(outcome="denied", actor=patient)
    assert denied.count() == 2
    assert set(denied.values_list("patient", flat=True)) == {other_patient.pk}


def test_physician_cannot_write_entries(physician: User, physician_client: APIClient):
    response = physician_client.put(url(uuid.uuid4()), body(), format="json")
    assert response.status_code == 403
    assert not Entry.objects.exists()
    assert AuditEvent.objects.get().outcome == "denied"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain": 11}, "pain"),
        ({"pain": -1}, "pain"),
        ({"soreness": "lots"}, "soreness"),
        ({"bruising": "huge"}, "bruising"),
        ({"notes": "x" * 5001}, "notes"),
        ({"felt_at": "2026-03-02T09:30:00"}, "felt_at"),
        ({"felt_at": "yesterday"}, "felt_at"),
        ({"patient": "9c0f3a8e-0000-4000-8000-000000000000"}, "patient"),
        ({"recorded_at": "2026-03-02T09:30:00Z"}, "recorded_at"),
        ({"day": 3}, "day"),
        ({"local_date": "2026-03-02"}, "local_date"),
        ({"visit": None}, "visit"),
        ({"mood": "fine"}, "mood"),
        ({"version": 0}, "version"),
        ({"iced": "sometimes"}, "iced"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    patient: User, patient_client: APIClient, changes: dict, field: str
):
    response = patient_client.put(url(uuid.uuid4()), body(**changes), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]
    assert not Entry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_felt_at_more_than_ten_minutes_ahead_is_refused(patient: User, patient_client):
    ahead = (timezone.now() + timedelta(minutes=11)).isoformat()
    near = (timezone.now() + timedelta(minutes=9)).isoformat()
    assert (
        patient_client.put(url(uuid.uuid4()), body(felt_at=ahead), format="json").status_code == 400
    )
    assert (
        patient_client.put(url(uuid.uuid4()), body(felt_at=near), format="json").status_code == 201
    )


def test_id_in_body_must_match_the_url(patient: User, patient_client: APIClient):
    response = patient_client.put(url(uuid.uuid4()), body(id=str(uuid.uuid4())), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["id"]


def test_malformed_json_is_400(patient: User, patient_client: APIClient):
    response = patient_client.generic(
        "PUT", url(uuid.uuid4()), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_puts_leave_exactly_one_row(patient: User, client_for):
    entry_id = uuid.uuid4()
    statuses = run_concurrently(
        10, lambda _i: client_for(patient).put(url(entry_id), body(), format="json").status_code
    )
    assert sorted(statuses) == [200] * 9 + [201]
    assert Entry.objects.count() == 1
    assert AuditEvent.objects.filter(action="create").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_puts_on_sqlite_too(patient: User, client_for):
    entry_id = uuid.uuid4()
    statuses = run_concurrently(
        5, lambda _i: client_for(patient).put(url(entry_id), body(), format="json").status_code
    )
    assert sorted(statuses) == [200] * 4 + [201]
    assert Entry.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "query", "headers", "field"),
    [
        ("get", "?page=\u00b2", {}, "page"),
        ("get", "?page_size=\u00b2", {}, "page_size"),
        ("delete", "?version=\u00b2", {}, "version"),
        ("patch", "", {"HTTP_IF_MATCH": '"\u00b2"'}, "version"),
    ],
)
def test_non_ascii_digits_are_a_400_not_a_crash(
    patient: User, patient_client: APIClient, method, query, headers, field
):
    entry_id = uuid.uuid4()
    patient_client.put(url(entry_id), body(), format="json")
    target = ("/api/v1/entries/" if method == "get" else url(entry_id)) + query
    kwargs = {"format": "json"} if method == "patch" else {}
    data = ({"pain": 1},) if method == "patch" else ()
    response = getattr(patient_client, method)(target, *data, **kwargs, **headers)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_put_and_get_answer_exactly_what_the_entry_serializer_writes(patient, client_for):
    """PUT and GET build the body from the entry without a serializer; the JSON must equal
    EntrySerializer + DRF's stdlib JSONRenderer, a non-UTC felt_at included."""
    import json
    import uuid

    from rest_framework.renderers import JSONRenderer

    from diary.models import Entry
    from diary.serializers import EntrySerializer

    entry_id = uuid.uuid4()
    body = {"felt_at": "2026-03-04T09:30:00.123456+02:00", "pain": 3, "soreness": 2,
            "notes": "Ünïcode \u2028 fine"}  # fmt: skip
    created = client_for(patient).put(f"/api/v1/entries/{entry_id}/", body, format="json")
    assert created.status_code == 201
    stored = Entry.objects.get(pk=entry_id)
    expected = json.loads(JSONRenderer().render(EntrySerializer(stored).data))
    assert created.json() == expected
    assert created.json()["felt_at"] == "2026-03-04T07:30:00.123456Z"
    assert client_for(patient).get(f"/api/v1/entries/{entry_id}/").json() == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["put", "sync"])
def test_a_check_in_that_waited_for_a_visit_being_recorded_is_placed_under_it(
    patient: User, client_for, path: str
):
    """A physician records a visit while the patient checks in: the check-in waits for the
    patient lock the visit's transaction holds, and must then see that visit. (Read in the
    same statement as the lock, the visits came from a snapshot taken before the wait, and
    the entry stayed under the older visit; the visit's re-placement could not see it.)"""
    doctor = PhysicianFactory()
    link(doctor, patient)
    make_visit(doctor, patient, datetime(2026, 2, 20, 10, tzinfo=UTC))  # the older visit
    new_visit: list[object] = []

    def physician_records_a_visit() -> None:  # its transaction holds the patient lock
        new_visit.append(make_visit(doctor, patient, datetime(2026, 3, 1, 10, tzinfo=UTC)))

    def patient_checks_in() -> int:
        client = client_for(patient)
        if path == "put":
            return client.put(url(entry_id), body(), format="json").status_code
        item = {"id": str(entry_id), **body()}
        response = client.post("/api/v1/entries/sync/", {"entries": [item]}, format="json")
        assert response.json()["results"][0]["status"] == "created"
        return response.status_code

    entry_id = uuid.uuid4()
    status = behind_a_held_transaction(physician_records_a_visit, patient_checks_in)
    assert status == {"put": 201, "sync": 200}[path]

    entry = Entry.objects.get(pk=entry_id)
    assert (entry.visit_id, entry.day) == (new_visit[0].pk, 1)  # felt 2026-03-02, visit 03-01
