"""GET /api/v1/patients/{id}/fhir/: a FHIR R4 Bundle that fhir.resources' R4B models accept."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from accounts.models import User
from audit.models import AuditEvent
from interop import fhir
from interop.fhir import derived_id, instant
from tests.factories import make_entry
from tests.interop.conftest import FORMULA_NOTE, Record

pytestmark = pytest.mark.django_db

CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
SURVEY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _export(client: Any, patient: User) -> dict[str, Any]:
    response = client.get(f"/api/v1/patients/{patient.pk}/fhir/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0; charset=utf-8"
    assert response.streaming, "written resource by resource, not built in memory"
    return json.loads(b"".join(response.streaming_content))


def _by_type(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_bundle_validates_with_fhir_resources_r4b(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)

    bundle = Bundle.model_validate(body)

    assert bundle.type == "collection"
    # Each resource once more on its own, by its own model: nothing silently skipped.
    for entry in body["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).id == resource["id"]
    assert Counter(r["resourceType"] for r in (e["resource"] for e in body["entry"])) == {
        "Patient": 1,
        "Practitioner": 1,
        "Procedure": 2,
        # 9 live check-ins (the deleted one and the other patient's are not here) x 3.
        "Observation": 27,
    }


def test_every_reference_resolves_inside_the_bundle(record: Record, client_for) -> None:
    body = _export(client_for(record.physician), record.patient)

    full_urls = [entry["fullUrl"] for entry in body["entry"]]
    assert len(full_urls) == len(set(full_urls))
    for entry in body["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    references = list(_references(body))
    assert references, "the bundle links its resources"
    assert set(references) <= set(full_urls)


def test_patient_and_practitioner_carry_only_what_relief_holds(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)

    [patient] = _by_type(body, "Patient")
    assert patient == {
        "resourceType": "Patient",
        "id": str(record.patient.pk),
        "identifier": [
            {"system": "https://relief.example/fhir/sid/user-id", "value": str(record.patient.pk)}
        ],
        "name": [{"text": "Pat Patient"}],
        "telecom": [{"system": "email", "value": "pat@example.org", "use": "home"}],
    }
    [practitioner] = _by_type(body, "Practitioner")
    assert practitioner["id"] == str(record.physician.pk)
    assert practitioner["name"] == [{"text": "Dr. Hope"}]


def test_procedure_per_visit_with_cpt_sites_reason_and_notes(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)

    first, second = _by_type(body, "Procedure")
    patient_ref = {"reference": f"urn:uuid:{record.patient.pk}"}
    assert first == {
        "resourceType": "Procedure",
        "id": str(record.first.pk),
        "identifier": [
            {"system": "https://relief.example/fhir/sid/visit-id", "value": str(record.first.pk)}
        ],
        "status": "completed",
        "code": {
            "coding": [
                {
                    "system": CPT,
                    "code": "20552",
                    "display": "Injection(s); single or multiple trigger point(s), "
                    "1 or 2 muscle(s)",
                }
            ],
            "text": "Trigger point injection",
        },
        "subject": patient_ref,
        "performedDateTime": instant(record.first.performed_at),
        "performer": [
            {"actor": {"reference": f"urn:uuid:{record.physician.pk}", "display": "Dr. Hope"}}
        ],
        "reasonCode": [{"text": "Myofascial pain"}],
        "bodySite": [
            {"text": "Neck, Upper trapezius, left"},
            {"text": "Neck, Levator scapulae, right"},
        ],
        "note": [
            {"text": "Neck, Upper trapezius, left: lidocaine, 1.0 mL"},
            {"text": "Neck, Levator scapulae, right: saline, magnesium, 1.5 mL"},
            {"text": "Baseline pain 8/10 (0-10 NRS); pain after the injection 3/10."},
            {"text": "Taut band, local twitch response."},
        ],
    }
    assert second["code"]["coding"][0]["code"] == "20553"
    assert second["code"]["coding"][0]["system"] == CPT
    assert second["reasonCode"] == [{"text": "Neck pain"}]
    assert second["bodySite"][2] == {"text": "Upper back, Rhomboid major, left"}


def test_pain_observation_per_checkin(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)
    observations = {o["id"]: o for o in _by_type(body, "Observation")}
    entry = next(e for e in record.entries if e.notes == FORMULA_NOTE)
    entry.refresh_from_db()
    patient_ref = {"reference": f"urn:uuid:{record.patient.pk}"}

    assert observations[str(entry.pk)] == {
        "resourceType": "Observation",
        "id": str(entry.pk),
        "identifier": [
            {"system": "https://relief.example/fhir/sid/checkin-id", "value": str(entry.pk)}
        ],
        "status": "final",
        "category": [{"coding": [{"system": SURVEY, "code": "survey", "display": "Survey"}]}],
        "code": {
            "coding": [
                {
                    "system": LOINC,
                    "code": "72514-3",
                    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                }
            ],
            "text": "Pain severity, 0-10 numeric rating scale (patient-reported)",
        },
        "subject": patient_ref,
        "effectiveDateTime": instant(entry.felt_at),
        "issued": instant(entry.recorded_at),
        "performer": [patient_ref],
        "partOf": [{"reference": f"urn:uuid:{record.first.pk}"}],
        "valueQuantity": {
            "value": 4,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        },
        # The note goes to FHIR as it is: only the CSV needs formula neutralising.
        "note": [{"text": FORMULA_NOTE}],
    }


def test_soreness_and_bruising_observations_linked_the_same_way(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)
    observations = {o["id"]: o for o in _by_type(body, "Observation")}
    entry = record.entries[3]  # day 1 of visit 1: soreness 6, large bruise
    soreness = observations[str(derived_id(entry.pk, "soreness"))]
    bruising = observations[str(derived_id(entry.pk, "bruising"))]

    for observation in (soreness, bruising):
        assert observation["identifier"][0]["value"] == str(entry.pk)
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["partOf"] == [{"reference": f"urn:uuid:{record.first.pk}"}]
        assert observation["performer"] == [{"reference": f"urn:uuid:{record.patient.pk}"}]
        assert observation["effectiveDateTime"] == instant(entry.felt_at)
        assert "note" not in observation
    assert soreness["code"] == {
        "coding": [
            {
                "system": "https://relief.example/fhir/CodeSystem/checkin",
                "code": "injection-site-soreness",
                "display": "Injection-site soreness, 0-10 numeric rating",
            }
        ],
        "text": "Soreness at the injection sites, 0-10 numeric rating (patient-reported)",
    }
    assert soreness["valueQuantity"]["value"] == 6
    assert bruising["code"]["coding"][0]["code"] == "injection-site-bruising"
    assert bruising["code"]["text"].startswith("Bruising at the injection sites")
    assert bruising["valueCodeableConcept"] == {
        "coding": [
            {
                "system": "https://relief.example/fhir/CodeSystem/bruising",
                "code": "large",
                "display": "Large (over about 4 cm²)",
            }
        ],
        "text": "Large (over about 4 cm²)",
    }


def test_checkin_before_any_visit_is_part_of_nothing(record: Record, client_for) -> None:
    body = _export(client_for(record.patient), record.patient)
    observations = {o["id"]: o for o in _by_type(body, "Observation")}

    assert "partOf" not in observations[str(record.before.pk)]
    ids = set(observations)
    assert str(record.deleted.pk) not in ids
    assert str(record.others_entry.pk) not in ids
    assert "olive" not in str(body)


def test_the_same_record_exports_to_the_same_ids(record: Record, client_for) -> None:
    client = client_for(record.patient)
    first, second = _export(client, record.patient), _export(client, record.patient)

    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


def test_export_is_an_audited_read(record: Record, client_for) -> None:
    _export(client_for(record.physician), record.patient)

    row = AuditEvent.objects.get(resource="export_fhir")
    assert (row.actor, row.action, row.patient, row.object_id, row.outcome) == (
        record.physician,
        "read",
        record.patient,
        str(record.patient.pk),
        "allowed",
    )


@pytest.mark.parametrize("who", ["other_patient", "other_physician"])
def test_someone_elses_record_is_404_audited_as_denied(
    record: Record, client_for, request: pytest.FixtureRequest, who: str
) -> None:
    user = request.getfixturevalue(who)

    response = client_for(user).get(f"/api/v1/patients/{record.patient.pk}/fhir/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    row = AuditEvent.objects.get(resource="export_fhir")
    assert (row.actor, row.outcome, row.patient) == (user, "denied", record.patient)


def test_errors_are_json_whatever_the_accept_header(anon_client, record: Record) -> None:
    response = anon_client.get(
        f"/api/v1/patients/{record.patient.pk}/fhir/", HTTP_ACCEPT="application/fhir+json"
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"


def test_query_count_does_not_grow_with_the_record(record: Record, client_for) -> None:
    client = client_for(record.physician)
    url = f"/api/v1/patients/{record.patient.pk}/fhir/"
    with CaptureQueriesContext(connection) as small:
        b"".join(client.get(url).streaming_content)
    for minute in range(1, 20):
        make_entry(record.patient, record.second.performed_at.replace(minute=minute), pain=3)

    with CaptureQueriesContext(connection) as large:
        body = json.loads(b"".join(client.get(url).streaming_content))

    assert len(body["entry"]) == 1 + 1 + 2 + 3 * (9 + 19)
    assert len(large.captured_queries) == len(small.captured_queries) <= 12


def test_the_bundle_streams_in_bounded_chunks(
    record: Record, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fhir, "CHUNK_CHARS", 2000)
    response = client_for(record.patient).get(f"/api/v1/patients/{record.patient.pk}/fhir/")

    chunks = list(response.streaming_content)

    assert len(chunks) > 5
    assert max(len(chunk) for chunk in chunks) < 2000 + 3000  # one resource past the mark
    assert Bundle.model_validate(json.loads(b"".join(chunks))).type == "collection"


def test_a_patient_with_nothing_recorded_yet_is_a_valid_bundle(
    patient: User, physician: User, client_for
) -> None:
    from tests.factories import link

    link(physician, patient)

    body = _export(client_for(patient), patient)

    Bundle.model_validate(body)
    assert [e["resource"]["resourceType"] for e in body["entry"]] == ["Patient", "Practitioner"]
