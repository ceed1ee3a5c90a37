"""Batch sync: a phone's outbox in one request, each entry saved as its PUT would be."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from diary.models import Entry, EntryRevision
from diary.placement import entry_placement
from tests.concurrency import run_concurrently
from tests.factories import PhysicianFactory, make_entry, make_visit

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/entries/sync/"
FELT = "2026-03-02T09:30:00+01:00"
# SELECT ... FOR UPDATE of the ids, the visits, the INSERT, the audit INSERT, and the
# savepoint pair of the service's transaction (inside the test's). SQLite pays for Django's
# 999-parameter batching of the audit insert (one more INSERT per ~99 audit rows).
# +1 for the patient row lock that serialises placement (accounts.patient_time.lock_patient).
# PostgreSQL: the new entries go in by COPY inside a savepoint pair of its own (+2).
# +1 for the kept day tallies (diary.tallies.days_add): one upsert adding the batch's new
# check-ins (a second only for check-ins felt before every visit; edits recount instead).
QUERY_BUDGET = 10


def item(entry_id: object = None, **changes: object) -> dict:
    data = {
        "id": str(entry_id or uuid.uuid4()),
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


def sync(client: APIClient, items: list) -> object:
    return client.post(SYNC, {"entries": items}, format="json")


def entry_json(entry: Entry) -> dict:
    def stamp(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    return {
        "id": str(entry.pk),
        "patient": str(entry.patient_id),
        "felt_at": stamp(entry.felt_at),
        "recorded_at": stamp(entry.recorded_at),
        "updated_at": stamp(entry.updated_at),
        "local_date": str(entry.local_date),
        "visit": str(entry.visit_id) if entry.visit_id else None,
        "day": entry.day,
        "pain": entry.pain,
        "soreness": entry.soreness,
        "bruising": entry.bruising,
        "iced": entry.iced,
        "heated": entry.heated,
        "strenuous_activity": entry.strenuous_activity,
        "notes": entry.notes,
        "version": entry.version,
    }


@pytest.mark.parametrize("count", [3, 25])  # 25: the audit rows go in by COPY on PostgreSQL
def test_a_batch_creates_every_entry_with_one_audit_row_each(
    patient: User, patient_client: APIClient, count: int
):
    items = [item(pain=n % 11, notes=f"note {n}", heated=n % 2 == 0) for n in range(count)]
    before = datetime.now(UTC)

    response = sync(patient_client, items)

    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": i["id"], "status": "created", "version": 1} for i in items]
    }
    entries = {str(e.pk): e for e in Entry.objects.all()}
    assert set(entries) == {i["id"] for i in items}
    for i in items:
        entry = entries[i["id"]]
        assert (
            entry.patient, entry.pain, entry.soreness, entry.bruising, entry.iced, entry.heated,
            entry.strenuous_activity, entry.notes, entry.version, entry.deleted_at,
            entry.visit, entry.day,
        ) == (
            patient, i["pain"], 6, "small", True, i["heated"],
            False, i["notes"], 1, None,
            None, None,
        )  # fmt: skip
        assert entry.felt_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
        assert str(entry.local_date) == "2026-03-02"
        assert before <= entry.recorded_at == entry.updated_at <= datetime.now(UTC)
    audit = AuditEvent.objects.order_by("id")
    assert [
        (a.action, a.resource, a.object_id, a.patient_id, a.actor_id, a.outcome) for a in audit
    ] == [("create", "entry", i["id"], patient.pk, patient.pk, "allowed") for i in items]
    assert len({a.request_id for a in audit}) == 1
    # Everything the one-row path writes (PostgreSQL inserts the batch's rows in one statement).
    assert {(a.actor_role, a.client_address) for a in audit} == {("patient", "127.0.0.1")}
    assert all(before <= a.at <= datetime.now(UTC) for a in audit)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_id_another_patient_commits_after_the_batch_read_it_is_not_found(
    patient: User, other_patient: User, client_for, monkeypatch: pytest.MonkeyPatch
):
    """The batch's COPY meets a primary key committed after its locked read (only another
    patient's writer can do that: this patient's are serialised): its savepoint rolls back,
    the INSERT ... ON CONFLICT path keeps the other rows, and the taken id is answered as
    any other patient's id is."""
    from diary import bulk_insert

    items = [item(pain=n % 11) for n in range(30)]
    stolen = uuid.UUID(items[7]["id"])
    real = bulk_insert.insert_new

    def other_patient_commits_first(entries):  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=commit_theirs)
        thread.start()
        thread.join()
        return real(entries)

    def commit_theirs() -> None:
        try:
            make_entry(other_patient, datetime(2026, 3, 1, 8, tzinfo=UTC), id=stolen, pain=9)
        finally:
            connection.close()

    monkeypatch.setattr(bulk_insert, "insert_new", other_patient_commits_first)

    with CaptureQueriesContext(connection) as queries:
        response = sync(client_for(patient), items)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(stolen), "status": "not_found"}
        if i["id"] == str(stolen)
        else {"id": i["id"], "status": "created", "version": 1}
        for i in items
    ]
    theirs = Entry.objects.get(pk=stolen)
    assert (theirs.patient, theirs.pain) == (other_patient, 9)
    assert Entry.objects.filter(patient=patient).count() == 29
    created = AuditEvent.objects.filter(action="create", actor=patient)
    assert sorted(a.object_id for a in created) == sorted(
        i["id"] for i in items if i is not items[7]
    )
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.actor, denied.patient, denied.object_id) == (patient, other_patient, str(stolen))
    # The COPY was tried, its savepoint rolled back, and the INSERT decided.
    statements = [q["sql"] for q in queries.captured_queries]
    copy = next(i for i, sql in enumerate(statements) if sql.startswith('COPY "diary_entry"'))
    assert statements[copy + 1].startswith("ROLLBACK TO SAVEPOINT")
    assert any("ON CONFLICT" in sql for sql in statements[copy + 1 :])


