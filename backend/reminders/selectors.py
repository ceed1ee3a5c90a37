"""Reads for reminders: a patient's settings and next reminder, and the last physician's
reminder of each patient (for the care team's patient card)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import User
from reminders.models import Reminder, ReminderSettings
from reminders.planning import Schedule


def reminder_settings_of(patient: User) -> Schedule:
    """The patient's settings (the defaults when they never changed them)."""
    return Schedule.of(ReminderSettings.objects.filter(patient=patient).first())


def next_reminder_at(patient: User, *, now: datetime) -> datetime | None:
    """When the patient's next planned reminder is due (it is skipped if they check in
    first), or None when none is planned."""
    return (
        Reminder.objects.filter(patient=patient, status=Reminder.Status.PLANNED, due_at__gt=now)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def with_last_reminder(patients: QuerySet[User]) -> QuerySet[User]:
    """Annotate ``last_reminder_at`` and ``last_reminder_by`` (the physician's display
    name): the latest physician's "Remind" of each patient, by correlated subqueries on the
    unique (patient, kind, local_date) index."""
    latest = Reminder.objects.filter(patient=OuterRef("pk"), kind=Reminder.Kind.PHYSICIAN).order_by(
        "-local_date"
    )
    return patients.annotate(
        last_reminder_at=Subquery(latest.values("created_at")[:1]),
        last_reminder_by=Subquery(latest.values("requested_by__display_name")[:1]),
    )
