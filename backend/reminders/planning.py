"""When a patient's reminders fall: the rule (pure), and keeping the planned rows in step.

The rule: on each local day from a visit's day 0 to day 14, one reminder at each time the
patient chose (the evening one, and the morning one if any), in the patient's timezone,
provided that moment is after the visit itself. Days of overlapping visits are one day.
Whether the patient has already checked in that day is decided when the reminder is due
(``reminders.services.reminder_send``), not here.

The planned rows are kept in step eagerly: ``reminders_replan`` runs in the transaction
of whatever changed the answer (a visit recorded or moved, the settings, the patient's
timezone; see ``reminders.apps`` for the signals that call it), so the tick never has to
look at a patient who has nothing due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from accounts.patient_time import local_date_for, lock_patient
from reminders.models import DEFAULT_EVENING, Reminder, ReminderSettings
from treatments.models import Visit

# Days 0 to 14 after a visit have reminders.
WINDOW_DAYS = 14
# A reminder more than this late (a worker was down at its time) is skipped, not sent.
LATE_AFTER = timedelta(hours=2)

Key = tuple[str, date]  # (kind, local date)


@dataclass(frozen=True)
class Schedule:
    """A patient's reminder settings, as the rule needs them."""

    enabled: bool = True
    evening_time: time = DEFAULT_EVENING
    morning_time: time | None = None

    @classmethod
    def of(cls, row: ReminderSettings | None) -> Schedule:
        if row is None:
            return cls()
        return cls(row.enabled, row.evening_time, row.morning_time)

    def times(self) -> dict[str, time]:
        """Each kind of scheduled reminder the patient gets, with its local time."""
        if not self.enabled:
            return {}
        times = {Reminder.Kind.EVENING.value: self.evening_time}
        if self.morning_time is not None:
            times[Reminder.Kind.MORNING.value] = self.morning_time
        return times


def due_at(local_date: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local time ``at`` on ``local_date`` in ``zone``. On a DST day this
    is still that wall-clock time (19:00 is 23:00 UTC in New York in summer, 00:00 UTC the
    next day in winter); the allowed times (reminders.models) never fall in a clock change."""
    return datetime.combine(local_date, at, tzinfo=zone).astimezone(UTC)


def planned_reminders(
    *,
    visits: Iterable[tuple[date, datetime]],
    schedule: Schedule,
    timezone: str,
    after: datetime,
) -> dict[Key, datetime]:
    """The reminders the rule gives, due after ``after``: {(kind, local date): due at}.

    ``visits`` are (local date, performed at) pairs: a reminder belongs to a local day
    from day 0 to day 14 of a visit and is due after that visit was performed."""
    zone = ZoneInfo(timezone)
    times = schedule.times()
    plan: dict[Key, datetime] = {}
    for visit_date, performed_at in visits:
        for offset in range(WINDOW_DAYS + 1):
            day = visit_date + timedelta(days=offset)
            for kind, at in times.items():
                moment = due_at(day, at, zone)
                if moment > performed_at and moment > after:
                    plan[(kind, day)] = moment
    return plan


def visits_near(patient: User, on: date) -> list[tuple[date, datetime]]:
    """The patient's visits whose window can hold ``on`` or a later day."""
    return list(
        Visit.objects.filter(
            patient=patient, local_date__gte=on - timedelta(days=WINDOW_DAYS)
        ).values_list("local_date", "performed_at")
    )


def reminders_replan(*, patient: User, now: datetime) -> None:
    """Bring the patient's planned reminders in line with the rule: add the missing ones,
    move those whose time changed, drop those no longer wanted. Only rows still planned
    and not yet due are changed; a row already sent or skipped for a day keeps that day
    from getting another (the unique constraint), and one due but not yet claimed is left
    to the tick and the send task, which check the rule again."""
    with transaction.atomic():
        lock_patient(patient)
        row, _ = ReminderSettings.objects.get_or_create(patient=patient)
        wanted = planned_reminders(
            visits=visits_near(patient, local_date_for(patient, now)),
            schedule=Schedule.of(row),
            timezone=patient.timezone,
            after=now,
        )
        planned = {
            (r.kind, r.local_date): r
            for r in Reminder.objects.filter(
                patient=patient,
                status=Reminder.Status.PLANNED,
                kind__in=[Reminder.Kind.EVENING, Reminder.Kind.MORNING],
            )
        }
        dropped = [r.pk for key, r in planned.items() if key not in wanted and r.due_at > now]
        if dropped:
            Reminder.objects.filter(pk__in=dropped, status=Reminder.Status.PLANNED).delete()
        moved = []
        for key, moment in wanted.items():
            if (r := planned.get(key)) is not None and r.due_at != moment:
                r.due_at = moment
                moved.append(r)
        if moved:
            Reminder.objects.bulk_update(moved, ["due_at"])
        # A day that already has its reminder (sent, skipped, or in flight) keeps it: the
        # conflict on the unique constraint is ignored.
        Reminder.objects.bulk_create(
            [
                Reminder(patient=patient, kind=kind, local_date=day, due_at=moment)
                for (kind, day), moment in wanted.items()
                if (kind, day) not in planned
            ],
            ignore_conflicts=True,
        )
        if row.planned_timezone != patient.timezone:
            row.planned_timezone = patient.timezone
            row.save(update_fields=["planned_timezone"])