def test_replaying_the_same_batch_is_all_unchanged_and_writes_nothing(
    patient: User, patient_client: APIClient
):
    items = [item(pain=p) for p in range(5)]
    sync(patient_client, items)
    rows_before = list(Entry.objects.order_by("id").values())
    audit_before = AuditEvent.objects.count()

    replay = sync(patient_client, items)

    assert replay.status_code == 200
    assert replay.json() == {
        "results": [{"id": i["id"], "status": "unchanged", "version": 1} for i in items]
    }
    assert list(Entry.objects.order_by("id").values()) == rows_before
    assert AuditEvent.objects.count() == audit_before
    assert not EntryRevision.objects.exists()


def test_a_batch_replays_what_single_puts_created(patient: User, patient_client: APIClient):
    first = item()
    assert patient_client.put(f"/api/v1/entries/{first['id']}/", first, format="json").status_code
    response = sync(patient_client, [first, item()])
    assert [r["status"] for r in response.json()["results"]] == ["unchanged", "created"]
    assert Entry.objects.count() == 2


def test_invalid_entries_are_reported_by_field_and_do_not_stop_the_valid_ones(
    patient: User, patient_client: APIClient
):
    good_1, good_2 = item(), item(pain=0)
    repeated = dict(good_1, pain=9)
    no_id = item()
    del no_id["id"]
    items = [
        good_1,
        item(pain=11),
        item(felt_at="2026-03-02T09:30:00", mood="fine"),
        "not an object",
        no_id,
        item(entry_id="not-a-uuid"),
        repeated,
        item(patient=str(patient.pk)),
        good_2,
    ]

    response = sync(patient_client, items)

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": good_1["id"], "status": "created", "version": 1},
            {
                "id": items[1]["id"],
                "status": "invalid",
                "fields": {"pain": ["Ensure this value is less than or equal to 10."]},
            },
            {
                "id": items[2]["id"],
                "status": "invalid",
                "fields": {"mood": ["Unknown field."]},
            },
            {
                "id": None,
                "status": "invalid",
                "fields": {"non_field_errors": ["Expected a JSON object."]},
            },
            {"id": None, "status": "invalid", "fields": {"id": ["This field is required."]}},
            {"id": "not-a-uuid", "status": "invalid", "fields": {"id": ["Must be a valid UUID."]}},
            {
                "id": good_1["id"],
                "status": "invalid",
                "fields": {"id": ["Appears more than once in this batch."]},
            },
            {
                "id": items[7]["id"],
                "status": "invalid",
                "fields": {"patient": ["This field is read-only."]},
            },
            {"id": good_2["id"], "status": "created", "version": 1},
        ]
    }
    assert {str(pk) for pk in Entry.objects.values_list("id", flat=True)} == {
        good_1["id"],
        good_2["id"],
    }
    assert Entry.objects.get(pk=good_1["id"]).pain == 4  # the repeat changed nothing
    assert AuditEvent.objects.count() == 2


