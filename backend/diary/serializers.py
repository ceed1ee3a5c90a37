from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from config.api import AwareDateTimeField, StrictSerializer
from diary.models import Bruising

FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class EntrySerializer(StrictSerializer):
    id = serializers.UUIDField(
        required=False, help_text="Chosen by the client (UUID) so that a retried sync is safe."
    )
    patient = serializers.UUIDField(read_only=True, source="patient_id")
    felt_at = AwareDateTimeField(help_text="When the patient felt this (with UTC offset).")
    recorded_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    local_date = serializers.DateField(read_only=True)
    visit = serializers.UUIDField(read_only=True, source="visit_id", allow_null=True)
    day = serializers.IntegerField(read_only=True, allow_null=True)
    pain = serializers.IntegerField(min_value=0, max_value=10, help_text="0 no pain … 10 worst")
    soreness = serializers.IntegerField(
        min_value=0, max_value=10, help_text="Soreness at the injection sites, 0-10."
    )
    bruising = serializers.ChoiceField(choices=Bruising.choices, default=Bruising.NONE)
    iced = serializers.BooleanField(default=False)
    heated = serializers.BooleanField(default=False)
    strenuous_activity = serializers.BooleanField(default=False)
    notes = serializers.CharField(
        max_length=5000, allow_blank=True, default="", trim_whitespace=False
    )
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version being edited (or send If-Match). Omit when creating.",
    )

    def validate_felt_at(self, value: datetime) -> datetime:
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("Cannot be more than 10 minutes in the future.")
        if value < EARLIEST:
            raise serializers.ValidationError("Must be after 2000-01-01.")
        return value

    def validate_notes(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class EntryConflictSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    version = serializers.IntegerField(help_text="The version the server holds.")
    entry = EntrySerializer(required=False)
