"""Writes for visits. Entries are re-placed in the same transaction when visits move."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.patient_time import local_date_for, lock_patient
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from diary.placement import entries_reassign
from treatments.models import INJECTATES, InjectionSite, Visit

VISIT_FIELDS = ("performed_at", "condition", "baseline_pain", "post_injection_pain", "notes")


def _site_row(visit: Visit, site: dict[str, Any]) -> InjectionSite:
    """The row a validated site becomes: the muscle's spacing normalised, one flag per
    injectate."""
    return InjectionSite(
        visit=visit,
        body_region=site["body_region"],
        muscle=" ".join(site["muscle"].split()),
        side=site["side"],
        volume_ml=site["volume_ml"],
        **{name: name in site["injectates"] for name in INJECTATES},
    )


def _sites(visit: Visit, sites: list[dict[str, Any]]) -> None:
    rows = [_site_row(visit, site) for site in sites]
    for row in rows:
        row.full_clean(exclude=["visit"], validate_constraints=False)
    InjectionSite.objects.bulk_create(rows)


class VisitIdInUse(Exception):
    """A visit with the client's id exists already: ``visit`` is it (None when it belongs to
    another patient and was inserted concurrently)."""

    def __init__(self, visit: Visit | None) -> None:
        super().__init__()
        self.visit = visit


def visit_create(
    *,
    physician: User,
    patient: User,
    performed_at: datetime,
    condition: str,
    sites: list[dict[str, Any]],
    baseline_pain: int | None = None,
    post_injection_pain: int | None = None,
    notes: str = "",
    visit_id: uuid.UUID | None = None,
    audit: AuditContext | None = None,
) -> Visit:
    """Record a visit. ``visit_id`` (client-generated) makes a retried save safe: when a
    visit with that id exists, ``VisitIdInUse`` names it and nothing is written. Checked
    under the patient's lock, so two saves of one visit cannot both insert. ``audit`` is the
    request's; a command or task leaves it out and acts as ``physician``."""
    with transaction.atomic():
        lock_patient(patient)
        if visit_id is not None and (taken := Visit.objects.filter(pk=visit_id).first()):
            raise VisitIdInUse(taken)
        visit = Visit(
            patient=patient,
            physician=physician,
            performed_at=performed_at,
            local_date=local_date_for(patient, performed_at),
            condition=condition,
            baseline_pain=baseline_pain,
            post_injection_pain=post_injection_pain,
            notes=notes,
        )
        if visit_id is not None:
            visit.pk = visit_id
        # Not "id": its uniqueness is the insert's (a check here could pass and the insert
        # still clash with another patient's save committed in between).
        visit.full_clean(exclude=["id", "patient", "physician"], validate_constraints=False)
        try:
            with transaction.atomic():
                visit.save(force_insert=True)
        except IntegrityError as exc:
            if visit_id is None:
                raise
            # The client's id clashed: another patient's visit took it in the meantime.
            raise VisitIdInUse(None) from exc
        _sites(visit, sites)
        entries_reassign(patient=patient)
        audit_record(
            audit=audit or AuditContext.system(actor=physician),
            action=AuditEvent.Action.CREATE,
            resource="visit",
            patient_ids=[patient.pk],
            object_id=visit.pk,
        )
    return visit


def _site_key(site: InjectionSite) -> tuple[Any, ...]:
    return (site.body_region, site.muscle, site.side, tuple(site.injectates), site.volume_ml)


def visit_matches(visit: Visit, data: dict[str, Any]) -> bool:
    """Whether ``data`` (a create's validated fields) records ``visit`` as it stands: a save
    retried after a lost answer, not a corrected one. Sites compare as the rows they would
    become, in any order."""
    if any(data[name] != getattr(visit, name) for name in VISIT_FIELDS):
        return False
    stored = sorted(_site_key(site) for site in visit.sites.all())
    sent = sorted(_site_key(_site_row(visit, site)) for site in data["sites"])
    return stored == sent


def visit_update(*, visit: Visit, data: dict[str, Any], audit: AuditContext) -> Visit:
    """Change a visit's fields; ``sites``, when given, replaces the whole list."""
    with transaction.atomic():
        lock_patient(visit.patient)
        visit = Visit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
        moved = "performed_at" in data and data["performed_at"] != visit.performed_at
        for name in VISIT_FIELDS:
            if name in data:
                setattr(visit, name, data[name])
        if moved:
            # Day 0 is fixed when recorded; only moving the visit moves it (a later timezone
            # change of the patient must not shift the days of past check-ins).
            visit.local_date = local_date_for(visit.patient, visit.performed_at)
        visit.updated_at = timezone.now()
        visit.full_clean(exclude=["patient", "physician"], validate_constraints=False)
        visit.save()
        if "sites" in data:
            visit.sites.all().delete()
            _sites(visit, data["sites"])
        if moved:
            entries_reassign(patient=visit.patient)
        audit_record(
            audit=audit,
            action=AuditEvent.Action.UPDATE,
            resource="visit",
            patient_ids=[visit.patient_id],
            object_id=visit.pk,
        )
    return visit
