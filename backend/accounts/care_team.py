"""A patient's care team: the physicians of one practice who treat them (``CareLink`` rows).

A physician sees a patient only while on the patient's care team
(``accounts.selectors.patients_visible_to``), so adding a colleague is how cover during a
holiday works, and removing one ends their access at once. The team is always of one
practice: every write that adds a physician checks it under the patient's lock
(``accounts.patient_time.lock_patient``), so two additions at the same moment cannot
bring in two practices.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import CareLink, Role, User
from accounts.patient_time import lock_patient
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record

# The audit rows' resource for care-team changes (``audit.kinds`` names it for patients).
CARE_TEAM = "care_team"


class NotOnCareTeam(Exception):
    """The physician to remove is not on this patient's care team."""


class ActorNotOnCareTeam(Exception):
    """The physician making the change was taken off the team before their change got the
    patient's lock (two changes at once): they may no longer change it."""


def _actor_still_on_team(patient: User, actor: User) -> None:
    """Under the patient's lock: the physician acting is (still) on the team."""
    if not CareLink.objects.filter(patient=patient, physician=actor).exists():
        raise ActorNotOnCareTeam


def care_team_of(patient: User) -> QuerySet[User]:
    """The physicians on ``patient``'s care team, by name, with their practice."""
    return (
        User.objects.filter(role=Role.PHYSICIAN, patient_links__patient=patient)
        .select_related("practice")
        .order_by("display_name", "id")
    )


def _not_a_colleague() -> ValidationError:
    return ValidationError({"physician": [_("Not a physician of this patient's practice.")]})


def care_link(*, physician: User, patient: User) -> CareLink:
    """Put ``physician`` on ``patient``'s care team (idempotent). Refused with a
    ValidationError naming ``physician`` if they are not a physician, or belong to another
    practice than the team already has."""
    return _care_link(physician=physician, patient=patient)[0]


def _care_link(
    *, physician: User, patient: User, actor: User | None = None
) -> tuple[CareLink, bool]:
    """Under the patient's lock: the team's one practice, and (for a change a physician
    makes) that ``actor`` is still on the team."""
    if physician.role != Role.PHYSICIAN:
        raise _not_a_colleague()
    with transaction.atomic():
        lock_patient(patient)
        if actor is not None:
            _actor_still_on_team(patient, actor)
        practices = set(
            CareLink.objects.filter(patient=patient).values_list(
                "physician__practice_id", flat=True
            )
        )
        if practices - {physician.practice_id}:
            raise _not_a_colleague()
        return CareLink.objects.get_or_create(physician=physician, patient=patient)


def care_team_add(
    *, patient: User, colleague_id: uuid.UUID, audit: AuditContext
) -> tuple[CareLink, bool]:
    """A physician on the team (``audit.actor``) adds a colleague of the same practice.

    Returns the link and whether it is new; a new one is audited with the patient, so the
    patient sees it in their list of who saw their data.
    """
    adder: User = audit.actor
    colleague = User.objects.filter(
        pk=colleague_id, role=Role.PHYSICIAN, practice__isnull=False, is_active=True
    ).first()
    if colleague is None or colleague.practice_id != adder.practice_id:
        raise _not_a_colleague()
    with transaction.atomic():
        link, created = _care_link(physician=colleague, patient=patient, actor=audit.actor)
        if created:
            audit_record(
                audit=audit,
                action=AuditEvent.Action.CREATE,
                resource=CARE_TEAM,
                patient_ids=[patient.pk],
                object_id=colleague.pk,
            )
    return link, created


class LastPhysician(Exception):
    """The care team would be left without a physician."""


def care_team_remove(*, patient: User, physician_id: uuid.UUID, audit: AuditContext) -> None:
    """Take a physician off the care team (never the last one); audited with the patient.
    The removed physician loses access to the patient at once."""
    with transaction.atomic():
        lock_patient(patient)
        _actor_still_on_team(patient, audit.actor)
        links = list(
            CareLink.objects.filter(patient=patient).values_list("physician_id", flat=True)
        )
        if physician_id not in links:
            raise NotOnCareTeam
        if len(links) == 1:
            raise LastPhysician
        CareLink.objects.filter(patient=patient, physician_id=physician_id).delete()
        audit_record(
            audit=audit,
            action=AuditEvent.Action.DELETE,
            resource=CARE_TEAM,
            patient_ids=[patient.pk],
            object_id=physician_id,
        )
