"""Patient check-ins, their history, and what the server derives from them."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Bruising(models.TextChoices):
    NONE = "none", "None"
    SMALL = "small", "Small"
    LARGE = "large", "Large (over about 4 cm²)"


# What the patient says; the rest of an entry is derived or bookkeeping.
CONTENT_FIELDS = (
    "felt_at",
    "pain",
    "soreness",
    "bruising",
    "iced",
    "heated",
    "strenuous_activity",
    "notes",
)


class Entry(models.Model):
    """One check-in. The id is chosen by the client, so a retried sync never duplicates.

    ``local_date`` is the patient-local date of ``felt_at`` in the patient's timezone at the
    time; ``visit`` is the latest visit of the patient performed at or before ``felt_at`` and
    ``day`` the number of local days since that visit's local date (both None before any
    visit). Deleting sets ``deleted_at``: nothing accepted is ever lost without trace.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # No index of its own on patient or visit: the (patient, -felt_at) and (visit, day)
    # indexes below lead with them, and every index is written on every check-in.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    felt_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    local_date = models.DateField()
    visit = models.ForeignKey(
        "treatments.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    day = models.IntegerField(null=True, blank=True)
    pain = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    soreness = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    bruising = models.CharField(max_length=8, choices=Bruising.choices, default=Bruising.NONE)
    iced = models.BooleanField(default=False)
    heated = models.BooleanField(default=False)
    strenuous_activity = models.BooleanField(default=False)
    notes = models.TextField(blank=True, max_length=5000)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-felt_at", "-recorded_at"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "-felt_at"]),
            models.Index(fields=["visit", "day"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(pain__gte=0, pain__lte=10), name="entry_pain_0_10"
            ),
            models.CheckConstraint(
                condition=models.Q(soreness__gte=0, soreness__lte=10), name="entry_soreness_0_10"
            ),
            models.CheckConstraint(
                condition=models.Q(bruising__in=Bruising.values), name="entry_bruising_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="entry_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(visit__isnull=True, day__isnull=True)
                | models.Q(visit__isnull=False, day__gte=0),
                name="entry_day_with_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.id} ({self.local_date})"


class EntryRevision(models.Model):
    """The values an entry had before an edit or a delete, kept for good."""

    class Action(models.TextChoices):
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    id = models.BigAutoField(primary_key=True)
    # The unique (entry, version) constraint indexes entry first.
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="revisions", db_index=False
    )
    version = models.PositiveIntegerField(help_text="The version these values had.")
    action = models.CharField(max_length=8, choices=Action.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    values = models.JSONField()

    class Meta:
        ordering: ClassVar = ["entry", "version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["entry", "version"], name="revision_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version} {self.action}"


class PatientDay(models.Model):
    """What one patient logged on one local date under one visit, kept as sums and counts
    (``diary.tallies`` recounts the touched rows in every transaction that writes check-ins
    or moves them between visits). The cohort, the course, a visit's recovery and the
    patient list's summaries read these instead of the raw check-ins.

    A key is (patient, local date, visit): the check-ins of one local date can belong to
    two visits (one performed that afternoon), and ``day`` follows from visit and local
    date. Rows with no visit (before the first one) still count towards baselines. Sums,
    not means, so a mean computed from a row is the raw rows' mean to the last bit.
    Deleted check-ins are not counted; a key with no check-in left has no row.
    """

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    local_date = models.DateField()
    visit = models.ForeignKey(
        "treatments.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    day = models.IntegerField(null=True, blank=True)
    pain_sum = models.PositiveIntegerField()
    soreness_sum = models.PositiveIntegerField()
    entries = models.PositiveIntegerField()
    large_bruising = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["patient", "local_date"]
        indexes: ClassVar = [models.Index(fields=["visit", "day"], name="patientday_visit_day")]
        constraints: ClassVar = [
            # Leads every lookup by patient: the recount and the baselines' 7 days; and the
            # conflict target of a check-in's upsert (``diary.tallies.days_add``).
            models.UniqueConstraint(
                fields=["patient", "local_date", "visit"], name="patientday_unique_key"
            ),
            # NULLs are distinct in the key above: this one holds the key without a visit
            # unique, and is the upsert's conflict target there.
            models.UniqueConstraint(
                fields=["patient", "local_date"],
                condition=models.Q(visit__isnull=True),
                name="patientday_unique_key_no_visit",
            ),
            models.CheckConstraint(condition=models.Q(entries__gte=1), name="patientday_entries"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.local_date} {self.visit_id}: {self.entries} check-ins"
