"""Writes for check-ins: idempotent create, versioned edit and delete (placed by diary.placement)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from accounts.models import User
from accounts.patient_time import lock_patient
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many
from config.bulk import copy_rows
from diary.models import CONTENT_FIELDS, Entry, EntryRevision
from diary.placement import Placement, Timeline, lock_patient_and_place


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


def _snapshot(entry: Entry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in CONTENT_FIELDS}
    values["felt_at"] = entry.felt_at.isoformat()
    return values


def _same_content(entry: Entry, data: dict[str, Any]) -> bool:
    return all(getattr(entry, name) == data[name] for name in CONTENT_FIELDS)


def _apply(entry: Entry, data: dict[str, Any], placement: Placement) -> None:
    for name in CONTENT_FIELDS:
        setattr(entry, name, data[name])
    entry.local_date, entry.visit_id, entry.day = (
        placement.local_date,
        placement.visit_id,
        placement.day,
    )


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

    A create is the hot path (a phone checking in) and costs one statement to lock the
    patient and find the visit, one ``INSERT ... ON CONFLICT (id) DO NOTHING`` and the
    audit row. An id that already exists (a replay, someone else's, a deleted one, or a
    concurrent identical create that committed first) inserts nothing and continues as a
    replay against the locked row, so no id is ever written twice.
    """
    with transaction.atomic():
        placement = lock_patient_and_place(patient, data["felt_at"])
        if expected_version is None:
            entry = Entry(id=entry_id, patient=patient)
            _apply(entry, data, placement)
            _clean(entry)
            if _insert_skipping_existing([entry]):
                entry._state.adding, entry._state.db = False, router.db_for_write(Entry)
                audit_record(
                    request=request,
                    actor=patient,
                    action=AuditEvent.Action.CREATE,
                    resource="entry",
                    patient_ids=[patient.pk],
                    object_id=entry.pk,
                )
                return entry, True
        existing = _lock_own(patient, entry_id)
        if existing is None:
            if expected_version is not None:
                raise EntryNotFound
            raise IntegrityError(f"entry {entry_id} was neither inserted nor found")
        try:
            return _replay_or_edit(existing, data, expected_version, placement, request), False
        except EntryConflict as exc:
            # The 409/412 answer carries the stored entry: a read, recorded in this
            # transaction, which commits (nothing was written but the audit row).
            _audit_read(request, exc.entry)
            conflict = exc
    raise conflict


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
    entry: Entry,
    data: dict[str, Any],
    expected_version: int | None,
    placement: Placement,
    request: Any,
) -> Entry:
    """The patient's own stored entry: a replay, a conflict, or an edit placed where
    ``placement`` (computed under the patient's lock for ``data``'s felt_at) says."""
    actor = entry.patient
    if expected_version is None:
        if _same_content(entry, data):
            # A replay answers with the stored entry: a read.
            _audit_read(request, entry)
            return entry
        raise EntryConflict(entry, stale=False)
    if expected_version != entry.version:
        raise EntryConflict(entry, stale=True)
    if _same_content(entry, data):
        _audit_read(request, entry)
        return entry
    EntryRevision.objects.create(
        entry=entry,
        version=entry.version,
        action=EntryRevision.Action.UPDATE,
        changed_by=actor,
        values=_snapshot(entry),
    )
    _apply(entry, data, placement)
    entry.version += 1
    entry.updated_at = timezone.now()
    _clean(entry)
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


def _audit_read(request: Any, entry: Entry) -> None:
    """A write path that answers with the stored entry (a replay, a 409 or 412) reads it."""
    audit_record(
        request=request,
        actor=entry.patient,
        action=AuditEvent.Action.READ,
        resource="entry",
        patient_ids=[entry.patient_id],
        object_id=entry.pk,
    )


def entry_delete(
    *, patient: User, entry_id: uuid.UUID, expected_version: int | None, request: Any = None
) -> None:
    """Soft-delete: the entry leaves every list, its last values stay as a revision."""
    with transaction.atomic():
        lock_patient(patient)
        entry = _lock_own(patient, entry_id)
        if entry is None:
            raise EntryNotFound
        stale = expected_version is not None and expected_version != entry.version
        if stale:
            # The 412 answer carries the stored entry: a read (see entry_save).
            _audit_read(request, entry)
        else:
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
    if stale:
        raise EntryConflict(entry, stale=True)


