"""FHIR R4 export: one patient's record as a ``Bundle`` of type ``collection``.

Plain dicts, no FHIR library at run time (the tests validate the output with the
``fhir.resources`` R4B models). What goes in, and only what Relief holds:

- ``Patient``: the Relief id as identifier, the display name, the sign-in email.
- ``Practitioner``: each treating physician (performed a visit, or is linked now).
- ``Procedure`` per visit: CPT 20552/20553, performed date-time, performer, one
  ``bodySite`` per injected site, the condition as ``reasonCode`` text, injectates and
  volumes (and the baseline and the physician's notes) as ``note``.
- ``Observation`` per check-in for pain (LOINC 72514-3, ``{score}``), and one each for
  injection-site soreness and bruising (Relief's own code system); ``partOf`` the visit's
  Procedure when the check-in belongs to a visit; the patient's notes as ``note`` on the
  pain Observation. The three Observations of one check-in share its identifier.

Every reference is a ``urn:uuid:`` that is the ``fullUrl`` of an entry in the same bundle.
Resource ids are the Relief ids (the derived Observations get name-based UUIDs), so the
same record exports to the same ids every time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.models import User
from treatments.models import BodyRegion, Condition, Side, Visit

# Characters gathered before a chunk of the bundle is handed to the server.
CHUNK_CHARS = 64 * 1024
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
# Relief's own identifier and code systems. A code system URL names a vocabulary, not a
# server, so it stays the same in every deployment.
RELIEF_BASE = "https://relief.example/fhir"
USER_ID_SYSTEM = f"{RELIEF_BASE}/sid/user-id"
VISIT_ID_SYSTEM = f"{RELIEF_BASE}/sid/visit-id"
CHECKIN_ID_SYSTEM = f"{RELIEF_BASE}/sid/checkin-id"
CHECKIN_CODE_SYSTEM = f"{RELIEF_BASE}/CodeSystem/checkin"
BRUISING_CODE_SYSTEM = f"{RELIEF_BASE}/CodeSystem/bruising"
# Name-based UUIDs for the soreness/bruising Observations derived from one check-in.
_DERIVED_NAMESPACE = uuid.UUID("5f0c3e5e-8d55-4b0e-9a59-1f7f6f1d2c41")

PROCEDURE_TEXT = "Trigger point injection"
CPT_DISPLAY = {
    "20552": "Injection(s); single or multiple trigger point(s), 1 or 2 muscle(s)",
    "20553": "Injection(s); single or multiple trigger point(s), 3 or more muscles",
}
PAIN_CODE = {
    "coding": [
        {
            "system": LOINC_SYSTEM,
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }
    ],
    "text": "Pain severity, 0-10 numeric rating scale (patient-reported)",
}
SORENESS_CODE = {
    "coding": [
        {
            "system": CHECKIN_CODE_SYSTEM,
            "code": "injection-site-soreness",
            "display": "Injection-site soreness, 0-10 numeric rating",
        }
    ],
    "text": "Soreness at the injection sites, 0-10 numeric rating (patient-reported)",
}
BRUISING_CODE = {
    "coding": [
        {
            "system": CHECKIN_CODE_SYSTEM,
            "code": "injection-site-bruising",
            "display": "Bruising at the injection sites",
        }
    ],
    "text": "Bruising at the injection sites: none, small, or large (over about 4 cm²)",
}
BRUISING_DISPLAY = {"none": "None", "small": "Small", "large": "Large (over about 4 cm²)"}
SURVEY = [
    {
        "coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}],
    }
]


def urn(value: Any) -> str:
    return f"urn:uuid:{value}"


def ref(value: Any, display: str | None = None) -> dict[str, str]:
    reference = {"reference": urn(value)}
    if display:
        reference["display"] = display
    return reference


def instant(value: datetime) -> str:
    """FHIR ``instant``/``dateTime`` in UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": urn(resource["id"]), "resource": resource}


def _score(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM_SYSTEM, "code": "{score}"}


def _volume(value: Decimal) -> str:
    return f"{value:.1f} mL"


def _person(resource_type: str, user: User, use: str) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "id": str(user.pk),
        "identifier": [{"system": USER_ID_SYSTEM, "value": str(user.pk)}],
        "name": [{"text": user.display_name}],
        "telecom": [{"system": "email", "value": user.email, "use": use}],
    }


def patient_resource(patient: User) -> dict[str, Any]:
    return _person("Patient", patient, "home")


def practitioner_resource(physician: User) -> dict[str, Any]:
    return _person("Practitioner", physician, "work")


def site_text(site: Any) -> str:
    """ "Neck, Upper trapezius, left": region, muscle, side."""
    region = BodyRegion(site.body_region).label
    return f"{region}, {site.muscle}, {Side(site.side).label.lower()}"


