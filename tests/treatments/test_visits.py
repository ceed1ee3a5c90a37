from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from diary.models import Entry
from tests.concurrency import behind_a_held_transaction, run_concurrently
from tests.factories import link, make_entry, make_visit
from treatments.models import InjectionSite, Visit, cpt_code_for

pytestmark = pytest.mark.django_db

SITE = {
    "body_region": "neck",
    "muscle": "Upper trapezius",
    "side": "left",
    "injectates": ["saline", "lidocaine"],
    "volume_ml": 1.5,
}


def visit_body(who: User, **changes: object) -> dict:
    data = {
        "patient": str(who.pk),
        "performed_at": "2026-03-02T15:00:00Z",
        "condition": "myofascial_pain",
        "baseline_pain": 7,
        "post_injection_pain": 3,
        "notes": "Taut band, twitch response.",
        "sites": [SITE],
    }
    data.update(changes)
    return data


@pytest.fixture
def treating(physician: User, patient: User) -> User:
    link(physician, patient)
    return physician


def test_physician_records_a_visit_for_their_patient(
    treating: User, patient: User, physician_client: APIClient
):
    response = physician_client.post("/api/v1/visits/", visit_body(patient), format="json")

    assert response.status_code == 201
    visit = Visit.objects.get()
    assert response.json() == {
        "id": str(visit.id),
        "patient": str(patient.pk),
        "physician": str(treating.pk),
        "performed_at": "2026-03-02T15:00:00Z",
        "local_date": "2026-03-02",
        "condition": "myofascial_pain",
        "baseline_pain": 7,
        "post_injection_pain": 3,
        "notes": "Taut band, twitch response.",
        "sites": [
            {
                "body_region": "neck",
                "muscle": "Upper trapezius",
                "side": "left",
                "injectates": ["lidocaine", "saline"],
                "volume_ml": 1.5,
            }
        ],
        "cpt_code": "20552",
        "created_at": visit.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": visit.updated_at.isoformat().replace("+00:00", "Z"),
    }
    site = InjectionSite.objects.get()
    assert (site.lidocaine, site.saline, site.magnesium) == (True, True, False)
    assert (
        AuditEvent.objects.filter(action="create", resource="visit", patient=patient).count() == 1
    )


@pytest.mark.parametrize(
    ("sites", "code"),
    [
        ([("Trapezius", "left")], "20552"),
        ([("Trapezius", "left"), ("trapezius ", "left")], "20552"),
        ([("Trapezius", "left"), ("Trapezius", "right")], "20552"),
        ([("Trapezius", "bilateral")], "20552"),
        ([("Trapezius", "bilateral"), ("Levator scapulae", "left")], "20553"),
        ([("Trapezius", "left"), ("Rhomboid", "left"), ("Infraspinatus", "left")], "20553"),
        ([("Quadratus lumborum", "midline"), ("Gluteus medius", "right")], "20552"),
    ],
)
def test_cpt_code_counts_distinct_muscles(sites: list[tuple[str, str]], code: str):
    rows = [InjectionSite(muscle=m, side=s) for m, s in sites]
    assert cpt_code_for(rows) == code


def test_three_muscles_in_the_api_give_20553(treating, patient, physician_client):
    sites = [{**SITE, "muscle": m} for m in ("Trapezius", "Rhomboid major", "Levator scapulae")]
    response = physician_client.post(
        "/api/v1/visits/", visit_body(patient, sites=sites), format="json"
    )
    assert response.json()["cpt_code"] == "20553"


def test_physician_cannot_record_a_visit_for_someone_elses_patient(
    treating, other_patient: User, physician_client: APIClient
):
    response = physician_client.post("/api/v1/visits/", visit_body(other_patient), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"patient": ["Not one of your patients."]}
    assert not Visit.objects.exists()
    denied = AuditEvent.objects.get()
    assert (denied.outcome, denied.action, denied.patient) == ("denied", "create", other_patient)