def test_naive_felt_at_is_named_like_the_single_put_names_it(patient_client: APIClient):
    response = sync(patient_client, [item(felt_at="2026-03-02T09:30:00")])
    single = patient_client.put(
        f"/api/v1/entries/{uuid.uuid4()}/", item(felt_at="2026-03-02T09:30:00"), format="json"
    )
    result = response.json()["results"][0]
    assert result["status"] == "invalid"
    assert result["fields"] == single.json()["fields"]
    assert list(result["fields"]) == ["felt_at"]


def test_another_patients_id_is_not_found_and_nothing_of_it_leaks(
    patient: User, other_patient: User, patient_client: APIClient
):
    theirs = make_entry(other_patient, datetime(2026, 3, 1, 8, tzinfo=UTC), notes="olive's secret")
    mine = item()

    response = sync(patient_client, [item(theirs.pk, pain=1), mine])

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": str(theirs.pk), "status": "not_found"},
            {"id": mine["id"], "status": "created", "version": 1},
        ]
    }
    assert "olive" not in response.content.decode()
    theirs.refresh_from_db()
    assert (theirs.patient, theirs.pain, theirs.notes, theirs.version) == (
        other_patient,
        4,
        "olive's secret",
        1,
    )
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.actor, denied.patient, denied.object_id, denied.action, denied.resource) == (
        patient,
        other_patient,
        str(theirs.pk),
        "update",
        "entry",
    )


def test_an_edit_of_another_patients_id_is_not_found_too(
    other_patient: User, patient_client: APIClient
):
    theirs = make_entry(other_patient, datetime(2026, 3, 1, 8, tzinfo=UTC))
    response = sync(patient_client, [item(theirs.pk, pain=1, version=1)])
    assert response.json() == {"results": [{"id": str(theirs.pk), "status": "not_found"}]}
    assert Entry.objects.get(pk=theirs.pk).pain == 4
    assert AuditEvent.objects.filter(outcome="denied", patient=other_patient).count() == 1


def test_a_version_for_an_unknown_id_is_not_found(patient: User, patient_client: APIClient):
    ghost = item(version=1)
    response = sync(patient_client, [ghost])
    assert response.json() == {"results": [{"id": ghost["id"], "status": "not_found"}]}
    assert not Entry.objects.exists()
    denied = AuditEvent.objects.get()
    assert (denied.outcome, denied.patient, denied.object_id) == ("denied", None, ghost["id"])


def test_edits_conflicts_stale_versions_and_deleted_ids(patient: User, patient_client: APIClient):
    base = [item(pain=p) for p in (1, 2, 3, 4)]
    sync(patient_client, base)
    deleted = base[3]
    assert patient_client.delete(f"/api/v1/entries/{deleted['id']}/").status_code == 204
    audit_before = AuditEvent.objects.count()

    response = sync(
        patient_client,
        [
            dict(base[0], pain=9, version=1),  # edit of the current version
            dict(base[1], pain=9),  # other content, no version
            dict(base[2], pain=9, version=7),  # stale version
            deleted,  # a late replay of a deleted entry
        ],
    )

    edited, conflict, stale = (Entry.objects.get(pk=b["id"]) for b in base[:3])
    assert response.json() == {
        "results": [
            {"id": base[0]["id"], "status": "updated", "version": 2},
            {
                "id": base[1]["id"],
                "status": "conflict",
                "version": 1,
                "entry": entry_json(conflict),
            },
            {
                "id": base[2]["id"],
                "status": "version_mismatch",
                "version": 1,
                "entry": entry_json(stale),
            },
            {"id": deleted["id"], "status": "deleted", "version": 2},
        ]
    }
    assert (edited.pain, edited.version) == (9, 2)
    assert (conflict.pain, stale.pain) == (2, 3)
    assert Entry.objects.get(pk=deleted["id"]).deleted_at is not None
    revision = EntryRevision.objects.get(action="update")
    assert (revision.entry_id, revision.version, revision.values["pain"]) == (
        edited.pk,
        1,
        1,
    )
    new_audit = AuditEvent.objects.order_by("id")[audit_before:]
    # The conflict and version_mismatch results carry the stored entry: reads (issue #14).
    assert [(a.action, a.object_id, a.outcome) for a in new_audit] == [
        ("update", base[0]["id"], "allowed"),
        ("read", base[1]["id"], "allowed"),
        ("read", base[2]["id"], "allowed"),
    ]


