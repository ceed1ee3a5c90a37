"""Reads for check-ins, each scoped to the user asking (the one place that scoping lives)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from diary.models import Entry


def entries_visible_to(user: User) -> QuerySet[Entry]:
    """A patient's own entries; a physician's patients' entries. Deleted entries never."""
    entries = Entry.objects.filter(deleted_at__isnull=True)
    if user.is_patient:
        return entries.filter(patient=user)
    if user.is_physician:
        return entries.filter(patient__physician_links__physician=user)
    return entries.none()


def entry_owner(entry_id: Any) -> Any:
    """Whose entry an id is, deleted or not: only for recording refused attempts."""
    return Entry.objects.filter(pk=entry_id).values_list("patient_id", flat=True).first()


# The API's check-in fields (EntrySerializer's output names) and the columns they come from.
ENTRY_OUTPUT = (
    ("id", "id"),
    ("patient", "patient_id"),
    ("felt_at", "felt_at"),
    ("recorded_at", "recorded_at"),
    ("updated_at", "updated_at"),
    ("local_date", "local_date"),
    ("visit", "visit_id"),
    ("day", "day"),
    ("pain", "pain"),
    ("soreness", "soreness"),
    ("bruising", "bruising"),
    ("iced", "iced"),
    ("heated", "heated"),
    ("strenuous_activity", "strenuous_activity"),
    ("notes", "notes"),
    ("version", "version"),
)
_NAMES = tuple(name for name, _ in ENTRY_OUTPUT)
ENTRY_COLUMNS = tuple(column for _, column in ENTRY_OUTPUT)


def entry_values(entries: QuerySet[Entry]) -> QuerySet[Any]:
    """The entries as column tuples (no model instances): the read path for lists."""
    return entries.values_list(*ENTRY_COLUMNS)


def entry_dicts(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows of ``entry_values`` as the API writes them: equal, once rendered, to
    ``EntrySerializer(many=True).data`` (UUIDs and dates are rendered by the JSON
    renderer, datetimes in UTC with "Z"), which a test holds it to."""
    return [dict(zip(_NAMES, row, strict=True)) for row in rows]


def entry_dict(entry: Entry) -> dict[str, Any]:
    """One entry instance as the API writes it (see ``entry_dicts``); datetimes in UTC."""
    row = {name: getattr(entry, column) for name, column in ENTRY_OUTPUT}
    for name in ("felt_at", "recorded_at", "updated_at"):
        row[name] = row[name].astimezone(UTC)
    return row
