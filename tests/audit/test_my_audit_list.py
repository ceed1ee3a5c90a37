"""GET /api/v1/audit/ as a patient sees it: every access to their data (and only theirs),
with ``actor_kind`` and ``resource_kind`` to say it in words, no internal id that tells them
anything about other patients, paged through a list that keeps growing at its top."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from audit.kinds import RESOURCE_KINDS
from audit.models import AuditEvent
from tests.factories import link, make_entry, make_visit

pytestmark = pytest.mark.django_db

BACKEND = Path(__file__).resolve().parents[2] / "backend"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _at(row: AuditEvent) -> str:
    return row.at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rows(patient: User) -> list[AuditEvent]:
    """The patient's rows, newest first, as the list orders them."""
    return list(AuditEvent.objects.filter(patient=patient).order_by("-at", "-id"))


def _mine(row: AuditEvent, patient: User, *, actor: str | None, **fields: Any) -> dict[str, Any]:
    """One row of a patient's own list, as the API must write it."""
    return {
        "id": None,
        "at": _at(row),
        "actor": None if actor is None else {"id": None, "display_name": actor},
        "actor_role": row.actor_role,
        "action": row.action,
        "resource": row.resource,
        "object_id": row.object_id,
        "patient": str(patient.pk),
        "outcome": row.outcome,
        **fields,
    }


def test_a_patient_sees_each_access_to_their_data_with_who_and_what(
    physician: User,
    other_physician: User,
    patient: User,
    other_patient: User,
    client_for,
) -> None:
    link(physician, patient)
    link(other_physician, other_patient)
    visit = make_visit(physician, patient, datetime(2026, 3, 1, 9, tzinfo=UTC))
    entry = make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert client_for(physician).get("/api/v1/entries/").status_code == 200
    assert client_for(physician).get(f"/api/v1/patients/{patient.pk}/fhir/").status_code == 200
    # Refused: a physician of another practice, and another patient.
    assert (
        client_for(other_physician).get(f"/api/v1/patients/{patient.pk}/course/").status_code == 404
    )
    assert (
        client_for(other_patient).get(f"/api/v1/patients/{patient.pk}/entries.csv").status_code
        == 404
    )
    assert client_for(patient).get("/api/v1/visits/").status_code == 200
    # About someone else: never in this patient's list.
    make_entry(other_patient, datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert client_for(other_physician).get("/api/v1/entries/").status_code == 200

    response = client_for(patient).get("/api/v1/audit/")

    assert response.status_code == 200
    listed, refused_file, refused_course, fhir, entries, created, recorded = _rows(patient)
    assert response.json() == {
        "count": 7,
        "next": None,
        "previous": None,
        "results": [
            _mine(listed, patient, actor="Pat Patient", actor_kind="you", resource_kind="visits"),
            _mine(
                refused_file,
                patient,
                actor="Another patient",
                actor_kind="another_patient",
                resource_kind="checkins_file",
            ),
            _mine(
                refused_course,
                patient,
                actor="Dr. Other",
                actor_kind="physician",
                resource_kind="recovery",
            ),
            _mine(
                fhir, patient, actor="Dr. Hope", actor_kind="physician", resource_kind="record_file"
            ),
            _mine(
                entries, patient, actor="Dr. Hope", actor_kind="physician", resource_kind="checkins"
            ),
            _mine(
                created, patient, actor="Pat Patient", actor_kind="you", resource_kind="checkins"
            ),
            _mine(
                recorded, patient, actor="Dr. Hope", actor_kind="physician", resource_kind="visits"
            ),
        ],
    }
    # The rows behind it, as the database holds them.
    assert [(r.action, r.resource, r.outcome, r.object_id) for r in _rows(patient)] == [
        ("list", "visit", "allowed", ""),
        ("read", "export_csv", "denied", str(patient.pk)),
        ("read", "course", "denied", str(patient.pk)),
        ("read", "export_fhir", "allowed", str(patient.pk)),
        ("list", "entry", "allowed", ""),
        ("create", "entry", "allowed", str(entry.pk)),
        ("create", "visit", "allowed", str(visit.pk)),
    ]


def test_others_only_leaves_out_what_the_patient_did_themself(
    physician: User, patient: User, client_for
) -> None:
    link(physician, patient)
    make_entry(patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    client_for(patient).get("/api/v1/entries/")
    client_for(physician).get("/api/v1/entries/")
    # Work Relief did on its own (no one signed in) is someone else's too.
    AuditEvent.objects.create(action="read", resource="entry", patient=patient, outcome="allowed")

    body = client_for(patient).get("/api/v1/audit/?others_only=true").json()

    system, physicians = _rows(patient)[:2]
    assert body == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            _mine(system, patient, actor=None, actor_kind="relief", resource_kind="checkins"),
            _mine(
                physicians,
                patient,
                actor="Dr. Hope",
                actor_kind="physician",
                resource_kind="checkins",
            ),
        ],
    }
    everything = client_for(patient).get("/api/v1/audit/?others_only=false").json()
    assert everything["count"] == 4


