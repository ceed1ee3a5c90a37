"""Shared API building blocks: strict serializers, aware datetimes, pagination, roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework import pagination, permissions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know and read-only fields, naming each one (400)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {}
            for name in data:
                field = self.fields.get(name)
                if field is None:
                    errors[name] = ["Unknown field."]
                elif field.read_only:
                    errors[name] = ["This field is read-only."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must carry its UTC offset; stored and returned in UTC."""

    default_error_messages = {  # noqa: RUF012  (DRF merges these per class)
        "naive": "Include a UTC offset (for example 2026-03-01T09:30:00+01:00).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            parsed = super().to_internal_value(value)
            text = value.strip()
            if not (text.endswith(("Z", "z")) or "+" in text[10:] or "-" in text[10:]):
                self.fail("naive")
            return parsed
        return super().to_internal_value(value)


class Pagination(pagination.PageNumberPagination):
    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 100


class IsPhysician(permissions.BasePermission):
    """Only physicians may do this."""

    message = "Only physicians may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_physician)


class IsPatient(permissions.BasePermission):
    """Only patients may do this."""

    message = "Only patients may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_patient)