def test_entries_are_placed_against_visits_as_single_puts_are(patient: User):
    doctor = PhysicianFactory()
    day0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    first = make_visit(doctor, patient, day0)
    second = make_visit(doctor, patient, day0 + timedelta(days=10))
    felt = [day0 - timedelta(hours=1), day0, day0 + timedelta(days=3), day0 + timedelta(days=12)]
    client = APIClient()
    client.force_authenticate(patient)

    response = sync(client, [item(felt_at=f.isoformat()) for f in felt])

    assert [r["status"] for r in response.json()["results"]] == ["created"] * 4
    placed = Entry.objects.order_by("felt_at")
    assert [(e.visit_id, e.day) for e in placed] == [
        (None, None),
        (first.pk, 0),
        (first.pk, 3),
        (second.pk, 2),
    ]
    for entry in placed:
        expected = entry_placement(patient=patient, felt_at=entry.felt_at)
        assert (entry.local_date, entry.visit_id, entry.day) == (
            expected.local_date,
            expected.visit_id,
            expected.day,
        )


@pytest.mark.parametrize(
    "body",
    [
        {"entries": [item() for _ in range(501)]},
        {"entries": {"id": str(uuid.uuid4())}},
        {"entries": None},
        {},
    ],
    ids=["over-500", "not-a-list", "null", "missing"],
)
def test_a_malformed_batch_is_400_naming_entries_and_writes_nothing(
    patient: User, patient_client: APIClient, body: dict
):
    response = patient_client.post(SYNC, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["entries"]
    assert not Entry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_unknown_top_level_field_is_400(patient_client: APIClient):
    response = patient_client.post(SYNC, {"entries": [], "since": "now"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["since"]


def test_an_empty_batch_is_an_empty_result(patient_client: APIClient):
    response = sync(patient_client, [])
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_physicians_cannot_sync(physician: User, physician_client: APIClient):
    response = sync(physician_client, [item()])
    assert response.status_code == 403
    assert not Entry.objects.exists()
    denied = AuditEvent.objects.get()
    assert (denied.outcome, denied.actor, denied.action) == ("denied", physician, "create")


def test_anonymous_cannot_sync(anon_client: APIClient):
    assert sync(anon_client, [item()]).status_code == 401
    assert not Entry.objects.exists()


@pytest.mark.parametrize("size", [5, 200])
def test_query_count_does_not_grow_with_the_batch(
    patient: User, patient_client: APIClient, django_assert_max_num_queries, size: int
):
    doctor = PhysicianFactory()
    make_visit(doctor, patient, datetime(2026, 2, 20, tzinfo=UTC))
    items = [item(pain=i % 11) for i in range(size)]
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = sync(patient_client, items)
    assert [r["status"] for r in response.json()["results"]] == ["created"] * size
    with django_assert_max_num_queries(4):  # a replay: patient lock, locked read, savepoint
        response = sync(patient_client, items)
    assert [r["status"] for r in response.json()["results"]] == ["unchanged"] * size


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_batches_leave_one_row_per_id(patient: User, client_for):
    items = [item(pain=i % 11) for i in range(50)]

    def work(_i: int) -> list[str]:
        response = sync(client_for(patient), items)
        assert response.status_code == 200, response.content
        return [r["status"] for r in response.json()["results"]]

    outcomes = run_concurrently(6, work)

    assert Entry.objects.count() == 50
    # Each id is created by exactly one request and replayed by all the others.
    for index in range(50):
        statuses = sorted(o[index] for o in outcomes)
        assert statuses == ["created"] + ["unchanged"] * 5
    assert AuditEvent.objects.filter(action="create").count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_racing_single_puts_of_the_same_ids_never_duplicates(patient: User, client_for):
    items = [item(pain=i % 11) for i in range(20)]

    def work(i: int) -> list[str]:
        client = client_for(patient)
        if i == 0:
            return [r["status"] for r in sync(client, items).json()["results"]]
        statuses = []
        for one in items[i - 1 :: 4]:
            response = client.put(f"/api/v1/entries/{one['id']}/", one, format="json")
            statuses.append({201: "created", 200: "unchanged"}[response.status_code])
        return statuses

    outcomes = run_concurrently(5, work)

    assert Entry.objects.count() == 20
    assert sum(o.count("created") for o in outcomes) == 20
    assert AuditEvent.objects.filter(action="create").count() == 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_batches_on_sqlite_too(patient: User, client_for):
    items = [item(pain=i % 11) for i in range(10)]
    outcomes = run_concurrently(
        3, lambda _i: [r["status"] for r in sync(client_for(patient), items).json()["results"]]
    )
    assert Entry.objects.count() == 10
    assert sorted(o.count("created") for o in outcomes) == [0, 0, 10]
