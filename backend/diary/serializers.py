from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import INT_MAX, AwareDateTimeField, StrictSerializer
from diary.actions.sync import SYNC_MAX_ENTRIES
from diary.models import Bruising
from treatments.models import EARLIEST, FUTURE_TOLERANCE


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
        # The column's own bound: a larger number is a 400 here, never a database error.
        max_value=INT_MAX,
        required=False,
        help_text="The version being edited (or send If-Match). Omit when creating.",
    )

    def validate_felt_at(self, value: datetime) -> datetime:
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("Cannot be more than 10 minutes in the future."))
        if value < EARLIEST:
            raise serializers.ValidationError(_("Must be after 2000-01-01."))
        return value

    def validate_notes(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value


class EntryEditSerializer(EntrySerializer):
    """PUT and PATCH /entries/{id}/ as documented: the id is the URL's. (An ``id`` in the
    body is taken only when it is that same id, which a schema cannot say.)"""

    id = None  # type: ignore[assignment]  # DRF's way to drop an inherited field


class EntryPatchSerializer(EntryEditSerializer):
    """PATCH as documented: any fields, and ``version`` always (the edit is refused without
    it, 400). A client may send If-Match instead, which the schema cannot tie to the body."""

    schema_required_in_patch = ("version",)


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
    fields = serializers.DictField(  # type: ignore[assignment]  # the field named "fields"
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid: each offending field with its messages.",
    )


class EntrySyncResponseSerializer(serializers.Serializer):
    results = EntrySyncResultSerializer(many=True, help_text="One per entry, in request order.")


_ITEM_KEYS = frozenset(
    ("id", "felt_at", "pain", "soreness", "bruising", "iced", "heated",
     "strenuous_activity", "notes", "version")
)  # fmt: skip
_BRUISING = frozenset(Bruising.values)
_FLAGS = ("iced", "heated", "strenuous_activity")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _score(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 10


def quick_entry_item(raw: Any) -> dict[str, Any] | None:
    """What ``EntrySyncItemSerializer().run_validation(raw)`` returns for an ordinary,
    valid check-in, without building DRF fields; None for anything else (then the
    serializer itself decides and words the errors).

    It accepts only what the serializer accepts and returns the same values (a test holds
    the two equal on generated input), so a batch of 500 ordinary check-ins skips the
    per-field machinery without a single different answer.
    """
    if type(raw) is not dict or not raw.keys() <= _ITEM_KEYS:
        return None
    entry_id, felt, notes = raw.get("id"), raw.get("felt_at"), raw.get("notes", "")
    if type(entry_id) is not str or type(felt) is not str or type(notes) is not str:
        return None
    if not (_score(raw.get("pain")) and _score(raw.get("soreness"))):
        return None
    bruising = raw.get("bruising", Bruising.NONE.value)
    if type(bruising) is not str or bruising not in _BRUISING:
        return None
    if any(type(raw.get(flag, False)) is not bool for flag in _FLAGS):
        return None
    if len(notes) > 5000 or "\x00" in notes or (not notes.isascii() and _SURROGATE.search(notes)):
        return None
    version = raw.get("version")
    if version is not None and not (type(version) is int and 1 <= version <= INT_MAX):
        return None
    text = felt.strip()
    if not (text.endswith(("Z", "z")) or "+" in text[10:] or "-" in text[10:]):
        return None
    try:
        parsed = parse_datetime(felt)
        uid = uuid.UUID(entry_id)
        if parsed is None or parsed.utcoffset() is None:
            return None
        felt_at = parsed.astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        return None
    if not EARLIEST <= felt_at <= timezone.now() + FUTURE_TOLERANCE:
        return None
    data = {
        "id": uid,
        "felt_at": felt_at,
        "pain": raw["pain"],
        "soreness": raw["soreness"],
        "bruising": bruising,
        "iced": raw.get("iced", False),
        "heated": raw.get("heated", False),
        "strenuous_activity": raw.get("strenuous_activity", False),
        "notes": notes,
    }
    if version is not None:
        data["version"] = version
    return data
