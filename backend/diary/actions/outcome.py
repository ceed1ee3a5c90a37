"""What a write of a check-in id means, decided in one place for the single PUT
(``entry_save``) and the batch (``entries_sync``), and the edit both then apply."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from audit.context import AuditContext
from audit.services import audit_record
from diary.models import CONTENT_FIELDS, Entry, EntryRevision
from diary.placement import Placement


class Outcome:
    """What became of a write; the values are the batch's result statuses."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    CONFLICT = "conflict"
    VERSION_MISMATCH = "version_mismatch"
    DELETED = "deleted"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


class EntryConflict(Exception):
    """The id exists with other content, or was edited since the version the client had."""

    def __init__(self, entry: Entry, *, stale: bool) -> None:
        super().__init__(entry.id)
        self.entry = entry
        self.stale = stale


class EntryGone(Exception):
    """The entry was deleted; its id cannot be reused."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.id)
        self.entry = entry


class EntryNotFound(Exception):
    """No entry of this patient has this id (it may belong to someone else)."""


def decide(
    *, patient: User, stored: Entry | None, data: dict[str, Any], expected_version: int | None
) -> str:
    """The outcome of writing ``data`` (CONTENT_FIELDS) with ``expected_version`` to an id
    whose row, read under lock, is ``stored`` (None: no row has the id).

    - no row: CREATED without a version; NOT_FOUND with one (an edit of nothing)
    - another patient's row: NOT_FOUND (nothing about it is told)
    - a deleted row: DELETED (its id is never reused)
    - no version (a replay): UNCHANGED for the same content, else CONFLICT
    - a version: VERSION_MISMATCH unless it is the current one; then UNCHANGED for the
      same content, else UPDATED (the edit is the caller's, with :func:`revise`)
    """
    if stored is None:
        return Outcome.CREATED if expected_version is None else Outcome.NOT_FOUND
    if stored.patient_id != patient.pk:
        return Outcome.NOT_FOUND
    if stored.deleted_at is not None:
        return Outcome.DELETED
    if expected_version is not None and expected_version != stored.version:
        return Outcome.VERSION_MISMATCH
    if all(getattr(stored, name) == data[name] for name in CONTENT_FIELDS):
        return Outcome.UNCHANGED
    return Outcome.CONFLICT if expected_version is None else Outcome.UPDATED


def snapshot(entry: Entry) -> dict[str, Any]:
    """An entry's content as its revision keeps it."""
    values = {name: getattr(entry, name) for name in CONTENT_FIELDS}
    values["felt_at"] = entry.felt_at.isoformat()
    return values


def fill(entry: Entry, data: dict[str, Any], placement: Placement) -> None:
    """Set what the patient wrote and where it belongs."""
    for name in CONTENT_FIELDS:
        setattr(entry, name, data[name])
    placement.put_on(entry)


def clean(entry: Entry) -> None:
    """Field validators in Python; uniqueness and check constraints are the database's."""
    entry.full_clean(
        exclude=["patient", "visit"], validate_unique=False, validate_constraints=False
    )


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}


_DERIVED = ("local_date", "visit_id", "day")


def revise(
    entry: Entry, data: dict[str, Any], placement: Placement, *, actor: User
) -> EntryRevision:
    """Apply an UPDATED outcome in memory: the new content where ``placement`` (made under
    the patient's lock for ``data``'s felt_at) puts it, the next version; returns the
    revision that keeps the previous values. Neither is saved here. Raises
    ValidationError, leaving the entry as it was, when the content fails validation."""
    revision = EntryRevision(
        entry=entry,
        version=entry.version,
        action=EntryRevision.Action.UPDATE,
        changed_by=actor,
        values=snapshot(entry),
    )
    before = {name: getattr(entry, name) for name in (*CONTENT_FIELDS, *_DERIVED)}
    if data["felt_at"] == entry.felt_at:
        # An edit of what was felt, not when: the stored local date stands even if the
        # patient has moved to another zone since.
        placement = placement.on_stored_date(entry.local_date)
    fill(entry, data, placement)
    try:
        clean(entry)
    except ValidationError:
        for name, value in before.items():
            setattr(entry, name, value)
        raise
    entry.version += 1
    entry.updated_at = timezone.now()
    return revision


def audit_entry(audit: AuditContext, action: str, entry: Entry) -> None:
    """The audit row of one check-in's write, or of its read by a write path that answers
    with the stored entry (a replay, a 409 or 412)."""
    audit_record(
        audit=audit,
        action=action,
        resource="entry",
        patient_ids=[entry.patient_id],
        object_id=entry.pk,
    )


def lock_entry(entry_id: uuid.UUID) -> Entry | None:
    """The row with this id, locked for the rest of the transaction (anyone's)."""
    return Entry.objects.select_for_update().filter(pk=entry_id).first()
