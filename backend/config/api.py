"""Shared API building blocks: strict serializers, aware datetimes, pagination, roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework import pagination, permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """The JSON type a field takes, checked before DRF's lenient coercion (which would
    take 0 for a string, "5" for a number or "yes" for a boolean)."""
    if value is None:
        return None  # allow_null is the field's own business
    if isinstance(field, serializers.BooleanField):
        ok, expected = isinstance(value, bool), "a boolean"
    elif isinstance(field, serializers.IntegerField):
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
    elif isinstance(field, serializers.ListField | serializers.ListSerializer):
        ok, expected = isinstance(value, list), "a list"
    elif isinstance(field, serializers.Serializer | serializers.DictField):
        ok, expected = isinstance(value, dict), "an object"
    elif isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.UUIDField
        | serializers.DateTimeField
        | serializers.DateField,
    ):
        ok, expected = isinstance(value, str), "a string"
    else:
        return None
    return None if ok else f"Must be {expected}."


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, read-only fields and values of the wrong JSON type, naming
    each field (400)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        errors = {}
        for name, value in data.items():
            field = self.fields.get(name)
            if field is None:
                errors[name] = ["Unknown field."]
            elif field.read_only:
                errors[name] = ["This field is read-only."]
            elif problem := _json_type_error(field, value):
                errors[name] = [problem]
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
    """Pages of 30 (``page_size`` up to 100). A malformed ``page`` or ``page_size`` is a 400
    naming it, not a silent default; a page past the end is a 400 on ``page`` too."""

    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not is_positive_int(raw):
            raise serializers.ValidationError({"page_size": ["Must be a whole number >= 1."]})
        return min(int(raw), self.max_page_size)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not is_positive_int(raw):
            raise serializers.ValidationError({"page": ["Must be a whole number >= 1."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise serializers.ValidationError({"page": ["There is no such page."]}) from exc


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


def reject_empty_params(request: Request, names: tuple[str, ...]) -> None:
    """``?visit=`` is a mistake to report, not a filter to ignore silently."""
    empty = [name for name in names if request.query_params.get(name) == ""]
    if empty:
        raise serializers.ValidationError({name: ["May not be empty."] for name in empty})


def is_positive_int(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() then refuses."""
    return text.isascii() and text.isdigit() and int(text) >= 1
