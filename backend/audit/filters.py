from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent
from core.api import AwareDateTimeField

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class _AwareDateTimeFormField(forms.Field):
    """The API's own date-time rule (an offset required). A moment whose UTC time falls
    outside the years Python holds (9999-12-31T23:59-23:00) is a bound past every row,
    not a 500 when the database is asked about it."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            return AwareDateTimeField().to_internal_value(value)
        except serializers.ValidationError as exc:
            if exc.get_codes() == ["overflow"]:
                parsed = parse_datetime(value)
                assert parsed is not None  # it parsed before it overflowed
                return _LATEST if parsed.year > 1 else _EARLIEST
            detail: Any = exc.detail
            raise forms.ValidationError(str(detail[0])) from exc


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(django_filters.Filter):
    field_class = _AwareDateTimeFormField


class AuditEventFilter(django_filters.FilterSet):
    """``until``: rows at or before a moment, so that "load more" pages through the list
    as it stood when its first page was read (an audit list only grows at its top, and a
    patient's own reading of this screen adds rows there); ``others_only``: leave out what
    the caller did themself (a patient's own check-ins and visits to the app)."""

    until = AwareDateTimeFilter(
        field_name="at", lookup_expr="lte", label="At or before (ISO 8601, with a UTC offset)"
    )
    # "true" or "false", anything else a 400 (a BooleanFilter would take "perhaps" as unset).
    others_only = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="_others_only",
        label="Only what someone else did",
    )

    class Meta:
        model = AuditEvent
        fields: tuple[str, ...] = ()

    def _others_only(
        self, queryset: QuerySet[AuditEvent], name: str, value: bool | None
    ) -> QuerySet[AuditEvent]:
        if not value:
            return queryset
        user: Any = self.request.user
        # exclude() keeps the rows with no actor (work the system did on its own).
        return queryset.exclude(actor=user)
