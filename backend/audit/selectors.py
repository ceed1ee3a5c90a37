from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from audit.models import AuditEvent

if TYPE_CHECKING:  # audit sits below accounts: the user's type only, never its code
    from accounts.models import User


def audit_events_for(user: User) -> QuerySet[AuditEvent]:
    """A patient sees every access to their data; a physician sees what they did."""
    events = AuditEvent.objects.select_related("actor").only(
        "id",
        "at",
        "actor_role",
        "action",
        "resource",
        "object_id",
        "patient_id",
        "outcome",
        "client_address",
        "actor__id",
        "actor__display_name",
    )
    if user.is_patient:
        return events.filter(patient=user)
    return events.filter(actor=user)
