"""Reads for check-ins, each scoped to the user asking (the one place that scoping lives)."""

from __future__ import annotations

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


def entry_owner(entry_id: object) -> object | None:
    """Whose entry an id is, deleted or not: only for recording refused attempts."""
    return Entry.objects.filter(pk=entry_id).values_list("patient_id", flat=True).first()
