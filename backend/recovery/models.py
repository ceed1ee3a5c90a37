"""A physician's acknowledgement of a flag episode (issue #17), and the kept cohort answers
(issue #19).

Flags are computed, not stored (``recovery.analytics.visit_flags``): an episode is named by
its visit, code and the day it was raised, which never changes once raised (a later
check-in can resolve it or open a new episode with its own day, never move this one). So an
acknowledgement is keyed by those three, once each.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from recovery.analytics import FLAG_CODES
from treatments.models import Visit

NOTE_MAX_LENGTH = 500


class FlagAcknowledgement(models.Model):
    """Who acknowledged which flag episode, when, with an optional note."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="flag_acknowledgements", db_index=False
    )
    code = models.CharField(max_length=32, choices=[(code, code) for code in FLAG_CODES])
    raised_day = models.PositiveSmallIntegerField()
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        constraints: ClassVar = [
            # Also the index for "this visit's acknowledgements" (it leads with visit).
            models.UniqueConstraint(
                fields=["visit", "code", "raised_day"], name="flag_ack_once_per_episode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} of visit {self.visit_id} (day {self.raised_day})"


class KeptCohort(models.Model):
    """A cohort answer (curve and rates) as computed for one scope and filters, served again
    until ``settings.COHORT_MAX_AGE`` seconds after ``computed_at`` (``recovery.cohort``).

    Aggregates only, as the API answers them: no patient, visit or date. ``key`` names the
    scope, whose it is (the physician for ``mine``, the practice for ``practice``) and the
    filters; ``physician``/``practice`` and ``filters`` are what recomputing it needs."""

    key = models.CharField(max_length=200, unique=True)
    scope = models.CharField(max_length=16)
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    practice = models.ForeignKey(
        "accounts.Practice",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    filters = models.JSONField(default=dict)
    curve = models.JSONField()
    rates = models.JSONField()
    # When the computation began: every check-in committed before it is in the answer.
    computed_at = models.DateTimeField()
    # When it was last asked for (to the hour): the worker keeps fresh what is asked for.
    requested_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["requested_at"], name="kept_cohort_requested")]

    def __str__(self) -> str:
        return f"cohort {self.key} as of {self.computed_at:%Y-%m-%d %H:%M:%S}"