def procedure_resource(visit: Visit, sites: list[Any]) -> dict[str, Any]:
    cpt = visit.cpt_code
    notes = [
        {"text": f"{site_text(site)}: {', '.join(site.injectates)}, {_volume(site.volume_ml)}"}
        for site in sites
    ]
    if visit.baseline_pain is not None:
        after = (
            f"; pain after the injection {visit.post_injection_pain}/10"
            if visit.post_injection_pain is not None
            else ""
        )
        notes.append({"text": f"Baseline pain {visit.baseline_pain}/10 (0-10 NRS){after}."})
    if visit.notes:
        notes.append({"text": visit.notes})
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(visit.pk),
        "identifier": [{"system": VISIT_ID_SYSTEM, "value": str(visit.pk)}],
        "status": "completed",
        "code": {
            "coding": [{"system": CPT_SYSTEM, "code": cpt, "display": CPT_DISPLAY[cpt]}],
            "text": PROCEDURE_TEXT,
        },
        "subject": ref(visit.patient_id),
        "performedDateTime": instant(visit.performed_at),
        "performer": [{"actor": ref(visit.physician_id, visit.physician.display_name)}],
        "reasonCode": [{"text": Condition(visit.condition).label}],
    }
    # FHIR JSON has no empty arrays (a visit always has sites; this is belt and braces).
    if sites:
        resource["bodySite"] = [{"text": site_text(site)} for site in sites]
    if notes:
        resource["note"] = notes
    return resource


def _observation(
    row: Any, patient_id: Any, resource_id: Any, code: dict[str, Any]
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(resource_id),
        "identifier": [{"system": CHECKIN_ID_SYSTEM, "value": str(row.id)}],
        "status": "final",
        "category": SURVEY,
        "code": code,
        "subject": ref(patient_id),
        "effectiveDateTime": instant(row.felt_at),
        "issued": instant(row.recorded_at),
        "performer": [ref(patient_id)],
    }
    if row.visit_id is not None:
        resource["partOf"] = [ref(row.visit_id)]
    return resource


def derived_id(entry_id: Any, what: str) -> uuid.UUID:
    return uuid.uuid5(_DERIVED_NAMESPACE, f"{entry_id}/{what}")


def checkin_observations(row: Any, patient_id: Any) -> list[dict[str, Any]]:
    """Pain, soreness and bruising of one check-in (a row of ``export_entries``)."""
    pain = _observation(row, patient_id, row.id, PAIN_CODE)
    pain["valueQuantity"] = _score(row.pain)
    if row.notes:
        pain["note"] = [{"text": row.notes}]
    soreness = _observation(row, patient_id, derived_id(row.id, "soreness"), SORENESS_CODE)
    soreness["valueQuantity"] = _score(row.soreness)
    bruising = _observation(row, patient_id, derived_id(row.id, "bruising"), BRUISING_CODE)
    bruising["valueCodeableConcept"] = {
        "coding": [
            {
                "system": BRUISING_CODE_SYSTEM,
                "code": row.bruising,
                "display": BRUISING_DISPLAY[row.bruising],
            }
        ],
        "text": BRUISING_DISPLAY[row.bruising],
    }
    return [pain, soreness, bruising]


def _resources(
    patient: User, physicians: list[User], visits: list[Visit], entries: Iterable[Any]
) -> Iterator[dict[str, Any]]:
    yield patient_resource(patient)
    for physician in physicians:
        yield practitioner_resource(physician)
    for visit in visits:
        yield procedure_resource(visit, list(visit.sites.all()))
    for row in entries:
        yield from checkin_observations(row, patient.pk)


def stream_bundle(
    *,
    patient: User,
    physicians: list[User],
    visits: list[Visit],
    entries: Iterable[Any],
    generated_at: datetime,
) -> Iterator[str]:
    """The whole record as a FHIR R4 ``Bundle`` (type ``collection``), as JSON text in
    chunks of about :data:`CHUNK_CHARS` characters.

    Written entry by entry from the streamed check-ins, so memory does not grow with the
    history (built as one dict, 100,000 check-ins took 1.5 GB). The bundle always holds at
    least the Patient, so ``entry`` is never the empty array FHIR JSON forbids.
    """
    head = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(generated_at)},
        "type": "collection",
        "timestamp": instant(generated_at),
    }
    buffer = [_dumps(head)[:-1], ',"entry":[']
    size = 0
    separator = ""
    for resource in _resources(patient, physicians, visits, entries):
        text = separator + _dumps(_entry(resource))
        buffer.append(text)
        size += len(text)
        separator = ","
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    buffer.append("]}")
    yield "".join(buffer)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
