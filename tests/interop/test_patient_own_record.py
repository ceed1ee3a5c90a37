"""A patient takes their own record with them: the CSV, the FHIR bundle and a visit's
printable report, from the app. Own record only (another patient's id is a 404 that says
nothing), each audited as the physician's export is, and each shown in the patient's own
"who saw my data" list."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from interop.models import ReportLink
from recovery.selectors import patient_today
from tests.interop.conftest import Record

pytestmark = pytest.mark.django_db

CSV = "/api/v1/patients/{}/entries.csv"
FHIR = "/api/v1/patients/{}/fhir/"


def _body(response: Any) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _bundle(response: Any) -> dict[str, Any]:
    bundle = json.loads(_body(response))
    # The bundle's own id and when it was made are all that differ between two exports of
    # one record.
    bundle.pop("id")
    bundle.pop("timestamp")
    bundle.pop("meta")
    return bundle


def _my_list(client: Any) -> list[tuple[Any, ...]]:
    rows = client.get("/api/v1/audit/").json()["results"]
    return [(r["actor_kind"], r["action"], r["resource_kind"], r["outcome"]) for r in rows]


def test_a_patient_downloads_the_same_check_ins_file_as_their_physician(
    record: Record, client_for
) -> None:
    mine = client_for(record.patient).get(CSV.format(record.patient.pk))
    physicians = client_for(record.physician).get(CSV.format(record.patient.pk))

    assert mine["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert mine["Content-Disposition"] == (
        f'attachment; filename="relief-checkins-{patient_today(record.patient)}.csv"'
    )
    body = _body(mine)
    assert body == _body(physicians)
    # The check-ins that are not deleted, oldest first; nothing of the other patient's.
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(e.pk) for e in record.entries]
    assert b"olive" not in body
    assert [
        (r.actor_id, r.action, r.resource, r.patient_id, r.object_id, r.outcome)
        for r in AuditEvent.objects.filter(resource="export_csv").order_by("id")
    ] == [
        (record.patient.pk, "read", "export_csv", record.patient.pk, str(record.patient.pk), "allowed"),
        (record.physician.pk, "read", "export_csv", record.patient.pk, str(record.patient.pk), "allowed"),
    ]  # fmt: skip


def test_a_patient_downloads_the_same_fhir_record_as_their_physician(
    record: Record, client_for
) -> None:
    mine = client_for(record.patient).get(FHIR.format(record.patient.pk))
    assert mine["Content-Type"] == "application/fhir+json; fhirVersion=4.0; charset=utf-8"
    assert mine["Content-Disposition"] == (
        f'attachment; filename="relief-record-{patient_today(record.patient)}.fhir.json"'
    )

    bundle = _bundle(mine)

    assert bundle == _bundle(client_for(record.physician).get(FHIR.format(record.patient.pk)))
    assert bundle["type"] == "collection"
    patients = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert [p["id"] for p in patients] == [str(record.patient.pk)]
    row = AuditEvent.objects.filter(resource="export_fhir").order_by("id").first()
    assert row is not None
    assert (row.actor, row.action, row.patient, row.outcome) == (
        record.patient,
        "read",
        record.patient,
        "allowed",
    )


@pytest.mark.parametrize("url", [CSV, FHIR])
def test_another_patients_id_is_a_404_that_says_nothing(
    record: Record, other_patient: User, client_for, url: str
) -> None:
    client = client_for(record.patient)

    response = client.get(url.format(other_patient.pk))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    row = AuditEvent.objects.get(outcome="denied")
    assert (row.actor, row.action, row.patient, row.object_id) == (
        record.patient,
        "read",
        other_patient,
        str(other_patient.pk),
    )
    # The refusal is in the other patient's list, anonymously, and not in the prober's.
    kind = "checkins_file" if url == CSV else "record_file"
    assert _my_list(client_for(other_patient))[0] == ("another_patient", "read", kind, "denied")
    assert all(outcome == "allowed" for *_, outcome in _my_list(client))


def test_a_patient_prints_their_own_visits_report(record: Record, client_for) -> None:
    client = client_for(record.patient)
    link = client.post(f"/api/v1/visits/{record.second.pk}/report-link/")
    assert link.status_code == 201

    page = Client().get(link.json()["url"])

    assert page.status_code == 200
    html = page.content.decode()
    assert "Pat Patient" in html
    assert "olive" not in html
    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.action, row.patient, row.object_id, row.outcome) == (
        record.patient,
        "read",
        record.patient,
        str(record.second.pk),
        "allowed",
    )
    assert _my_list(client)[0] == ("you", "read", "visit_report", "allowed")


def test_no_report_of_another_patients_visit(
    record: Record, other_patient: User, other_physician: User, client_for
) -> None:
    from tests.factories import make_visit

    theirs = make_visit(other_physician, other_patient, record.first.performed_at)

    response = client_for(record.patient).post(f"/api/v1/visits/{theirs.pk}/report-link/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert not ReportLink.objects.exists()
    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.outcome, row.patient) == (record.patient, "denied", other_patient)
