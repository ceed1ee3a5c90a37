"""Reads for the care team: which patients a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Practice, Role, User


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


def practice_physicians(practice: Practice | None) -> QuerySet[User]:
    """The physicians of a practice (none for no practice)."""
    if practice is None:
        return User.objects.none()
    return User.objects.filter(practice=practice, role=Role.PHYSICIAN)


def practice_patients(practice: Practice | None) -> QuerySet[User]:
    """The patients on the care team of any physician of a practice: for aggregates over
    the practice only, never for showing a patient (``patients_visible_to`` decides that)."""
    if practice is None:
        return User.objects.none()
    return User.objects.filter(
        role=Role.PATIENT,
        physician_links__physician__practice=practice,
        physician_links__physician__role=Role.PHYSICIAN,
    ).distinct()


def practice_members(practice: Practice | None) -> QuerySet[User]:
    """The active physicians, staff and administrators of a practice, by role then name."""
    if practice is None:
        return User.objects.none()
    return User.objects.filter(practice=practice, is_active=True).order_by(
        "role", "display_name", "id"
    )