def test_patient_cannot_record_a_visit(patient: User, patient_client: APIClient):
    response = patient_client.post("/api/v1/visits/", visit_body(patient), format="json")
    assert response.status_code == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"condition": "migraine"}, "condition"),
        ({"baseline_pain": 11}, "baseline_pain"),
        ({"sites": []}, "sites"),
        ({"sites": [{**SITE, "side": "up"}]}, "sites.0.side"),
        ({"sites": [{**SITE, "injectates": []}]}, "sites.0.injectates"),
        ({"sites": [{**SITE, "injectates": ["botox"]}]}, "sites.0.injectates.0"),
        ({"sites": [SITE, {**SITE, "volume_ml": 0}]}, "sites.1.volume_ml"),
        ({"sites": [{**SITE, "colour": "red"}]}, "sites.0.colour"),
        ({"sites": [{**SITE, "muscle": 7}]}, "sites.0.muscle"),
        ({"sites": "neck"}, "sites"),
        ({"performed_at": "2026-03-02T15:00:00"}, "performed_at"),
        ({"performed_at": "2099-01-01T00:00:00Z"}, "performed_at"),
        ({"performed_at": "0001-01-01T00:00:00Z"}, "performed_at"),
        ({"cpt_code": "20553"}, "cpt_code"),
        ({"physician": str(uuid.uuid4())}, "physician"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 7}, "id"),
    ],
)
def test_bad_visit_input_is_400_naming_the_field(
    treating, patient, physician_client, changes: dict, field: str
):
    response = physician_client.post(
        "/api/v1/visits/", visit_body(patient, **changes), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Visit.objects.exists()


def test_editing_performed_at_re_places_entries(treating, patient, physician_client):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    entry = make_entry(patient, datetime(2026, 3, 4, 10, tzinfo=UTC))
    assert entry.visit_id is None

    response = physician_client.patch(
        f"/api/v1/visits/{visit.id}/", {"performed_at": "2026-03-03T10:00:00Z"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["local_date"] == "2026-03-03"
    entry.refresh_from_db()
    assert (entry.visit_id, entry.day) == (visit.id, 1)


def test_put_replaces_sites(treating, patient, physician_client):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    sites = [{**SITE, "muscle": m} for m in ("A", "B", "C")]
    response = physician_client.put(
        f"/api/v1/visits/{visit.id}/", visit_body(patient, sites=sites), format="json"
    )
    assert response.status_code == 200
    assert response.json()["cpt_code"] == "20553"
    assert InjectionSite.objects.filter(visit=visit).count() == 3


def test_a_save_retried_with_its_id_records_one_visit_and_returns_it(
    treating, patient, physician_client
):
    """The physician's Save reached the server but its answer was lost; Save again sends
    the same client-generated id and must not record a second visit."""
    visit_id = str(uuid.uuid4())
    first = physician_client.post(
        "/api/v1/visits/", visit_body(patient, id=visit_id), format="json"
    )
    assert first.status_code == 201
    assert first.json()["id"] == visit_id

    again = physician_client.post(
        "/api/v1/visits/", visit_body(patient, id=visit_id), format="json"
    )

    assert again.status_code == 200
    assert again.json() == first.json()
    assert list(Visit.objects.values_list("id", flat=True)) == [uuid.UUID(visit_id)]
    assert InjectionSite.objects.count() == 1
    actions = AuditEvent.objects.filter(resource="visit").order_by("id")
    assert [(a.action, a.outcome, str(a.object_id)) for a in actions] == [
        ("create", "allowed", visit_id),
        ("read", "allowed", visit_id),
    ]


@pytest.mark.parametrize("whose", ["other_physician", "other_patient"])
def test_an_id_of_another_visit_is_a_409_naming_id(
    treating, patient, other_patient, other_physician, physician_client, whose: str
):
    if whose == "other_physician":
        # A colleague of the practice (a care team is of one practice).
        other_physician.practice = treating.practice
        other_physician.save()
        link(other_physician, patient)
        taken = make_visit(other_physician, patient, datetime(2026, 3, 1, 10, tzinfo=UTC))
    else:
        link(treating, other_patient)
        taken = make_visit(treating, other_patient, datetime(2026, 3, 1, 10, tzinfo=UTC))

    response = physician_client.post(
        "/api/v1/visits/", visit_body(patient, id=str(taken.id)), format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "detail": "This id belongs to another visit.",
        "fields": {"id": ["This id belongs to another visit."]},
    }
    assert list(Visit.objects.all()) == [taken]
    assert not AuditEvent.objects.filter(action="read").exists()
    denied = AuditEvent.objects.get(outcome="denied")
    assert (denied.action, denied.patient_id, denied.object_id) == (
        "create",
        taken.patient_id,
        str(taken.id),
    )


def test_a_visit_id_cannot_be_written_after_create(treating, patient, physician_client):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    url = f"/api/v1/visits/{visit.id}/"
    for visit_id in (str(uuid.uuid4()), str(visit.id)):
        response = physician_client.patch(url, {"id": visit_id, "notes": "x"}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"id": ["This field is read-only."]}
    assert Visit.objects.get().notes == ""


def test_the_same_id_sent_again_with_other_details_is_refused_not_applied(
    treating, patient, physician_client
):
    """A physician corrects the form after 'You are offline' and saves again: the visit was
    recorded with the first details, and the correction must not vanish behind a 200."""
    visit_id = str(uuid.uuid4())
    first = physician_client.post(
        "/api/v1/visits/", visit_body(patient, id=visit_id), format="json"
    )
    assert first.status_code == 201

    for changes in (
        {"baseline_pain": 6},
        {"notes": "Corrected."},
        {"sites": [SITE, {**SITE, "muscle": "Rhomboid major"}]},
        {"sites": [{**SITE, "volume_ml": 2}]},
    ):
        response = physician_client.post(
            "/api/v1/visits/", visit_body(patient, id=visit_id, **changes), format="json"
        )
        assert response.status_code == 409
        assert response.json() == {
            "code": "already_recorded",
            "detail": "This visit was recorded already, with other details: edit it instead.",
            "fields": {
                "id": ["This visit was recorded already, with other details: edit it instead."]
            },
        }
    visit = Visit.objects.get()
    assert (visit.baseline_pain, visit.notes) == (7, "Taut band, twitch response.")
    assert InjectionSite.objects.count() == 1
    denied = AuditEvent.objects.filter(outcome="denied")
    assert {(a.action, a.patient_id, str(a.object_id)) for a in denied} == {
        ("create", patient.pk, visit_id)
    }
    assert denied.count() == 4
    # Whitespace in a muscle name and the order of sites or injectates are not changes.
    same = visit_body(
        patient,
        id=visit_id,
        sites=[{**SITE, "muscle": "  Upper   trapezius ", "injectates": ["lidocaine", "saline"]}],
    )
    assert physician_client.post("/api/v1/visits/", same, format="json").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_id_taken_by_another_patients_save_in_flight_is_a_409_not_a_500(
    treating, patient, other_patient, client_for
):
    """Another patient's visit with the same id is inserted but not committed when this save
    looks: the look cannot see it, the insert waits for it, then clashes."""
    link(treating, other_patient)
    visit_id = uuid.uuid4()

    def the_other_save() -> None:  # inserted, not committed, while this save runs
        make_visit(treating, other_patient, datetime(2026, 3, 1, 10, tzinfo=UTC), visit_id=visit_id)

    def this_save():  # type: ignore[no-untyped-def]
        body = visit_body(patient, id=str(visit_id))
        return client_for(treating).post("/api/v1/visits/", body, format="json")

    response = behind_a_held_transaction(the_other_save, this_save)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert list(Visit.objects.values_list("patient_id", flat=True)) == [other_patient.pk]


def test_visit_cannot_move_to_another_patient(treating, patient, other_patient, physician_client):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    response = physician_client.patch(
        f"/api/v1/visits/{visit.id}/", {"patient": str(other_patient.pk)}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["patient"]


def test_patient_reads_own_visits_only(treating, patient, other_patient, client_for):
    own = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    response = client_for(patient).get("/api/v1/visits/")
    assert [v["id"] for v in response.json()["results"]] == [str(own.id)]
    assert client_for(other_patient).get(f"/api/v1/visits/{own.id}/").status_code == 404


def test_entries_placed_under_a_visit_keep_the_visit_protected(treating, patient):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 10, tzinfo=UTC))
    make_entry(patient, datetime(2026, 3, 6, 10, tzinfo=UTC))
    assert Entry.objects.get().visit == visit


def test_editing_notes_never_moves_day_zero(treating, patient, physician_client):
    visit = make_visit(treating, patient, datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    assert str(visit.local_date) == "2026-03-06"  # Berlin, past midnight
    patient.timezone = "America/New_York"
    patient.save()
    response = physician_client.patch(
        f"/api/v1/visits/{visit.id}/", {"notes": "Follow-up in 4 weeks."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["local_date"] == "2026-03-06"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_patient", [True, False])
def test_concurrent_saves_with_one_id_record_one_visit(
    treating, patient, other_patient, client_for, same_patient: bool
):
    """Saves of one id for the same patient queue on the patient's lock (one 201, the rest
    200); for different patients they only meet at the primary key (one 201, the rest 409),
    never a 500."""
    link(treating, other_patient)
    trials, racers = 3, 6
    for _ in range(trials):
        visit_id = str(uuid.uuid4())

        def save(i: int, visit_id: str = visit_id) -> tuple[object, int]:
            who = patient if same_patient or i % 2 == 0 else other_patient
            body = visit_body(who, id=visit_id)
            response = client_for(treating).post("/api/v1/visits/", body, format="json")
            return who.pk, response.status_code

        outcomes = run_concurrently(racers, save)
        [owner] = [who for who, status in outcomes if status == 201]
        for who, status in outcomes:
            assert status in ({200, 201} if who == owner else {409})
        assert Visit.objects.filter(id=visit_id).count() == 1
    assert Visit.objects.count() == trials