# --- batch sync ----------------------------------------------------------------------------

SYNC_MAX_ENTRIES = 500


class SyncStatus:
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    CONFLICT = "conflict"
    VERSION_MISMATCH = "version_mismatch"
    DELETED = "deleted"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass(frozen=True)
class SyncItem:
    """One validated entry of a batch: its id, content (CONTENT_FIELDS) and the version
    being edited (None for a create or a replay)."""

    id: uuid.UUID
    data: dict[str, Any]
    version: int | None = None
    # True when the fields were checked by ``quick_entry_item``, whose accepted values
    # always pass the model's field validation too (so ``_clean`` is skipped for them).
    checked: bool = False


@dataclass
class SyncResult:
    """What became of one item. ``entry`` is the stored entry (absent for not_found and
    invalid); ``fields`` the field errors of an invalid item."""

    id: uuid.UUID
    status: str
    entry: Entry | _NewEntry | None = None
    fields: dict[str, list[str]] | None = None
    audit: dict[str, Any] | None = None


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}


def _clean(entry: Entry) -> None:
    """Field validators in Python; uniqueness and check constraints are the database's."""
    entry.full_clean(
        exclude=["patient", "visit"], validate_unique=False, validate_constraints=False
    )


def entries_sync(
    *, patient: User, items: Sequence[SyncItem], request: Any = None
) -> list[SyncResult]:
    """Save a phone's outbox in one transaction; one result per item, in order.

    Each item gets exactly what ``entry_save`` would do with it (PUT /entries/{id}/):
    created, unchanged (a replay), updated (an edit of the current version, with its
    revision), conflict (other content, no version), version_mismatch (stale version),
    deleted (the id was deleted; never re-created), not_found (someone else's id, or a
    version for an unknown id: nothing about it is returned, and a denied audit row names
    the real owner) or invalid (model validation; ``fields``). Ids must be distinct.

    Cost does not grow in queries with the batch: one SELECT ... FOR UPDATE of the batch's
    ids, one read of the patient's visits (when anything is placed), the new entries in one
    statement (a binary COPY on PostgreSQL, ``_insert_new``), one insert of revisions and
    one UPDATE for edits when there are any, and one audit insert (a COPY from
    ``audit.services.COPY_FROM`` rows). This patient's writers are serialised by the patient
    lock; an id committed by someone else's writer after our read makes the insert skip
    that row, which is then re-read and answered like the single path does after its
    IntegrityError, so no id is ever written twice.
    """
    results: list[SyncResult] = []
    if not items:
        return results
    if len({item.id for item in items}) != len(items):
        raise ValueError("entries_sync needs distinct ids")
    with transaction.atomic():
        lock_patient(patient)
        stored = {
            entry.pk: entry
            for entry in Entry.objects.select_for_update()
            .filter(pk__in=[item.id for item in items])
            .order_by("pk")
        }
        timeline = Timeline(patient)
        now = timezone.now()
        edited: list[tuple[Entry, EntryRevision]] = []
        creates: list[int] = []
        for item in items:
            entry = stored.get(item.id)
            if entry is None:
                result = _sync_new(patient, item, timeline, now)
                if result.status == SyncStatus.CREATED:
                    creates.append(len(results))
            else:
                result = _sync_existing(patient, entry, item, timeline, edited)
            results.append(result)

        new = sorted((results[i].entry for i in creates), key=lambda e: e.pk)  # type: ignore[union-attr]
        inserted = _insert_new(new)
        lost = [i for i in creates if results[i].id not in inserted]
        if lost:
            # Someone else committed these ids after our read: replay against their rows.
            winners = {
                entry.pk: entry
                for entry in Entry.objects.select_for_update()
                .filter(pk__in=[results[i].id for i in lost])
                .order_by("pk")
            }
            for i in lost:
                winner = winners.get(results[i].id)
                if winner is None:
                    raise IntegrityError(f"entry {results[i].id} was neither inserted nor found")
                results[i] = _sync_existing(patient, winner, items[i], timeline, edited)
        if edited:
            EntryRevision.objects.bulk_create([revision for _entry, revision in edited])
            Entry.objects.bulk_update(
                [entry for entry, _revision in edited],
                [*CONTENT_FIELDS, "local_date", "visit", "day", "version", "updated_at"],
            )
        audit_record_many(
            request=request,
            actor=patient,
            events=[result.audit for result in results if result.audit is not None],
        )
    return results


