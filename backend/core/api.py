"""Shared API building blocks: strict serializers, aware datetimes, pagination, roles."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import pagination, permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView

from core.exceptions import ApiError
from core.parsers import TOO_LARGE

# Worded only when a value is refused (gettext_lazy: the language of that request).
_MUST_BE = {
    "boolean": gettext_lazy("Must be a boolean."),
    "integer": gettext_lazy("Must be an integer."),
    "number": gettext_lazy("Must be a number."),
    "list": gettext_lazy("Must be a list."),
    "object": gettext_lazy("Must be an object."),
    "string": gettext_lazy("Must be a string."),
}


def _json_type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    """The JSON type a field takes, checked before DRF's lenient coercion (which would
    take 0 for a string, "5" for a number or "yes" for a boolean)."""
    if value is TOO_LARGE:
        return _("Out of range: too many digits.")
    if value is None:
        return None  # allow_null is the field's own business
    if isinstance(field, serializers.BooleanField):
        ok, expected = isinstance(value, bool), "boolean"
    elif isinstance(field, serializers.IntegerField):
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "integer"
    elif isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "number"
    elif isinstance(field, serializers.ListField | serializers.ListSerializer):
        ok, expected = isinstance(value, list), "list"
    elif isinstance(field, serializers.Serializer | serializers.DictField):
        ok, expected = isinstance(value, dict), "object"
    elif isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.UUIDField
        | serializers.DateTimeField
        | serializers.DateField,
    ):
        ok, expected = isinstance(value, str), "string"
    else:
        return None
    return None if ok else str(_MUST_BE[expected])


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses unknown fields, read-only fields and values of the wrong JSON type, naming
    each field (400)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Expected a JSON object.")]}, code="invalid"
            )
        errors = {}
        for name, value in data.items():
            field = self.fields.get(name)
            if field is None:
                errors[name] = [_("Unknown field.")]
            elif field.read_only:
                errors[name] = [_("This field is read-only.")]
            elif problem := _json_type_error(field, value):
                errors[name] = [problem]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class DistinctListField(serializers.ListField):
    """A list whose items the serializer refuses to see twice; documented as uniqueItems
    (core/schema.py), so the schema does not allow what the server refuses."""


class StepDecimalField(serializers.DecimalField):
    """A decimal in steps of 10**-decimal_places, documented as that ``multipleOf``
    (core/schema.py). A JSON number off a step only by binary floating point (``0.1 * 3``
    is 0.30000000000000004 in JavaScript and Python alike) is read as that step; one truly
    between steps is refused as before."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, float) and math.isfinite(data) and self.decimal_places is not None:
            step = round(data, self.decimal_places)
            if math.isclose(data, step, rel_tol=0, abs_tol=1e-9):
                data = Decimal(repr(step))
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must carry its UTC offset; stored and returned in UTC."""

    default_error_messages = {  # noqa: RUF012  (DRF merges these per class)
        "naive": gettext_lazy("Include a UTC offset (for example 2026-03-01T09:30:00+01:00)."),
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
    """Pages of 30 (``page_size`` up to 100; a larger one is capped). A malformed or
    out-of-range ``page`` or ``page_size`` is a 400 naming it, not a silent default; a page
    past the end is a 404 naming ``page`` (how many pages there are is the data's state,
    not the request's form)."""

    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(query_int(raw, field=self.page_size_query_param), self.max_page_size)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None:
            query_int(raw, field=self.page_query_param)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ApiError(
                404, "no_such_page", _("There is no such page."), field=self.page_query_param
            ) from exc

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**INT_QUERY_SCHEMA, **parameter["schema"]}
        return parameters


class IsPhysician(permissions.BasePermission):
    """Only physicians may do this."""

    message = gettext_lazy("Only physicians may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_physician)


class IsPatient(permissions.BasePermission):
    """Only patients may do this."""

    message = gettext_lazy("Only patients may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_patient)


class IsPhysicianOrPracticeAdmin(permissions.BasePermission):
    """Only physicians and practice administrators may do this (the practice's numbers)."""

    message = gettext_lazy("Only physicians and practice administrators may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_physician or user.is_practice_admin)
        )


class IsPracticeMember(permissions.BasePermission):
    """Only a practice's physicians, staff and administrators may do this."""

    message = gettext_lazy("Only members of a practice may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_physician or user.is_staff_member or user.is_practice_admin)
        )


class IsPracticeAdmin(permissions.BasePermission):
    """Only a practice administrator may do this."""

    message = gettext_lazy("Only a practice administrator may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(
            request.user and request.user.is_authenticated and request.user.is_practice_admin
        )


class _SignedInMayRead(permissions.BasePermission):
    """Before a role's permission: anyone signed in may read (the view scopes what they
    see); only that role may write."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


class ReadOrPhysician(_SignedInMayRead, IsPhysician):
    """Reads for anyone signed in (scoped); writes for physicians (visits)."""


class ReadOrPatient(_SignedInMayRead, IsPatient):
    """Reads for anyone signed in (scoped); writes for patients (check-ins)."""


def reject_empty_params(request: Request, names: tuple[str, ...]) -> None:
    """``?visit=`` is a mistake to report, not a filter to ignore silently."""
    empty = [name for name in names if request.query_params.get(name) == ""]
    if empty:
        raise serializers.ValidationError({name: [_("May not be empty.")] for name in empty})


# The largest whole number a request may carry (page, page_size, version, If-Match): a
# PostgreSQL ``integer`` column's maximum, so a number the API takes is one the database
# takes too, and far below the 4,300 digits past which Python refuses int() (a 500).
INT_MAX = 2**31 - 1
INT_QUERY_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": INT_MAX}


def is_positive_int(text: str, *, maximum: int = INT_MAX) -> bool:
    """ASCII digits only (str.isdigit() also takes "²", which int() then refuses), and at
    most as many as ``maximum`` has, checked before int() so that no length is a 500."""
    digits = text.lstrip("0")  # int() counts leading zeros towards its limit too
    return (
        text.isascii()
        and text.isdigit()
        and len(digits) <= len(str(maximum))
        and 1 <= int(digits or "0") <= maximum
    )


def query_int(text: str, *, field: str, maximum: int = INT_MAX) -> int:
    """A whole number from 1 to ``maximum`` given as text (a query parameter or header), or
    a 400 naming ``field``."""
    if not is_positive_int(text, maximum=maximum):
        raise serializers.ValidationError(
            {field: [_("Must be a whole number from 1 to %(maximum)s.") % {"maximum": maximum}]}
        )
    return int(text)


# 1 to INT_MAX (2147483647) without leading zeros, as a regular expression: an OpenAPI
# pattern cannot say "at most 2147483647", so the digits are spelt out place by place. The
# If-Match header is parsed with this same expression and documented with it, so the
# schema and the server cannot disagree (tests/config/test_numbers.py checks the edges).
INT_PATTERN = (
    "(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
    "|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
    "|21474836[0-3][0-9]|214748364[0-7])"
)
