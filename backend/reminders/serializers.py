from __future__ import annotations

import re
from datetime import time
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import StrictSerializer
from reminders.models import EVENING_EARLIEST, EVENING_LATEST, MORNING_EARLIEST, MORNING_LATEST

CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
_CLOCK = re.compile(CLOCK_PATTERN)
# The schema's patterns say the allowed hours too (models.py), so a client can know them.
MORNING_PATTERN = "^(0[5-9]|1[01]):[0-5][0-9]$"  # 05:00-11:59
EVENING_PATTERN = "^((1[2-9]|2[01]):[0-5][0-9]|22:00)$"  # 12:00-22:00


class ClockTimeField(serializers.Field):
    """A local time of day as "HH:MM" (24-hour), between ``earliest`` and ``latest``."""

    def __init__(self, *, earliest: time, latest: time, **kwargs: Any) -> None:
        self.earliest, self.latest = earliest, latest
        kwargs.setdefault(
            "help_text", f"Local time, HH:MM, from {earliest:%H:%M} to {latest:%H:%M}."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> time:
        if not isinstance(data, str):
            raise serializers.ValidationError(_("Must be a string."))
        text = data.strip()
        if not _CLOCK.fullmatch(text):
            raise serializers.ValidationError(_("Use a 24-hour time such as 19:00."))
        value = time(int(text[:2]), int(text[3:]))
        if not self.earliest <= value <= self.latest:
            raise serializers.ValidationError(
                _("Choose a time from %(earliest)s to %(latest)s.")
                % {"earliest": f"{self.earliest:%H:%M}", "latest": f"{self.latest:%H:%M}"}
            )
        return value

    def to_representation(self, value: Any) -> str:
        return f"{value:%H:%M}"


@extend_schema_field({"type": "string", "pattern": MORNING_PATTERN, "example": "08:00"})
class MorningTimeField(ClockTimeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(earliest=MORNING_EARLIEST, latest=MORNING_LATEST, **kwargs)


@extend_schema_field({"type": "string", "pattern": EVENING_PATTERN, "example": "19:00"})
class EveningTimeField(ClockTimeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(earliest=EVENING_EARLIEST, latest=EVENING_LATEST, **kwargs)


class ReminderSettingsSerializer(StrictSerializer):
    enabled = serializers.BooleanField(
        required=False, help_text="Reminders on (days 0-14 after each visit) or off."
    )
    evening_time = EveningTimeField(required=False)
    morning_time = MorningTimeField(
        required=False,
        allow_null=True,
        help_text=(
            f"A second reminder in the morning: local time, HH:MM, from "
            f"{MORNING_EARLIEST:%H:%M} to {MORNING_LATEST:%H:%M}; null for none."
        ),
    )
    timezone = serializers.CharField(
        read_only=True, help_text="The patient's timezone, which the times are in."
    )
    next_reminder_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the next reminder is due (skipped if the patient checks in first).",
    )


class LastReminderSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the physician asked for it.")
    by = serializers.CharField(allow_null=True, help_text="The physician's display name.")


class AlreadyRemindedSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    next_allowed_at = serializers.DateTimeField(
        help_text="When the next reminder may be sent: the patient's next local midnight."
    )
