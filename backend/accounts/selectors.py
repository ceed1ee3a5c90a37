"""Reads for the care team: which patients a user may see."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import CareLink, Role, User


def patients_visible_to(user: User) -> QuerySet[User]:
    """A physician's linked patients; a patient only themself."""
    patients = User.objects.filter(role=Role.PATIENT)
    if user.is_physician:
        return patients.filter(physician_links__physician=user)
    if user.is_patient:
        return patients.filter(pk=user.pk)
    return patients.none()


def with_activity(patients: QuerySet[User]) -> QuerySet[User]:
    """Annotate last check-in time and visit count with correlated subqueries (no fan-out)."""
    from diary.models import Entry
    from treatments.models import Visit

    last_entry = (
        Entry.objects.filter(patient=OuterRef("pk"), deleted_at__isnull=True)
        .values("patient")
        .annotate(last=Max("felt_at"))
        .values("last")
    )
    visit_count = (
        Visit.objects.filter(patient=OuterRef("pk"))
        .values("patient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return patients.annotate(
        last_checkin_at=Subquery(last_entry),
        visit_count=Coalesce(Subquery(visit_count, output_field=IntegerField()), Value(0)),
    )


def is_treating(*, physician: User, patient_id: object) -> bool:
    return CareLink.objects.filter(physician=physician, patient_id=patient_id).exists()


def patient_owner(patient_id: object) -> object | None:
    """The id itself if it names a patient: only for recording refused attempts."""
    return (
        User.objects.filter(pk=patient_id, role=Role.PATIENT).values_list("pk", flat=True).first()
    )
