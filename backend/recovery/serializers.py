"""Shapes of the recovery API (documented in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api import StrictSerializer
from recovery.analytics import BASELINE_SOURCES, FLAG_CODES
from recovery.models import NOTE_MAX_LENGTH
from treatments.models import BodyRegion, Condition, Injectate


def baseline_source_field() -> serializers.ChoiceField:
    """``baseline_source`` as the enum it is. (These serializers only document responses
    built elsewhere; a choice field lists the values in the schema for clients to key their
    labels by, and sends the same strings a plain one would.)"""
    return serializers.ChoiceField(
        choices=list(BASELINE_SOURCES.items()),
        allow_null=True,
        help_text="Where the baseline came from; null without a baseline.",
    )


FLAG_STATES = ("open", "acknowledged", "resolved")


class FlagAcknowledgedSerializer(serializers.Serializer):
    by = serializers.CharField(help_text="The physician who acknowledged it (display name).")
    at = serializers.DateTimeField()
    note = serializers.CharField(allow_blank=True)


class FlagSerializer(serializers.Serializer):
    """One flag episode: raised on ``raised_day`` when its condition was met; resolved when
    it no longer holds (a later occurrence is a new episode); acknowledged by a physician."""

    code = serializers.ChoiceField(
        choices=FLAG_CODES, help_text="What is flagged; `message` says it for the physician."
    )
    message = serializers.CharField()
    day = serializers.IntegerField(help_text="The day it was raised (= `raised_day`).")
    state = serializers.ChoiceField(
        choices=FLAG_STATES,
        help_text="`resolved` once its condition no longer holds, else `acknowledged` once "
        "a physician acknowledged it, else `open`. Only open flags count in the attention "
        "order.",
    )
    raised_day = serializers.IntegerField(help_text="Days since the visit when it was raised.")
    raised_on = serializers.DateField()
    resolved_day = serializers.IntegerField(allow_null=True)
    resolved_on = serializers.DateField(allow_null=True)
    resolution = serializers.CharField(
        allow_null=True, help_text="Why and when it resolved, for the physician; null if not."
    )
    acknowledged = FlagAcknowledgedSerializer(allow_null=True)


class FlagAcknowledgeRequestSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text='Optional: what was done (e.g. "called, soreness easing").',
    )


class DayRowSerializer(serializers.Serializer):
    day = serializers.IntegerField()
    date = serializers.DateField()
    pain = serializers.FloatField()
    soreness = serializers.FloatField()
    relief = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    entries = serializers.IntegerField()
    large_bruise = serializers.BooleanField()


class SummarySerializer(serializers.Serializer):
    visit_id = serializers.UUIDField()
    visit_date = serializers.DateField()
    condition = serializers.ChoiceField(choices=Condition.choices)
    baseline = serializers.FloatField(allow_null=True)
    baseline_source = baseline_source_field()
    relief_available = serializers.BooleanField()
    immediate_relief = serializers.FloatField(allow_null=True)
    days_since_visit = serializers.IntegerField()
    days_logged = serializers.IntegerField()
    entries = serializers.IntegerField()
    latest_day = serializers.IntegerField(allow_null=True)
    latest_date = serializers.DateField(allow_null=True)
    latest_pain = serializers.FloatField(allow_null=True)
    latest_soreness = serializers.FloatField(allow_null=True)
    latest_relief = serializers.FloatField(allow_null=True)
    latest_change = serializers.FloatField(allow_null=True)
    onset_day = serializers.IntegerField(allow_null=True)
    responder = serializers.BooleanField(allow_null=True)
    substantial_responder = serializers.BooleanField(allow_null=True)
    relief_days = serializers.IntegerField(allow_null=True)
    longest_relief_run = serializers.IntegerField(allow_null=True)
    peak_relief = serializers.FloatField(allow_null=True)
    soreness_settled_day = serializers.IntegerField(allow_null=True)
    response_window_closed = serializers.BooleanField()


class VisitRecoverySerializer(serializers.Serializer):
    visit = serializers.UUIDField()
    baseline = serializers.FloatField(allow_null=True)
    baseline_source = baseline_source_field()
    days = DayRowSerializer(many=True)
    summary = SummarySerializer()
    flags = FlagSerializer(many=True)


class CourseVisitSerializer(SummarySerializer):
    visit_number = serializers.IntegerField()
    flags = FlagSerializer(many=True)


class CourseSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    visits = CourseVisitSerializer(many=True)


class CohortDaySerializer(serializers.Serializer):
    day = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    q1 = serializers.FloatField(allow_null=True)
    q3 = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class RatesSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    responders = serializers.IntegerField()
    substantial_responders = serializers.IntegerField()
    responder_rate = serializers.FloatField(allow_null=True)
    substantial_responder_rate = serializers.FloatField(allow_null=True)
    excluded_no_baseline = serializers.IntegerField()
    excluded_open_window = serializers.IntegerField()


class CohortSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=("mine", "practice"),
        help_text="mine: your patients; practice: every patient of your practice's physicians.",
    )
    filters = serializers.DictField(child=serializers.CharField(allow_null=True))
    days = CohortDaySerializer(many=True)
    rates = RatesSerializer()
    as_of = serializers.DateTimeField(
        help_text="When the answer's data was read: it is kept and served again for up to "
        "COHORT_MAX_AGE seconds (300), and no check-in or visit written since is in it."
    )


class FigureSerializer(serializers.Serializer):
    # A field named "data", as a plotly figure has it (Serializer.data is also a property).
    data = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    layout = serializers.DictField()


class CohortFilterSerializer(serializers.Serializer):
    # Whose patients: the asker's own (default) or the whole practice's (aggregates only).
    scope = serializers.ChoiceField(choices=("mine", "practice"), default="mine")
    condition = serializers.ChoiceField(choices=Condition.choices, required=False)
    injectate = serializers.ChoiceField(choices=Injectate.choices, required=False)
    body_region = serializers.ChoiceField(choices=BodyRegion.choices, required=False)

    def to_internal_value(self, data: Any) -> Any:
        unknown = [name for name in data if name not in self.fields]
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown filter.")] for name in unknown})
        return super().to_internal_value(data)


class LatestSerializer(serializers.Serializer):
    visit_id = serializers.UUIDField()
    visit_date = serializers.DateField()
    days_since_visit = serializers.IntegerField()
    latest_day = serializers.IntegerField(
        allow_null=True,
        help_text="The latest logged day, which `latest_pain` and "
        "`latest_relief` are of (null without check-ins).",
    )
    latest_pain = serializers.FloatField(allow_null=True)
    latest_relief = serializers.FloatField(allow_null=True)
    responder = serializers.BooleanField(allow_null=True)
    substantial_responder = serializers.BooleanField(allow_null=True)
