"""Reads for visits, scoped to the user asking."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from treatments.models import Visit


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """A patient's own visits; the visits of a physician's patients."""
    visits = Visit.objects.select_related("patient", "physician").prefetch_related("sites")
    if user.is_patient:
        return visits.filter(patient=user)
    if user.is_physician:
        return visits.filter(patient__physician_links__physician=user)
    return visits.none()


def visit_owner(visit_id: Any) -> Any:
    """Whose visit an id is: only for recording refused attempts."""
    return Visit.objects.filter(pk=visit_id).values_list("patient_id", flat=True).first()