@dataclass(slots=True)
class _NewEntry:
    """A check-in a batch creates, as the row it becomes: the values ``Entry(...)`` would
    hold, by column, without building a model instance for each of up to 500 (that and the
    ORM's per-field preparation were a third of a batch's CPU)."""

    id: uuid.UUID
    patient: User
    felt_at: datetime
    pain: int
    soreness: int
    bruising: str
    iced: bool
    heated: bool
    strenuous_activity: bool
    notes: str
    recorded_at: datetime
    local_date: date | None = None
    visit_id: uuid.UUID | None = None
    day: int | None = None
    version: int = 1
    deleted_at: datetime | None = None

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def patient_id(self) -> uuid.UUID:
        return self.patient.pk

    @property
    def updated_at(self) -> datetime:
        return self.recorded_at


def _sync_new(patient: User, item: SyncItem, timeline: Timeline, now: datetime) -> SyncResult:
    if item.version is not None:
        # An edit of an id that exists nowhere: a 404 for the single PUT, audited.
        return SyncResult(item.id, SyncStatus.NOT_FOUND, audit=_denied(item.id, None))
    if item.checked:
        data = {name: item.data[name] for name in CONTENT_FIELDS}
        entry = _NewEntry(id=item.id, patient=patient, recorded_at=now, **data)
        timeline.place_entry(entry)
    else:
        # Not recognised by quick_entry_item: the model's field validation decides, and
        # the row takes the values as the model cleaned them.
        model = Entry(id=item.id, patient=patient, **{n: item.data[n] for n in CONTENT_FIELDS})
        timeline.place_entry(model)
        try:
            _clean(model)
        except ValidationError as exc:
            return SyncResult(item.id, SyncStatus.INVALID, fields=_field_errors(exc))
        entry = _NewEntry(
            id=item.id,
            patient=patient,
            recorded_at=now,
            local_date=model.local_date,
            visit_id=model.visit_id,
            day=model.day,
            **{name: getattr(model, name) for name in CONTENT_FIELDS},
        )
    return SyncResult(
        item.id,
        SyncStatus.CREATED,
        entry=entry,
        audit={
            "action": AuditEvent.Action.CREATE,
            "resource": "entry",
            "patient_id": patient.pk,
            "object_id": entry.pk,
        },
    )


def _read(entry: Entry) -> dict[str, Any]:
    return {
        "action": AuditEvent.Action.READ,
        "resource": "entry",
        "patient_id": entry.patient_id,
        "object_id": entry.pk,
    }


def _denied(entry_id: uuid.UUID, owner_id: Any) -> dict[str, Any]:
    return {
        "action": AuditEvent.Action.UPDATE,  # what the same item sent as a PUT records
        "resource": "entry",
        "patient_id": owner_id,
        "object_id": entry_id,
        "outcome": AuditEvent.Outcome.DENIED,
    }


