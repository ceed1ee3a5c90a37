from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from audit.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    """``until``: rows at or before a moment, so that "load more" pages through the list
    as it stood when its first page was read (an audit list only grows at its top, and a
    patient's own reading of this screen adds rows there); ``others_only``: leave out what
    the caller did themself (a patient's own check-ins and visits to the app)."""

    until = django_filters.IsoDateTimeFilter(
        field_name="at", lookup_expr="lte", label="At or before (ISO 8601 date-time)"
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
