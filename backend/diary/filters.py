from __future__ import annotations

import django_filters

from diary.models import Entry


class EntryFilter(django_filters.FilterSet):
    """``from``/``to``: patient-local dates (inclusive); ``visit``; ``patient`` (physicians)."""

    visit = django_filters.UUIDFilter(field_name="visit_id")
    patient = django_filters.UUIDFilter(field_name="patient_id")

    class Meta:
        model = Entry
        fields: tuple[str, ...] = ()


EntryFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="local_date", lookup_expr="gte", label="From (local date, inclusive)"
)
EntryFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="local_date", lookup_expr="lte", label="To (local date, inclusive)"
)
