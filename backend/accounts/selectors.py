"""Reads for the care team: which patients a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role, User


def patients_visible_to(user: User) -> QuerySet[User]:
    """A physician's linked patients; a patient only themself."""
    patients = User.objects.filter(role=Role.PATIENT)
    if user.is_physician:
        return patients.filter(physician_links__physician=user)
    if user.is_patient:
        return patients.filter(pk=user.pk)
    return patients.none()


def patient_owner(patient_id: object) -> object | None:
    """The id itself if it names a patient: only for recording refused attempts."""
    return (
        User.objects.filter(pk=patient_id, role=Role.PATIENT).values_list("pk", flat=True).first()
    )