def _sync_existing(
    patient: User,
    entry: Entry,
    item: SyncItem,
    timeline: Timeline,
    edited: list[tuple[Entry, EntryRevision]],
) -> SyncResult:
    """``_lock_own`` + ``_replay_or_edit`` for a row already read and locked."""
    if entry.patient_id != patient.pk:
        return SyncResult(item.id, SyncStatus.NOT_FOUND, audit=_denied(item.id, entry.patient_id))
    if entry.deleted_at is not None:
        return SyncResult(item.id, SyncStatus.DELETED, entry=entry)
    entry.patient = patient
    # A conflict or version_mismatch result carries the stored entry: a read.
    if item.version is None:
        if _same_content(entry, item.data):
            return SyncResult(item.id, SyncStatus.UNCHANGED, entry)
        return SyncResult(item.id, SyncStatus.CONFLICT, entry, audit=_read(entry))
    if item.version != entry.version:
        return SyncResult(item.id, SyncStatus.VERSION_MISMATCH, entry=entry, audit=_read(entry))
    if _same_content(entry, item.data):
        return SyncResult(item.id, SyncStatus.UNCHANGED, entry=entry)
    revision = EntryRevision(
        entry=entry,
        version=entry.version,
        action=EntryRevision.Action.UPDATE,
        changed_by=patient,
        values=_snapshot(entry),
    )
    before = {name: getattr(entry, name) for name in (*CONTENT_FIELDS, "local_date", "day")}
    before_visit = entry.visit_id
    for name in CONTENT_FIELDS:
        setattr(entry, name, item.data[name])
    timeline.place_entry(entry)
    try:
        _clean(entry)
    except ValidationError as exc:
        for name, value in before.items():
            setattr(entry, name, value)
        entry.visit_id = before_visit
        return SyncResult(item.id, SyncStatus.INVALID, fields=_field_errors(exc))
    entry.version += 1
    entry.updated_at = timezone.now()
    edited.append((entry, revision))
    return SyncResult(
        item.id,
        SyncStatus.UPDATED,
        entry=entry,
        audit={
            "action": AuditEvent.Action.UPDATE,
            "resource": "entry",
            "patient_id": patient.pk,
            "object_id": entry.pk,
        },
    )


def _max_params(connection: BaseDatabaseWrapper) -> int:
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old 999; the library in use says its real limit.
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def _insert_skipping_existing(entries: list[Entry]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id: the ids this call inserted.

    Django's ``bulk_create(ignore_conflicts=True)`` does not say which rows were skipped,
    and that is exactly what tells a create from a lost race. PostgreSQL waits for a
    concurrent uncommitted insert of the same id and then skips it; SQLite (3.35+) takes
    the write lock for the whole transaction, so it never races.
    """
    if not entries:
        return set()
    connection = connections[router.db_for_write(Entry)]
    quote = connection.ops.quote_name
    fields = list(Entry._meta.concrete_fields)
    pk_column = quote(Entry._meta.pk.column)
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(Entry._meta.db_table)
    conflict = f"ON CONFLICT ({pk_column}) DO NOTHING RETURNING {pk_column}"

    if connection.vendor == "postgresql":
        # One array per column: the statement's text (and psycopg's parse of it) is the same
        # for 1 or 500 rows, where a VALUES list of 500 rows costs more to build than to run.
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        statements = [
            (
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) {conflict}",
                [[field.get_db_prep_save(field.pre_save(e, True), connection) for e in entries]
                 for field in fields],
            )
        ]  # fmt: skip
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, _max_params(connection) // len(fields))
        chunks = [entries[i : i + per_statement] for i in range(0, len(entries), per_statement)]
        statements = [
            (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))} {conflict}",
                [field.get_db_prep_save(field.pre_save(e, True), connection)
                 for e in chunk for field in fields],
            )
            for chunk in chunks
        ]  # fmt: skip
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            inserted.update(Entry._meta.pk.to_python(value) for (value,) in cursor.fetchall())
    return inserted


def _insert_new(entries: list[_NewEntry]) -> set[uuid.UUID]:
    """A batch's new entries; the ids it inserted, as ``_insert_skipping_existing``.

    On PostgreSQL one binary COPY, in a savepoint: the patient is locked and the batch's
    ids were read, so an id can only be there already if another patient's transaction
    committed it since; COPY then fails on the primary key, and the savepoint's rollback
    leaves the INSERT ... ON CONFLICT DO NOTHING to tell which rows were taken.
    """
    connection = connections[router.db_for_write(Entry)]
    if not entries or connection.vendor != "postgresql":
        return _insert_skipping_existing(entries)  # type: ignore[arg-type]
    fields = Entry._meta.concrete_fields
    columns = [(field.column, field.db_type(connection)) for field in fields]
    names = [field.attname for field in fields]
    try:
        with transaction.atomic(using=connection.alias):
            copy_rows(
                connection,
                Entry._meta.db_table,
                columns,
                ([getattr(entry, name) for name in names] for entry in entries),
            )
    except IntegrityError:
        return _insert_skipping_existing(entries)  # type: ignore[arg-type]
    return {entry.id for entry in entries}
