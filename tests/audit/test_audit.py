from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.models import AuditEvent, AuditImmutableError
from tests.factories import link, make_entry

pytestmark = pytest.mark.django_db


def test_reads_write_audit_rows_with_request_details(physician, patient, client_for):
    link(physician, patient)
    entry = make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    response = client_for(physician).get(
        f"/api/v1/entries/{entry.id}/",
        HTTP_X_REQUEST_ID="5f0c7d0e-8a55-4a55-9d1e-1b2c3d4e5f60",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    # The server's own id, not the caller's: the caller's is kept beside it.
    server_id = response["X-Request-ID"]
    assert server_id != "5f0c7d0e-8a55-4a55-9d1e-1b2c3d4e5f60"
    row = AuditEvent.objects.get(action="read")
    assert (row.actor, row.actor_role, row.resource, row.object_id, row.patient) == (
        physician,
        "physician",
        "entry",
        str(entry.id),
        patient,
    )
    assert str(row.request_id) == server_id
    assert row.client_request_id == "5f0c7d0e-8a55-4a55-9d1e-1b2c3d4e5f60"
    assert row.client_address == "203.0.113.9"
    assert row.outcome == "allowed"


def test_patient_sees_who_accessed_their_data(physician, patient, other_patient, client_for):
    link(physician, patient)
    entry = make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    client_for(physician).get(f"/api/v1/entries/{entry.id}/")
    client_for(other_patient).get(f"/api/v1/entries/{entry.id}/")

    body = client_for(patient).get("/api/v1/audit/").json()

    seen = [(r["actor"]["display_name"], r["action"], r["outcome"]) for r in body["results"]]
    assert seen == [
        # Another patient's attempt is shown, but not who they are.
        ("Another patient", "read", "denied"),
        ("Dr. Hope", "read", "allowed"),
        ("Pat Patient", "create", "allowed"),
    ]
    assert set(body["results"][0]) == {
        "id",
        "at",
        "actor",
        "actor_role",
        "action",
        "resource",
        "object_id",
        "patient",
        "outcome",
        "actor_kind",
        "resource_kind",
    }


def test_physician_sees_their_own_actions(physician, patient, client_for):
    link(physician, patient)
    client_for(physician).get("/api/v1/patients/")
    rows = client_for(physician).get("/api/v1/audit/").json()["results"]
    assert [(r["action"], r["resource"]) for r in rows] == [("list", "patient")]


def test_audit_rows_cannot_be_changed_or_deleted_through_the_application(
    physician: User, patient: User, client_for
):
    link(physician, patient)
    client_for(physician).get("/api/v1/patients/")
    row = AuditEvent.objects.get()
    row.outcome = "denied"
    with pytest.raises(AuditImmutableError):
        row.save()
    with pytest.raises(AuditImmutableError):
        row.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().update(outcome="denied")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().outcome == "allowed"


@pytest.mark.postgres
def test_postgres_refuses_audit_updates_even_in_raw_sql(physician, patient, client_for):
    link(physician, patient)
    client_for(physician).get("/api/v1/patients/")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET outcome = 'denied'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_a_refusal_in_my_own_audit_does_not_reveal_whose_record_it_was(
    physician, other_physician, patient, client_for
):
    link(physician, patient)
    entry = make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert client_for(other_physician).get(f"/api/v1/entries/{entry.id}/").status_code == 404
    assert client_for(other_physician).get(f"/api/v1/patients/{patient.pk}/").status_code == 404

    rows = client_for(other_physician).get("/api/v1/audit/").json()["results"]

    assert [(r["outcome"], r["patient"]) for r in rows] == [("denied", None), ("denied", None)]
    assert all(r["patient"] is None for r in rows)
    # The patient, though, sees that someone was refused their data.
    mine = client_for(patient).get("/api/v1/audit/").json()["results"]
    assert [(r["actor"]["display_name"], r["outcome"], r["patient"]) for r in mine[:2]] == [
        ("Dr. Other", "denied", str(patient.pk)),
        ("Dr. Other", "denied", str(patient.pk)),
    ]


def test_a_list_of_several_patients_writes_one_complete_row_each(
    physician, patient, other_patient, client_for
):
    """Several patients' rows go in as one INSERT on PostgreSQL; each must hold everything
    the one-row path writes."""
    link(physician, patient)
    link(physician, other_patient)
    make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    make_entry(other_patient, datetime(2026, 3, 3, 9, tzinfo=UTC))
    before = datetime.now(UTC)
    response = client_for(physician).get(
        "/api/v1/entries/",
        HTTP_X_REQUEST_ID="6f0c7d0e-8a55-4a55-9d1e-1b2c3d4e5f61",
        REMOTE_ADDR="203.0.113.10",
    )
    assert response.status_code == 200
    rows = list(AuditEvent.objects.filter(action="list").order_by("patient__email"))
    assert [row.patient for row in rows] == sorted([patient, other_patient], key=lambda u: u.email)
    for row in rows:
        assert (row.actor, row.actor_role, row.resource, row.object_id, row.outcome) == (
            physician, "physician", "entry", "", "allowed"
        )  # fmt: skip
        assert str(row.request_id) == response["X-Request-ID"]
        assert row.client_request_id == "6f0c7d0e-8a55-4a55-9d1e-1b2c3d4e5f61"
        assert row.client_address == "203.0.113.10"
        assert before <= row.at <= datetime.now(UTC)


@pytest.mark.parametrize("count", [1, 25])  # one INSERT, or a batch's COPY on PostgreSQL
@pytest.mark.parametrize(
    ("forwarded", "recorded"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8::7", "2001:db8::7"),
        ("not-an-address", None),
        ("<script>", None),
        ("fe80::1%eth0", None),  # parses as IPv6 with a zone, which inet refuses
    ],
)
def test_an_address_from_x_forwarded_for_is_recorded_only_when_it_is_one(
    patient, client_for, settings, count, forwarded, recorded
):
    """Behind a proxy (NUM_PROXIES=1) the client's address comes from a header anyone can
    fill; the check-ins are saved either way, and the audit rows never hold garbage."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    items = [
        {"id": str(uuid.uuid4()), "felt_at": "2026-03-02T09:30:00+01:00", "pain": 3, "soreness": 2}
        for _ in range(count)
    ]
    response = client_for(patient).post(
        "/api/v1/entries/sync/", {"entries": items}, format="json",
        HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2",
    )  # fmt: skip
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["created"] * count
    rows = AuditEvent.objects.filter(action="create")
    assert [(r.object_id, r.client_address) for r in rows.order_by("id")] == [
        (i["id"], recorded) for i in items
    ]


@pytest.mark.parametrize("count", [1, 25])  # one INSERT, or a batch's COPY on PostgreSQL
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("mobile-7f3a:outbox#12", "mobile-7f3a:outbox#12"),
        ("x" * 64, "x" * 64),
        ("x" * 65, ""),  # too long: dropped, not cut
        ("id\twith-a-tab", ""),
        ("caf\u00e9", ""),  # not ASCII
        ("'; DROP TABLE audit_auditevent; --", "'; DROP TABLE audit_auditevent; --"),
    ],
)
def test_a_callers_request_id_is_kept_beside_the_servers_own_when_it_is_printable_ascii(
    patient, client_for, count, sent, stored
):
    """X-Request-ID is the caller's to fill: it never becomes the audit row's request id
    (another request's id could be claimed), and it is stored only in a checked form."""
    items = [
        {"id": str(uuid.uuid4()), "felt_at": "2026-03-02T09:30:00+01:00", "pain": 3, "soreness": 2}
        for _ in range(count)
    ]
    header = sent.encode().decode("latin-1")  # as a WSGI server hands a header over
    response = client_for(patient).post(
        "/api/v1/entries/sync/", {"entries": items}, format="json", HTTP_X_REQUEST_ID=header
    )
    assert response.status_code == 200
    server_id = uuid.UUID(response["X-Request-ID"])
    rows = AuditEvent.objects.filter(action="create")
    assert [(r.object_id, r.request_id, r.client_request_id) for r in rows.order_by("id")] == [
        (i["id"], server_id, stored) for i in items
    ]
