"""A physician's acknowledgement of a flag episode (issue #17).

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
