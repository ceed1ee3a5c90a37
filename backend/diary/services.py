"""Writes for check-ins: idempotent create, versioned edit and delete, visit assignment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from diary.models import CONTENT_FIELDS, Entry, EntryRevision
from treatments.models import Visit


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


@dataclass(frozen=True)
class Placement:
    local_date: date
    visit: Visit | None
    day: int | None


def local_date_for(patient: User, moment: datetime) -> date:
    """The patient-local calendar date of an instant, in the patient's IANA timezone."""
    return moment.astimezone(ZoneInfo(patient.timezone)).date()


def entry_placement(*, patient: User, felt_at: datetime) -> Placement:
    """Local date, visit (latest performed at or before felt_at) and day since that visit."""
    local = local_date_for(patient, felt_at)
    visit = (
        Visit.objects.filter(patient=patient, performed_at__lte=felt_at)
        .order_by("-performed_at", "-id")
        .only("id", "local_date")
        .first()
    )
    if visit is None:
        return Placement(local, None, None)
    return Placement(local, visit, day_since(local, visit.local_date))


def day_since(local: date, visit_date: date) -> int:
    """Local days since the visit's local date. An entry felt after the visit can carry an
    earlier local date only if the patient moved west since; it counts as day 0."""
    return max(0, (local - visit_date).days)


def _snapshot(entry: Entry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in CONTENT_FIELDS}
    values["felt_at"] = entry.felt_at.isoformat()
    return values


def _same_content(entry: Entry, data: dict[str, Any]) -> bool:
    return all(getattr(entry, name) == data[name] for name in CONTENT_FIELDS)


def _apply(entry: Entry, data: dict[str, Any]) -> None:
    for name in CONTENT_FIELDS:
        setattr(entry, name, data[name])
    placement = entry_placement(patient=entry.patient, felt_at=entry.felt_at)
    entry.local_date, entry.visit, entry.day = placement.local_date, placement.visit, placement.day


def entry_save(
    *,
    patient: User,
    entry_id: uuid.UUID,
    data: dict[str, Any],
    expected_version: int | None,
    request: Any = None,
) -> tuple[Entry, bool]:
    """Create the entry with the client's id, or replay/edit it. Returns (entry, created).

    - Unknown id: created (version 1).
    - Known id, no version: a replay. Same content returns the stored entry unchanged;
      different content raises EntryConflict (the client must fetch and send a version).
    - Known id with a version: an edit when the version is current, else EntryConflict
      (stale). The previous values are kept as an EntryRevision.
    Concurrent identical creates leave one row: the insert runs in a savepoint and a
    primary-key collision falls back to the replay path.
    """
    with transaction.atomic():
        existing = _lock_own(patient, entry_id)
        if existing is None:
            if expected_version is not None:
                raise EntryNotFound
            entry = Entry(id=entry_id, patient=patient)
            _apply(entry, data)
            try:
                with transaction.atomic():
                    entry.full_clean(
                        exclude=["patient", "visit"],
                        validate_unique=False,
                        validate_constraints=False,
                    )
                    entry.save(force_insert=True)
            except IntegrityError:
                # A concurrent create with the same id won the insert: replay against it.
                existing = _lock_own(patient, entry_id)
                if existing is None:
                    raise  # not an id collision: a real integrity error, never hidden
            else:
                audit_record(
                    request=request,
                    actor=patient,
                    action=AuditEvent.Action.CREATE,
                    resource="entry",
                    patient_ids=[patient.pk],
                    object_id=entry.pk,
                )
                return entry, True
        return _replay_or_edit(existing, data, expected_version, patient, request), False


def _lock_own(patient: User, entry_id: uuid.UUID) -> Entry | None:
    entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        return None
    if entry.patient_id != patient.pk:
        raise EntryNotFound
    if entry.deleted_at is not None:
        raise EntryGone(entry)
    entry.patient = patient
    return entry


def _replay_or_edit(
    entry: Entry, data: dict[str, Any], expected_version: int | None, actor: User, request: Any
) -> Entry:
    if expected_version is None:
        if _same_content(entry, data):
            return entry
        raise EntryConflict(entry, stale=False)
    if expected_version != entry.version:
        raise EntryConflict(entry, stale=True)
    if _same_content(entry, data):
        return entry
    EntryRevision.objects.create(
        entry=entry,
        version=entry.version,
        action=EntryRevision.Action.UPDATE,
        changed_by=actor,
        values=_snapshot(entry),
    )
    _apply(entry, data)
    entry.version += 1
    entry.updated_at = timezone.now()
    entry.full_clean(
        exclude=["patient", "visit"], validate_unique=False, validate_constraints=False
    )
    entry.save()
    audit_record(
        request=request,
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        resource="entry",
        patient_ids=[entry.patient_id],
        object_id=entry.pk,
    )
    return entry


def entry_delete(
    *, patient: User, entry_id: uuid.UUID, expected_version: int | None, request: Any = None
) -> None:
    """Soft-delete: the entry leaves every list, its last values stay as a revision."""
    with transaction.atomic():
        entry = _lock_own(patient, entry_id)
        if entry is None:
            raise EntryNotFound
        if expected_version is not None and expected_version != entry.version:
            raise EntryConflict(entry, stale=True)
        EntryRevision.objects.create(
            entry=entry,
            version=entry.version,
            action=EntryRevision.Action.DELETE,
            changed_by=patient,
            values=_snapshot(entry),
        )
        entry.deleted_at = timezone.now()
        entry.version += 1
        entry.save(update_fields=["deleted_at", "version"])
        audit_record(
            request=request,
            actor=patient,
            action=AuditEvent.Action.DELETE,
            resource="entry",
            patient_ids=[patient.pk],
            object_id=entry.pk,
        )


def entries_reassign(*, patient: User) -> int:
    """Re-derive visit and day for the patient's entries after their visits changed.

    Called in the visit's transaction. A patient has few visits and at most a few thousand
    entries, so this reads them once and writes only those that moved.
    """
    visits = list(
        Visit.objects.filter(patient=patient)
        .order_by("performed_at")
        .values_list("id", "performed_at", "local_date")
    )
    changed = []
    entries = Entry.objects.filter(patient=patient).only(
        "id", "felt_at", "local_date", "visit_id", "day"
    )
    for entry in entries:
        visit_id, day = None, None
        for vid, performed_at, visit_date in visits:
            if performed_at > entry.felt_at:
                break
            visit_id, day = vid, day_since(entry.local_date, visit_date)
        if (entry.visit_id, entry.day) != (visit_id, day):
            entry.visit_id, entry.day = visit_id, day
            changed.append(entry)
    Entry.objects.bulk_update(changed, ["visit", "day"], batch_size=500)
    return len(changed)
