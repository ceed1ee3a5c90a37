from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from config.api import AwareDateTimeField, StrictSerializer
from diary.serializers import EARLIEST
from treatments.models import INJECTATES, BodyRegion, Condition, Side, Visit

FUTURE_TOLERANCE = timedelta(minutes=10)


class SiteSerializer(StrictSerializer):
    body_region = serializers.ChoiceField(choices=BodyRegion.choices)
    muscle = serializers.CharField(max_length=100)
    side = serializers.ChoiceField(choices=Side.choices)
    injectates = serializers.ListField(
        child=serializers.ChoiceField(choices=INJECTATES), min_length=1, max_length=3
    )
    volume_ml = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("20"),
        coerce_to_string=False,
    )

    def validate_injectates(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("List each injectate once.")
        return [name for name in INJECTATES if name in value]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "body_region": instance.body_region,
            "muscle": instance.muscle,
            "side": instance.side,
            "injectates": instance.injectates,
            "volume_ml": float(instance.volume_ml),
        }


class VisitSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    patient = serializers.UUIDField(help_text="One of the physician's patients.")
    physician = serializers.UUIDField(read_only=True, source="physician_id")
    performed_at = AwareDateTimeField()
    local_date = serializers.DateField(read_only=True, help_text="Day 0, patient-local.")
    condition = serializers.ChoiceField(choices=Condition.choices)
    baseline_pain = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, required=False, default=None
    )
    post_injection_pain = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, required=False, default=None
    )
    notes = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    sites = SiteSerializer(many=True, allow_empty=False, max_length=30)
    cpt_code = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_performed_at(self, value: Any) -> Any:
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("A visit cannot be in the future.")
        if value < EARLIEST:
            raise serializers.ValidationError("Must be after 2000-01-01.")
        return value

    def validate_sites(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A PATCH is partial for the visit, never for a site: sites are replaced whole.
        required = ("body_region", "muscle", "side", "injectates", "volume_ml")
        errors = [
            {name: ["This field is required."] for name in required if name not in site}
            for site in value
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return value

    def to_representation(self, instance: Visit) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["patient"] = str(instance.patient_id)
        return data
