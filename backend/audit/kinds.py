"""What a row of a patient's own audit list is about, in words a patient's app can say:
who acted (``ActorKind``) and what kind of data it was (``ResourceKind``).

Rows store the API's own resource names (``entry``, ``export_fhir``…); a patient's app turns
these kinds into a sentence ("Dr Okafor viewed your check-ins"). A new audited resource
gets its kind here (tests/audit/test_my_audit_list.py fails on a resource without one).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditEvent


class ActorKind(models.TextChoices):
    YOU = "you", "You"
    PHYSICIAN = "physician", "A physician"
    ANOTHER_PATIENT = "another_patient", "Another patient"
    RELIEF = "relief", "Relief itself (no one signed in)"
    SOMEONE = "someone", "Someone else"


class ResourceKind(models.TextChoices):
    CHECKINS = "checkins", "Check-ins"
    VISITS = "visits", "Visits (injections)"
    RECOVERY = "recovery", "Recovery charts and summaries"
    PROFILE = "profile", "The patient's details in the care team's patient list"
    CHECKINS_FILE = "checkins_file", "The check-ins as a CSV file"
    RECORD_FILE = "record_file", "The record as a FHIR file"
    VISIT_REPORT = "visit_report", "A visit's printable report"
    REMINDER = "reminder", "A reminder to check in"
    CARE_TEAM = "care_team", "The care team: a physician added or removed"
    OUTCOMES_FILE = "outcomes_file", "The practice's outcomes file (pseudonymous, no name)"
    OTHER = "other", "Other data"


RESOURCE_KINDS: dict[str, ResourceKind] = {
    "entry": ResourceKind.CHECKINS,
    "visit": ResourceKind.VISITS,
    "recovery": ResourceKind.RECOVERY,
    "course": ResourceKind.RECOVERY,
    # A physician acknowledging a flag on the patient's recovery (issue #17).
    "flag": ResourceKind.RECOVERY,
    "patient": ResourceKind.PROFILE,
    "export_csv": ResourceKind.CHECKINS_FILE,
    "export_fhir": ResourceKind.RECORD_FILE,
    "report": ResourceKind.VISIT_REPORT,
    "reminder": ResourceKind.REMINDER,
    "care_team": ResourceKind.CARE_TEAM,
    "practice_export": ResourceKind.OUTCOMES_FILE,
}


def resource_kind(resource: str) -> ResourceKind:
    return RESOURCE_KINDS.get(resource, ResourceKind.OTHER)


def actor_kind(event: AuditEvent, viewer: Any) -> ActorKind:
    """Who acted, as the patient ``viewer`` should hear it."""
    if event.actor_id is None:
        return ActorKind.RELIEF
    if event.actor_id == viewer.pk:
        return ActorKind.YOU
    if event.actor_role == "physician":
        return ActorKind.PHYSICIAN
    if event.actor_role == "patient":
        return ActorKind.ANOTHER_PATIENT
    return ActorKind.SOMEONE