def _write(patient: User, actor: User, count: int, start: datetime) -> None:
    """``count`` reads of the patient's check-ins by ``actor``, a minute apart from ``start``."""
    for minute in range(count):
        AuditEvent.objects.create(
            at=start + timedelta(minutes=minute),
            actor=actor,
            actor_role=actor.role,
            action="read",
            resource="entry",
            object_id=f"row-{minute}",
            patient=patient,
            outcome="allowed",
        )


def test_load_more_pages_through_the_list_as_it_stood(
    physician: User, patient: User, client_for
) -> None:
    start = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    _write(patient, physician, 25, start)
    client = client_for(patient)

    first = client.get("/api/v1/audit/?page_size=10").json()
    # Meanwhile the physician reads again, twice: new rows at the top of the list.
    _write(patient, physician, 2, start + timedelta(hours=1))
    until = first["results"][0]["at"]
    second = client.get("/api/v1/audit/", {"page_size": 10, "page": 2, "until": until}).json()
    third = client.get("/api/v1/audit/", {"page_size": 10, "page": 3, "until": until}).json()

    assert until == "2026-12-02T13:24:00Z"
    assert [r["object_id"] for r in first["results"]] == [f"row-{m}" for m in range(24, 14, -1)]
    assert [r["object_id"] for r in second["results"]] == [f"row-{m}" for m in range(14, 4, -1)]
    assert [r["object_id"] for r in third["results"]] == [f"row-{m}" for m in range(4, -1, -1)]
    assert (first["count"], second["count"], third["count"]) == (25, 25, 25)
    assert third["next"] is None
    assert second["results"][0] == {
        "id": None,
        "at": "2026-12-02T13:14:00Z",
        "actor": {"id": None, "display_name": "Dr. Hope"},
        "actor_role": "physician",
        "action": "read",
        "resource": "entry",
        "object_id": "row-14",
        "patient": str(patient.pk),
        "outcome": "allowed",
        "actor_kind": "physician",
        "resource_kind": "checkins",
    }
    # Without ``until`` the new rows lead the first page.
    fresh = client.get("/api/v1/audit/?page_size=10").json()
    assert fresh["count"] == 27
    assert fresh["results"][0]["at"] == "2026-12-02T14:01:00Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("until=yesterday", "until"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("until=2026-12-02T13:03:00", "until"),  # no offset: which 13:03?
        ("until=", "until"),
        ("others_only=perhaps", "others_only"),
        ("others_only=", "others_only"),
        ("page=0", "page"),
    ],
)
def test_bad_paging_or_filter_input_is_a_400_naming_the_field(
    patient: User, client_for, query: str, field: str
) -> None:
    response = client_for(patient).get(f"/api/v1/audit/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]


@pytest.mark.parametrize(
    ("until", "count"),
    [
        # UTC times past what a date-time can hold: bounds before or after every row.
        ("9999-12-31T23:59:59-23:59", 3),
        ("0001-01-01T00:00:00+14:00", 0),
        ("2026-12-02T13:01:00Z", 2),
        ("2026-12-02T14:01:00+01:00", 2),  # the same moment
        ("2026-12-02T13:00:59.999999Z", 1),
    ],
)
def test_until_is_a_moment_with_its_offset(
    physician: User, patient: User, client_for, until: str, count: int
) -> None:
    _write(patient, physician, 3, datetime(2026, 12, 2, 13, 0, tzinfo=UTC))

    response = client_for(patient).get("/api/v1/audit/", {"until": until})

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_a_patient_never_sees_rows_about_someone_else(
    physician: User, patient: User, other_patient: User, client_for
) -> None:
    link(physician, patient)
    link(physician, other_patient)
    others_entry = make_entry(other_patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    client_for(physician).get(f"/api/v1/entries/{others_entry.pk}/")
    # The patient's own refused attempt on another patient's check-in is about that patient.
    assert client_for(patient).get(f"/api/v1/entries/{others_entry.pk}/").status_code == 404

    mine = client_for(patient).get("/api/v1/audit/").json()
    theirs = client_for(other_patient).get("/api/v1/audit/").json()

    assert mine == {"count": 0, "next": None, "previous": None, "results": []}
    assert [
        (r["actor"], r["actor_kind"], r["outcome"], r["resource_kind"]) for r in theirs["results"]
    ] == [
        ({"id": None, "display_name": "Another patient"}, "another_patient", "denied", "checkins"),
        ({"id": None, "display_name": "Dr. Hope"}, "physician", "allowed", "checkins"),
        ({"id": None, "display_name": "Olive Other"}, "you", "allowed", "checkins"),
    ]
    # Nothing in the refused row names the patient who tried, by name, id or address.
    assert str(patient.pk) not in response_text(client_for(other_patient))
    assert "Pat Patient" not in response_text(client_for(other_patient))


def response_text(client: Any) -> str:
    return client.get("/api/v1/audit/").content.decode()


def test_a_physicians_own_list_is_as_before(physician: User, patient: User, client_for) -> None:
    link(physician, patient)
    client_for(physician).get("/api/v1/patients/")

    body = client_for(physician).get("/api/v1/audit/").json()

    row = AuditEvent.objects.get(actor=physician)
    assert body == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": row.id,
                "at": _at(row),
                "actor": {"id": str(physician.pk), "display_name": "Dr. Hope"},
                "actor_role": "physician",
                "action": "list",
                "resource": "patient",
                "object_id": "",
                "patient": str(patient.pk),
                "outcome": "allowed",
                "actor_kind": None,
                "resource_kind": None,
            }
        ],
    }


