from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import PatientFactory, link, local_morning, make_entry, make_visit

pytestmark = pytest.mark.django_db


def test_physician_lists_only_their_patients_with_activity(
    physician: User, patient: User, other_patient: User, other_physician: User, client_for
):
    link(physician, patient)
    link(other_physician, other_patient)
    make_visit(physician, patient, datetime(2026, 3, 1, 10, tzinfo=UTC))
    latest = make_visit(physician, patient, datetime(2026, 3, 9, 10, tzinfo=UTC))
    make_entry(patient, datetime(2026, 3, 2, 8, tzinfo=UTC))
    make_entry(patient, datetime(2026, 3, 10, 8, tzinfo=UTC))
    today_berlin = timezone.now().astimezone(ZoneInfo("Europe/Berlin")).date()

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
                "last_reminder": None,
                # No recorded baseline: the mean pain of 2-8 March (one entry, 4) stands in.
                # Day 1 pain 4 is 0 % relief; nothing logged on days 3-14.
                "latest": {
                    "visit_id": str(latest.id),
                    "visit_date": "2026-03-09",
                    "days_since_visit": (today_berlin - date(2026, 3, 9)).days,
                    "latest_day": 1,
                    "latest_pain": 4.0,
                    "latest_relief": 0.0,
                    "responder": False,
                    "substantial_responder": False,
                },
                "flags": [
                    {
                        "code": "not_logging",
                        "message": "No entries for 13 days in a row (days 2 to 14) in the "
                        "first two weeks after the injection. Consider reminding the patient "
                        "to log how they feel.",
                        "day": 4,
                        "state": "open",
                        "raised_day": 4,
                        "raised_on": "2026-03-13",
                        "resolved_day": None,
                        "resolved_on": None,
                        "resolution": None,
                        "acknowledged": None,
                    },
                    {
                        "code": "no_response",
                        "message": "Nothing was logged on days 3 to 7, so no relief of 30 % "
                        "or more was recorded by day 7. Consider asking the patient how the "
                        "injection worked.",
                        "day": 7,
                        "state": "open",
                        "raised_day": 7,
                        "raised_on": "2026-03-16",
                        "resolved_day": None,
                        "resolved_on": None,
                        "resolution": None,
                        "acknowledged": None,
                    },
                ],
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
    # at most 8 (summaries computed; one of them the flags' acknowledgements), and the same
    # number for 2 patients as for 22
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/v1/patients/").json()["count"] == 2
    add_patients(20)
    with django_assert_max_num_queries(8) as many:
        assert client.get("/api/v1/patients/").json()["count"] == 22
    assert len(many.captured_queries) == len(few.captured_queries)


def test_patients_needing_attention_come_first_and_search_by_name(physician: User, client_for):
    calm = PatientFactory(display_name="Ada Calm")
    worried = PatientFactory(display_name="Zed Worried")
    fresh = PatientFactory(display_name="Mia Fresh")
    for p in (calm, worried, fresh):
        link(physician, p)
    visit_at = local_morning(10)
    for p in (calm, worried):
        make_visit(physician, p, visit_at, baseline_pain=8)
    for day in range(0, 10):
        at = visit_at + timedelta(days=day, hours=1)
        make_entry(calm, at, pain=2, soreness=1)
        make_entry(worried, at, pain=8, soreness=8 if day >= 3 else 4)
    client = client_for(physician)

    by_attention = client.get("/api/v1/patients/").json()["results"]
    by_name = client.get("/api/v1/patients/?ordering=name").json()["results"]
    searched = client.get("/api/v1/patients/?search=calm").json()["results"]

    assert [r["display_name"] for r in by_attention] == ["Zed Worried", "Ada Calm", "Mia Fresh"]
    assert {f["code"] for f in by_attention[0]["flags"]} >= {"soreness_severe", "no_response"}
    assert by_attention[1]["flags"] == []
    assert by_attention[1]["latest"]["latest_relief"] == 75.0
    assert by_attention[2]["latest"] is None
    assert [r["display_name"] for r in by_name] == ["Ada Calm", "Mia Fresh", "Zed Worried"]
    assert [r["display_name"] for r in searched] == ["Ada Calm"]
    assert client.get("/api/v1/patients/?ordering=worst").status_code == 400


def test_list_summaries_are_recomputed_exactly_when_their_inputs_change(
    physician: User, client_for, monkeypatch: pytest.MonkeyPatch
):
    """Kept summaries are keyed by what they are computed from: a repeat asks the analytics
    nothing, and a new, edited or deleted check-in or an edited visit is seen on the very
    next request."""
    from recovery import analytics, reports

    runs: list[str] = []
    real = analytics.visit_report
    monkeypatch.setattr(
        analytics, "visit_report", lambda latest, *a: runs.append(latest["patient_id"]) or real(latest, *a)
    )  # fmt: skip
    patients = [PatientFactory(), PatientFactory()]
    visit_at = local_morning(3)
    visits = []
    for p in patients:
        link(physician, p)
        visits.append(make_visit(physician, p, visit_at, baseline_pain=8))
        make_entry(p, visit_at + timedelta(days=1), pain=6)
    client = client_for(physician)

    def relief() -> dict[str, float]:
        rows = client.get("/api/v1/patients/").json()["results"]
        return {r["id"]: r["latest"]["latest_relief"] for r in rows}

    first = relief()
    assert sorted(runs) == sorted(str(p.pk) for p in patients)
    runs.clear()
    assert relief() == first and runs == []  # nothing changed: nothing recomputed
    assert reports._KEPT

    make_entry(patients[0], visit_at + timedelta(days=2), pain=2)
    after_entry = relief()
    assert runs == [str(patients[0].pk)]
    assert after_entry[str(patients[0].pk)] == 75.0 != first[str(patients[0].pk)]
    runs.clear()

    visits[1].baseline_pain = 6
    visits[1].save()
    assert relief()[str(patients[1].pk)] == 0.0
    assert runs == [str(patients[1].pk)]
    runs.clear()

    from diary.actions.delete import entry_delete
    from diary.actions.save import entry_save

    latest = patients[0].entries.order_by("-felt_at").first()
    data = {name: getattr(latest, name) for name in ("felt_at", "soreness", "bruising", "iced",
            "heated", "strenuous_activity", "notes")} | {"pain": 4}  # fmt: skip
    entry_save(patient=patients[0], entry_id=latest.id, data=data, expected_version=1)
    assert relief()[str(patients[0].pk)] == 50.0
    assert runs == [str(patients[0].pk)]
    runs.clear()
    entry_delete(patient=patients[0], entry_id=latest.id, expected_version=2)
    assert relief()[str(patients[0].pk)] == first[str(patients[0].pk)]
    assert runs == [str(patients[0].pk)]
