"""Reminders to check in: each patient's settings, and one row per reminder planned or sent.

A reminder is a row from the moment it is planned (``planned``) to its end (``sent`` or
``skipped``), so "at most one per patient, kind and local day" is a unique constraint, and
finding the reminders due is a range scan of a partial index on ``due_at`` over the planned
rows only (``reminders.schedule``).
"""

from __future__ import annotations

from datetime import time
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

# The hours a reminder time may take. No timezone moves its clocks between 05:00 and 23:00,
# so every time in these ranges happens exactly once on every local day, DST days included;
# and the latest a missed evening reminder can go out (two hours late) is before midnight.
MORNING_EARLIEST = time(5, 0)
MORNING_LATEST = time(11, 59)
EVENING_EARLIEST = time(12, 0)
EVENING_LATEST = time(22, 0)
DEFAULT_EVENING = time(19, 0)


class ReminderSettings(models.Model):
    """A patient's choices. No row = the defaults: on, evening at 19:00, no morning one."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_settings",
    )
    enabled = models.BooleanField(default=True)
    evening_time = models.TimeField(default=DEFAULT_EVENING)
    morning_time = models.TimeField(null=True, blank=True)
    # The patient's timezone when their reminders were last planned: a save of the patient
    # in another zone re-plans them (reminders.apps).
    planned_timezone = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "reminder settings"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(evening_time__gte=EVENING_EARLIEST)
                & models.Q(evening_time__lte=EVENING_LATEST),
                name="reminder_evening_range",
            ),
            models.CheckConstraint(
                condition=models.Q(morning_time__isnull=True)
                | (
                    models.Q(morning_time__gte=MORNING_EARLIEST)
                    & models.Q(morning_time__lte=MORNING_LATEST)
                ),
                name="reminder_morning_range",
            ),
        ]

    def __str__(self) -> str:
        return f"reminders of {self.patient_id}"


class Reminder(models.Model):
    """One reminder to one patient for one local day: planned, then sent or skipped.

    ``due_at`` is the reminder time on ``local_date`` in the patient's timezone, as UTC.
    A physician's "Remind" is a row of kind ``physician``, so the same constraint allows
    one a day of those too.
    """

    class Kind(models.TextChoices):
        EVENING = "evening", "Evening"
        MORNING = "morning", "Morning"
        PHYSICIAN = "physician", "Asked by a physician"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        QUEUED = "queued", "Claimed by a tick, its send task enqueued"
        SENDING = "sending", "Being delivered"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    class Skip(models.TextChoices):
        LATE = "late", "More than two hours late (a worker was down)"
        CHECKED_IN = "checked_in", "The patient had checked in that day"
        OFF = "off", "Reminders turned off"
        OUTSIDE = "outside_window", "No longer within 14 days of a visit"

    class Channel(models.TextChoices):
        PUSH = "push", "Web Push"
        EMAIL = "email", "E-mail"

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique (patient, kind, local_date) constraint, which leads with it.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    local_date = models.DateField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PLANNED)
    skip_reason = models.CharField(max_length=16, choices=Skip.choices, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    # Who asked (kind physician only).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["patient", "kind", "local_date"], name="reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["evening", "morning", "physician"]),
                name="reminder_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["planned", "queued", "sending", "sent", "skipped"]),
                name="reminder_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="skipped") | models.Q(skip_reason=""),
                name="reminder_skip_reason_when_skipped",
            ),
        ]
        indexes: ClassVar = [
            # The tick's one query: the planned rows due by now, and nothing else.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="planned"),
                name="reminder_planned_due",
            ),
            # The sweep's: claimed rows whose send task was lost with its worker.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="queued"),
                name="reminder_queued_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.patient_id} on {self.local_date} ({self.status})"