def test_the_list_costs_the_same_queries_for_five_rows_or_thirty(
    physician: User, patient: User, client_for, django_assert_num_queries
) -> None:
    client = client_for(patient)
    _write(patient, physician, 5, datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    with django_assert_num_queries(2):  # the count, and the page with its actors
        assert len(client.get("/api/v1/audit/").json()["results"]) == 5
    _write(patient, physician, 25, datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/audit/").json()["results"]) == 30


# Resources written as literals in the backend: ``audit_resource = "x"``, ``resource="x"``,
# ``"resource": "x"``.
_RESOURCE_LITERAL = re.compile(r'(?:audit_resource\s*=\s*|resource=|"resource":\s*)"(\w+)"')
# Rows that never name a patient, so never reach a patient's list.
NO_PATIENT = {"cohort"}


def test_every_audited_resource_has_words_for_a_patient() -> None:
    """A new audited resource needs its kind in audit/kinds.py: without one, a patient's
    app could only say "did something with your data"."""
    found = {
        match
        for path in BACKEND.rglob("*.py")
        if "migrations" not in path.parts
        for match in _RESOURCE_LITERAL.findall(path.read_text(encoding="utf-8"))
    }
    assert {"entry", "visit", "export_csv", "report"} <= found  # the scan finds them
    assert found - NO_PATIENT - RESOURCE_KINDS.keys() == set()
