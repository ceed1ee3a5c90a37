from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import PatientFactory, link, make_entry, make_visit

pytestmark = pytest.mark.django_db


def test_physician_lists_only_their_patients_with_activity(
    physician: User, patient: User, other_patient: User, other_physician: User, client_for
):
    link(physician, patient)
    link(other_physician, other_patient)
    make_visit(physician, patient, datetime(2026, 3, 1, 10, tzinfo=UTC))
    make_visit(physician, patient, datetime(2026, 3, 9, 10, tzinfo=UTC))
    make_entry(patient, datetime(2026, 3, 2, 8, tzinfo=UTC))
    make_entry(patient, datetime(2026, 3, 10, 8, tzinfo=UTC))

    response = client_for(physician).get("/api/v1/patients/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(patient.pk),
                "display_name": "Pat Patient",
                "email": "pat@example.org",
                "timezone": "Europe/Berlin",
                "last_checkin_at": "2026-03-10T08:00:00Z",
                "visit_count": 2,
            }
        ],
    }
    rows = AuditEvent.objects.filter(action="list", resource="patient")
    assert list(rows.values_list("patient", "actor", "outcome")) == [
        (patient.pk, physician.pk, "allowed")
    ]


def test_patient_detail_for_physician_and_for_the_patient(
    physician: User, patient: User, client_for
):
    link(physician, patient)
    for user in (physician, patient):
        response = client_for(user).get(f"/api/v1/patients/{patient.pk}/")
        assert response.status_code == 200
        assert response.json()["visit_count"] == 0
        assert response.json()["last_checkin_at"] is None


def test_other_physicians_patient_is_404_and_the_refusal_is_audited(
    physician: User, other_patient: User, client_for
):
    response = client_for(physician).get(f"/api/v1/patients/{other_patient.pk}/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    denied = AuditEvent.objects.get()
    assert (denied.outcome, denied.actor, denied.patient) == ("denied", physician, other_patient)


def test_patient_list_is_for_physicians(patient_client: APIClient):
    assert patient_client.get("/api/v1/patients/").status_code == 403


def test_patient_list_uses_a_constant_number_of_queries(
    physician: User, client_for, django_assert_max_num_queries
):
    def add_patients(n: int) -> None:
        for _ in range(n):
            someone = PatientFactory()
            link(physician, someone)
            make_visit(physician, someone, datetime(2026, 3, 1, 10, tzinfo=UTC))
            make_entry(someone, datetime(2026, 3, 2, 8, tzinfo=UTC))

    client = client_for(physician)
    add_patients(2)
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/v1/patients/").json()["count"] == 2
    add_patients(20)
    with django_assert_max_num_queries(6) as many:
        assert client.get("/api/v1/patients/").json()["count"] == 22
    assert len(many.captured_queries) == len(few.captured_queries)
