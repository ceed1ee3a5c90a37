"""A phone's outbox saved in one transaction: each entry as its PUT would be."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.patient_time import lock_patient
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record_many
from diary import bulk_insert
from diary.actions.outcome import Outcome, clean, decide, field_errors, revise
from diary.models import CONTENT_FIELDS, Entry, EntryRevision
from diary.placement import Timeline
from diary.tallies import days_recount

SYNC_MAX_ENTRIES = 500


@dataclass(frozen=True)
class SyncItem:
    """One validated entry of a batch: its id, content (CONTENT_FIELDS) and the version
    being edited (None for a create or a replay)."""

    id: uuid.UUID
    data: dict[str, Any]
    version: int | None = None
    # True when the fields were checked by ``quick_entry_item``, whose accepted values
    # always pass the model's field validation too (so ``clean`` is skipped for them).
    checked: bool = False


@dataclass
class SyncResult:
    """What became of one item: ``status`` is an ``Outcome``. ``entry`` is the stored entry
    (absent for not_found and invalid); ``fields`` the field errors of an invalid item."""

    id: uuid.UUID
    status: str
    entry: Entry | bulk_insert.NewEntry | None = None
    fields: dict[str, list[str]] | None = None
    audit: dict[str, Any] | None = None


def entries_sync(
    *, patient: User, items: Sequence[SyncItem], audit: AuditContext | None = None
) -> list[SyncResult]:
    """Save a phone's outbox in one transaction; one result per item, in order.

    Each item gets exactly what ``entry_save`` would do with it (PUT /entries/{id}/), as
    ``diary.actions.outcome.decide`` says for both: created, unchanged (a replay), updated
    (an edit of the current version, with its revision), conflict (other content, no
    version), version_mismatch (stale version), deleted (the id was deleted; never
    re-created), not_found (someone else's id, or a version for an unknown id: nothing
    about it is returned, and a denied audit row names the real owner) or invalid (model
    validation; ``fields``). Ids must be distinct.

    Cost does not grow in queries with the batch: one SELECT ... FOR UPDATE of the batch's
    ids, one read of the patient's visits (when anything is placed), the new entries in one
    statement (a binary COPY on PostgreSQL, ``bulk_insert.insert_new``), one insert of
    revisions and one UPDATE for edits when there are any, and one audit insert (a COPY
    from ``audit.services.COPY_FROM`` rows). This patient's writers are serialised by the
    patient lock; an id committed by someone else's writer after our read makes the insert
    skip that row, which is then re-read and answered like the single path does after its
    IntegrityError, so no id is ever written twice.
    """
    results: list[SyncResult] = []
    if not items:
        return results
    if len({item.id for item in items}) != len(items):
        raise ValueError("entries_sync needs distinct ids")
    with transaction.atomic():
        lock_patient(patient)
        stored = _lock_entries([item.id for item in items])
        # The dates the batch's edits take their entries from (``revise`` moves them).
        was_on = {pk: entry.local_date for pk, entry in stored.items()}
        timeline = Timeline(patient)
        now = timezone.now()
        edited: list[tuple[Entry, EntryRevision]] = []
        creates: list[int] = []
        for item in items:
            result = _sync_one(patient, stored.get(item.id), item, timeline, now, edited)
            if result.status == Outcome.CREATED:
                creates.append(len(results))
            results.append(result)

        new = sorted((results[i].entry for i in creates), key=lambda e: e.pk)  # type: ignore[union-attr]
        # Looked up on the module when called, so a test can stand in for it.
        inserted = bulk_insert.insert_new(new)  # type: ignore[arg-type]
        lost = [i for i in creates if results[i].id not in inserted]
        if lost:
            # Someone else committed these ids after our read: replay against their rows.
            winners = _lock_entries([results[i].id for i in lost])
            was_on.update((pk, winner.local_date) for pk, winner in winners.items())
            for i in lost:
                winner = winners.get(results[i].id)
                if winner is None:
                    raise IntegrityError(f"entry {results[i].id} was neither inserted nor found")
                results[i] = _sync_one(patient, winner, items[i], timeline, now, edited)
        if edited:
            EntryRevision.objects.bulk_create([revision for _entry, revision in edited])
            Entry.objects.bulk_update(
                [entry for entry, _revision in edited],
                [*CONTENT_FIELDS, "local_date", "visit", "day", "version", "updated_at"],
            )
        # The inserted entries were added to their tallies by the insert; the edited ones
        # are recounted (from their old dates above and to their new ones; a recount after
        # the add counts the day's new entries once, from the rows).
        days_recount(
            patient_id=patient.pk,
            local_dates=[
                *(entry.local_date for entry, _revision in edited),
                *(was_on[entry.pk] for entry, _revision in edited),
            ],
        )
        audit_record_many(
            audit=audit or AuditContext.system(actor=patient),
            events=[result.audit for result in results if result.audit is not None],
        )
    return results


def _lock_entries(ids: list[uuid.UUID]) -> dict[uuid.UUID, Entry]:
    return {
        entry.pk: entry
        for entry in Entry.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def _sync_one(
    patient: User,
    stored: Entry | None,
    item: SyncItem,
    timeline: Timeline,
    now: datetime,
    edited: list[tuple[Entry, EntryRevision]],
) -> SyncResult:
    """The item's result, from the row with its id read under lock (None: no row). An edit
    is applied in memory and queued on ``edited``; a create is left to the caller's insert."""
    outcome = decide(patient=patient, stored=stored, data=item.data, expected_version=item.version)
    if outcome == Outcome.CREATED:
        return _sync_new(patient, item, timeline, now)
    if outcome == Outcome.NOT_FOUND:
        # Someone else's id, or an edit of an id that exists nowhere: a 404 for the PUT.
        owner = None if stored is None else stored.patient_id
        return SyncResult(item.id, outcome, audit=_audit(Outcome.NOT_FOUND, item.id, owner))
    assert stored is not None  # every other outcome is about a stored row
    if outcome == Outcome.DELETED:
        return SyncResult(item.id, outcome, entry=stored)
    stored.patient = patient
    if outcome == Outcome.UNCHANGED:
        return SyncResult(item.id, outcome, entry=stored)
    if outcome == Outcome.UPDATED:
        try:
            placement = timeline.placement(item.data["felt_at"])
            revision = revise(stored, item.data, placement, actor=patient)
        except ValidationError as exc:
            return SyncResult(item.id, Outcome.INVALID, fields=field_errors(exc))
        edited.append((stored, revision))
    # An update is audited as such; a conflict or version_mismatch result carries the
    # stored entry: a read.
    return SyncResult(item.id, outcome, entry=stored, audit=_audit(outcome, stored.pk, patient.pk))


