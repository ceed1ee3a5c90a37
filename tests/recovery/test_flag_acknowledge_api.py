"""Acknowledging a flag (issue #17): POST /api/v1/visits/{id}/flags/{code}/acknowledge/.

States by hand: the ``visit`` fixture (1 March 2026, baseline 8) has large
bruising on day 1 and one logged day without it after (day 3): the large-bruise flag is
open. A second logged day without (day 4) resolves it on day 4; large bruising again on
day 6 raises a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from recovery.models import FlagAcknowledgement
from recovery.reports import attention_key
from tests.factories import PatientFactory, link, local_morning, make_entry, make_visit

pytestmark = pytest.mark.django_db

BRUISE_MESSAGE = (
    "Large bruising (over about 4 cm²) was reported on day 1. Consider checking the injection site."
)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, 1 + day, hour, tzinfo=UTC)


@pytest.fixture
def visit(physician: User, patient: User) -> Any:
    link(physician, patient)
    visit = make_visit(physician, patient, at(0, 8), baseline_pain=8)
    make_entry(patient, at(0, 12), pain=6, soreness=2)
    make_entry(patient, at(1), pain=8, soreness=6, bruising="large")
    make_entry(patient, at(3), pain=4, soreness=2)
    return visit


def url(visit: Any, code: str = "large_bruise") -> str:
    return f"/api/v1/visits/{visit.pk}/flags/{code}/acknowledge/"


def bruise_flags(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [flag for flag in body["flags"] if flag["code"] == "large_bruise"]


def test_physician_acknowledges_an_open_flag_and_every_view_shows_it_at_once(
    visit: Any, physician: User, patient: User, client_for
):
    client = client_for(physician)
    recovery_url = f"/api/v1/visits/{visit.pk}/recovery/"
    # Read first, so that the pure answer is kept: the acknowledgement must show regardless.
    before = client.get(recovery_url).json()
    assert [(f["state"], f["acknowledged"]) for f in bruise_flags(before)] == [("open", None)]

    response = client.post(url(visit), {"note": "Called: bruise fading."}, format="json")

    assert response.status_code == 201, response.content
    row = FlagAcknowledgement.objects.get()
    assert (row.visit_id, row.code, row.raised_day, row.physician_id, row.note) == (
        visit.pk,
        "large_bruise",
        1,
        physician.pk,
        "Called: bruise fading.",
    )
    at_text = response.json()["acknowledged"]["at"]
    assert datetime.fromisoformat(at_text) == row.acknowledged_at
    expected = {
        "code": "large_bruise",
        "message": BRUISE_MESSAGE,
        "day": 1,
        "state": "acknowledged",
        "raised_day": 1,
        "raised_on": "2026-03-02",
        "resolved_day": None,
        "resolved_on": None,
        "resolution": None,
        "acknowledged": {"by": "Dr. Hope", "at": at_text, "note": "Called: bruise fading."},
    }
    assert response.json() == expected
    written = AuditEvent.objects.filter(resource="flag")
    assert list(written.values_list("action", "actor", "patient", "object_id", "outcome")) == [
        ("create", physician.pk, patient.pk, str(visit.pk), "allowed")
    ]

    # The visit's recovery, for the physician and for the patient.
    for who in (physician, patient):
        body = client_for(who).get(recovery_url).json()
        assert bruise_flags(body) == [expected]
        others = [flag for flag in body["flags"] if flag["code"] != "large_bruise"]
        assert [(f["code"], f["state"]) for f in others] == [("not_logging", "open")]
    # The course.
    course = client.get(f"/api/v1/patients/{patient.pk}/course/").json()
    assert bruise_flags(course["visits"][0]) == [expected]
    # The patient list.
    (listed,) = client.get("/api/v1/patients/").json()["results"]
    assert bruise_flags(listed) == [expected]
    # The printed report.
    link_response = client.post(f"/api/v1/visits/{visit.pk}/report-link/")
    page = Client().get(link_response.json()["url"]).content.decode()
    assert "Day 1 (2026-03-02) · Acknowledged:" in page
    assert "Acknowledged by Dr. Hope" in page
    assert "Called: bruise fading." in page


def test_note_is_optional_and_may_be_blank(visit: Any, physician: User, client_for):
    response = client_for(physician).post(url(visit), {}, format="json")

    assert response.status_code == 201
    assert response.json()["acknowledged"]["note"] == ""
    assert FlagAcknowledgement.objects.get().note == ""


def test_acknowledging_twice_is_409(visit: Any, physician: User, client_for):
    client = client_for(physician)
    assert client.post(url(visit), {"note": ""}, format="json").status_code == 201

    again = client.post(url(visit), {"note": "again"}, format="json")

    assert again.status_code == 409
    assert again.json() == {
        "code": "no_open_flag",
        "detail": "This flag was acknowledged already.",
    }
    assert FlagAcknowledgement.objects.count() == 1


def test_a_code_that_was_never_raised_is_409(visit: Any, physician: User, client_for):
    response = client_for(physician).post(url(visit, "soreness_severe"), {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "no_open_flag",
        "detail": "This visit has no open flag of this kind: nothing to acknowledge.",
    }
    assert not FlagAcknowledgement.objects.exists()


def test_an_unknown_code_is_400_naming_code(visit: Any, physician: User, client_for):
    response = client_for(physician).post(url(visit, "bruise"), {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["code"]
    assert not FlagAcknowledgement.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"note": "x" * 501}, "note"), ({"note": 5}, "note"), ({"state": "open"}, "state")],
)
def test_a_bad_body_is_400_naming_the_field(
    visit: Any, physician: User, client_for, payload: dict[str, Any], field: str
):
    response = client_for(physician).post(url(visit), payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not FlagAcknowledgement.objects.exists()


def test_a_note_of_500_characters_is_kept(visit: Any, physician: User, client_for):
    response = client_for(physician).post(url(visit), {"note": "y" * 500}, format="json")

    assert response.status_code == 201
    assert FlagAcknowledgement.objects.get().note == "y" * 500


def test_patients_may_not_acknowledge(visit: Any, patient: User, client_for):
    response = client_for(patient).post(url(visit), {}, format="json")

    assert response.status_code == 403
    assert not FlagAcknowledgement.objects.exists()
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.actor_id, denied.resource, denied.action) == (patient.pk, "flag", "create")


def test_another_physicians_patients_visit_is_404_and_audited(
    visit: Any, other_physician: User, patient: User, client_for
):
    response = client_for(other_physician).post(url(visit), {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert not FlagAcknowledgement.objects.exists()
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.actor_id, denied.patient_id, denied.resource, denied.action) == (
        other_physician.pk,
        patient.pk,
        "flag",
        "create",
    )


def test_raised_acknowledged_resolved_and_raised_again(
    visit: Any, physician: User, patient: User, client_for
):
    client = client_for(physician)
    recovery_url = f"/api/v1/visits/{visit.pk}/recovery/"
    assert client.post(url(visit), {"note": "Seen."}, format="json").status_code == 201

    # Day 4 without large bruising, after day 3 without: resolved on day 4 (5 March).
    make_entry(patient, at(4), pain=4, soreness=2)
    (resolved,) = bruise_flags(client.get(recovery_url).json())
    assert resolved["state"] == "resolved"
    assert (resolved["resolved_day"], resolved["resolved_on"], resolved["resolution"]) == (
        4,
        "2026-03-05",
        "Resolved: no large bruising on days 3 and 4.",
    )
    assert resolved["acknowledged"]["note"] == "Seen."  # the history keeps who saw it
    gone = client.post(url(visit), {}, format="json")
    assert gone.status_code == 409
    assert gone.json()["detail"] == (
        "This visit has no open flag of this kind: nothing to acknowledge."
    )

    # Large bruising again on day 6: a new episode, open again.
    make_entry(patient, at(6), pain=4, soreness=2, bruising="large")
    first, second = bruise_flags(client.get(recovery_url).json())
    assert (first["raised_day"], first["state"]) == (1, "resolved")
    assert (second["raised_day"], second["raised_on"], second["state"]) == (6, "2026-03-07", "open")
    assert second["acknowledged"] is None

    again = client.post(url(visit), {"note": "Second one."}, format="json")
    assert again.status_code == 201
    assert (again.json()["raised_day"], again.json()["state"]) == (6, "acknowledged")
    assert list(
        FlagAcknowledgement.objects.order_by("raised_day").values_list("raised_day", "note")
    ) == [(1, "Seen."), (6, "Second one.")]


def test_only_open_flags_count_in_the_attention_order(physician: User, client_for):
    # Three patients with 75 % relief every day 0-9 (baseline 8, pain 2): Ada and Zed also
    # reported large bruising on day 9 (open: nothing logged after it), Cy did not.
    ada, zed, cy = (PatientFactory(display_name=name) for name in ("Ada Bruised", "Zed", "Cy"))
    visit_at = local_morning(10)
    visits = {}
    for p in (ada, zed, cy):
        link(physician, p)
        visits[p.pk] = make_visit(physician, p, visit_at, baseline_pain=8)
        for day in range(10):
            bruise = "large" if day == 9 and p is not cy else "none"
            make_entry(p, visit_at + timedelta(days=day, hours=1), pain=2, soreness=1,
                       bruising=bruise)  # fmt: skip
    client = client_for(physician)

    def order() -> list[str]:
        return [r["display_name"] for r in client.get("/api/v1/patients/").json()["results"]]

    assert order() == ["Ada Bruised", "Zed", "Cy"]  # open flags first, then by name

    response = client.post(url(visits[zed.pk]), {"note": "Fine on the phone."}, format="json")
    assert response.status_code == 201

    # Zed's only flag is acknowledged: Zed sorts as a patient without flags (after Cy).
    assert order() == ["Ada Bruised", "Cy", "Zed"]


def test_attention_key_weighs_open_flags_only() -> None:
    def row(states: list[str]) -> dict[str, Any]:
        flags = [{"code": "soreness_severe", "state": state} for state in states]
        return {"id": "1", "display_name": "A", "latest": None, "flags": flags}

    assert attention_key(row(["acknowledged", "resolved"])) == attention_key(row([]))
    assert attention_key(row(["open"]))[0] == -6
