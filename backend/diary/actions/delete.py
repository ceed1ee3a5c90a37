"""A check-in deleted by its patient: gone from every list, kept as history."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.patient_time import lock_patient
from audit.context import AuditContext
from audit.models import AuditEvent
from diary.actions.outcome import (
    EntryConflict,
    EntryGone,
    EntryNotFound,
    audit_entry,
    lock_entry,
    snapshot,
)
from diary.models import EntryRevision
from diary.tallies import days_recount


def entry_delete(
    *,
    patient: User,
    entry_id: uuid.UUID,
    expected_version: int | None,
    audit: AuditContext | None = None,
) -> None:
    """Soft-delete: the entry leaves every list, its last values stay as a revision.

    Raises EntryNotFound (no entry of this patient has the id), EntryGone (deleted
    already) or EntryConflict (``expected_version`` is not the current one)."""
    audit = audit or AuditContext.system(actor=patient)
    with transaction.atomic():
        lock_patient(patient)
        entry = lock_entry(entry_id)
        if entry is None or entry.patient_id != patient.pk:
            raise EntryNotFound
        if entry.deleted_at is not None:
            raise EntryGone(entry)
        entry.patient = patient
        stale = expected_version is not None and expected_version != entry.version
        if stale:
            # The 412 answer carries the stored entry: a read (see entry_save).
            audit_entry(audit, AuditEvent.Action.READ, entry)
        else:
            EntryRevision.objects.create(
                entry=entry,
                version=entry.version,
                action=EntryRevision.Action.DELETE,
                changed_by=patient,
                values=snapshot(entry),
            )
            entry.deleted_at = timezone.now()
            entry.version += 1
            entry.save(update_fields=["deleted_at", "version"])
            days_recount(patient_id=patient.pk, local_dates=[entry.local_date])
            audit_entry(audit, AuditEvent.Action.DELETE, entry)
    if stale:
        raise EntryConflict(entry, stale=True)
