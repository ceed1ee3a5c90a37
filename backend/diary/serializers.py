from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import AwareDateTimeField, StrictSerializer
from diary.models import Bruising
from diary.services import SYNC_MAX_ENTRIES

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


class EntrySyncItemSerializer(EntrySerializer):
    """One entry of a batch: as for PUT /entries/{id}/, with the id in the body."""

    id = serializers.UUIDField(help_text="Chosen by the client (UUID); the entry's identity.")


# Items are documented as free-form on purpose: each is validated on its own and a malformed
# one gets an "invalid" result with its field errors, not a 400 that would refuse the others.
@extend_schema_field(
    {
        "type": "array",
        "items": {
            "description": "A check-in as for PUT /entries/{id}/, with its `id` in the body. "
            "Anything else (even a non-object) is answered with an `invalid` result.",
        },
    }
)
class EntrySyncItemsField(serializers.ListField):
    """The entries, each validated on its own (an invalid one does not refuse the batch)."""


class EntrySyncRequestSerializer(StrictSerializer):
    entries = EntrySyncItemsField(
        max_length=SYNC_MAX_ENTRIES,
        help_text=f"Up to {SYNC_MAX_ENTRIES} check-ins, each idempotent by its id.",
    )


class EntrySyncResultSerializer(serializers.Serializer):
    id = serializers.CharField(
        allow_null=True, help_text="The id sent (null when an invalid item had none)."
    )
    status = serializers.ChoiceField(
        choices=[
            ("created", "Created"),
            ("unchanged", "Already held with this content (a replay)"),
            ("updated", "Edited (the version sent was current)"),
            ("conflict", "The id holds other content; send its version to edit"),
            ("version_mismatch", "The version sent is stale"),
            ("deleted", "The id was deleted and cannot be reused"),
            ("not_found", "No entry of yours has this id"),
            ("invalid", "Refused: see fields"),
        ]
    )
    version = serializers.IntegerField(
        required=False,
        help_text="The version the server holds (every status but not_found and invalid).",
    )
    entry = EntrySerializer(
        required=False, help_text="The stored entry, for conflict and version_mismatch."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid: each offending field with its messages.",
    )


class EntrySyncResponseSerializer(serializers.Serializer):
    results = EntrySyncResultSerializer(many=True, help_text="One per entry, in request order.")
