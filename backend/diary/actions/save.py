"""One check-in written by its client-chosen id: created, replayed or edited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, router, transaction

from accounts.models import User
from audit.context import AuditContext
from audit.models import AuditEvent
from diary.actions.outcome import (
    EntryConflict,
    EntryGone,
    EntryNotFound,
    Outcome,
    audit_entry,
    clean,
    decide,
    fill,
    lock_entry,
    revise,
)
from diary.bulk_insert import insert_skipping_existing
from diary.models import Entry
from diary.placement import lock_patient_and_place
from diary.tallies import days_recount


def entry_save(
    *,
    patient: User,
    entry_id: uuid.UUID,
    data: dict[str, Any],
    expected_version: int | None,
    audit: AuditContext | None = None,
) -> tuple[Entry, bool]:
    """Create the entry with the client's id, or replay/edit it. Returns (entry, created).

    - Unknown id: created (version 1).
    - Known id, no version: a replay. Same content returns the stored entry unchanged;
      different content raises EntryConflict (the client must fetch and send a version).
    - Known id with a version: an edit when the version is current, else EntryConflict
      (stale). The previous values are kept as an EntryRevision.
    (``diary.actions.outcome.decide`` says which; ``entries_sync`` asks it the same.)

    A create is the hot path (a phone checking in) and costs one statement to lock the
    patient and find the visit, one ``INSERT ... ON CONFLICT (id) DO NOTHING`` and the
    audit row. An id that already exists (a replay, someone else's, a deleted one, or a
    concurrent identical create that committed first) inserts nothing and continues as a
    replay against the locked row, so no id is ever written twice.
    """
    audit = audit or AuditContext.system(actor=patient)
    with transaction.atomic():
        placement = lock_patient_and_place(patient, data["felt_at"])
        if expected_version is None:
            entry = Entry(id=entry_id, patient=patient)
            fill(entry, data, placement)
            clean(entry)
            if insert_skipping_existing([entry]):
                entry._state.adding, entry._state.db = False, router.db_for_write(Entry)
                audit_entry(audit, AuditEvent.Action.CREATE, entry)
                return entry, True
        stored = lock_entry(entry_id)
        outcome = decide(
            patient=patient, stored=stored, data=data, expected_version=expected_version
        )
        if outcome == Outcome.CREATED:
            raise IntegrityError(f"entry {entry_id} was neither inserted nor found")
        if outcome == Outcome.NOT_FOUND:
            raise EntryNotFound
        assert stored is not None  # every other outcome is about a stored row
        if outcome == Outcome.DELETED:
            raise EntryGone(stored)
        stored.patient = patient
        if outcome == Outcome.UNCHANGED:
            # A replay answers with the stored entry: a read.
            audit_entry(audit, AuditEvent.Action.READ, stored)
            return stored, False
        if outcome == Outcome.UPDATED:
            was_on = stored.local_date
            revise(stored, data, placement, actor=patient).save()
            stored.save()
            days_recount(patient_id=patient.pk, local_dates=[was_on, stored.local_date])
            audit_entry(audit, AuditEvent.Action.UPDATE, stored)
            return stored, False
        # CONFLICT or VERSION_MISMATCH: the 409/412 answer carries the stored entry, a read
        # recorded in this transaction, which commits (nothing was written but the audit row).
        audit_entry(audit, AuditEvent.Action.READ, stored)
        conflict = EntryConflict(stored, stale=outcome == Outcome.VERSION_MISMATCH)
    raise conflict