def _sync_new(patient: User, item: SyncItem, timeline: Timeline, now: datetime) -> SyncResult:
    if item.checked:
        data = {name: item.data[name] for name in CONTENT_FIELDS}
        entry = bulk_insert.NewEntry(id=item.id, patient=patient, recorded_at=now, **data)
        timeline.place_entry(entry)
    else:
        # Not recognised by quick_entry_item: the model's field validation decides, and
        # the row takes the values as the model cleaned them.
        model = Entry(id=item.id, patient=patient, **{n: item.data[n] for n in CONTENT_FIELDS})
        timeline.place_entry(model)
        try:
            clean(model)
        except ValidationError as exc:
            return SyncResult(item.id, Outcome.INVALID, fields=field_errors(exc))
        entry = bulk_insert.NewEntry(
            id=item.id,
            patient=patient,
            recorded_at=now,
            local_date=model.local_date,
            visit_id=model.visit_id,
            day=model.day,
            **{name: getattr(model, name) for name in CONTENT_FIELDS},
        )
    return SyncResult(
        item.id, Outcome.CREATED, entry=entry, audit=_audit(Outcome.CREATED, entry.pk, patient.pk)
    )


# The audit row of each outcome that writes one, as the same item sent as a PUT would.
_AUDIT_ACTIONS = {
    Outcome.CREATED: AuditEvent.Action.CREATE,
    Outcome.UPDATED: AuditEvent.Action.UPDATE,
    Outcome.CONFLICT: AuditEvent.Action.READ,
    Outcome.VERSION_MISMATCH: AuditEvent.Action.READ,
    Outcome.NOT_FOUND: AuditEvent.Action.UPDATE,  # denied
}


def _audit(outcome: str, entry_id: uuid.UUID, patient_id: Any) -> dict[str, Any]:
    event = {
        "action": _AUDIT_ACTIONS[outcome],
        "resource": "entry",
        "patient_id": patient_id,
        "object_id": entry_id,
    }
    if outcome == Outcome.NOT_FOUND:
        event["outcome"] = AuditEvent.Outcome.DENIED
    return event
