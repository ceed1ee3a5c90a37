"""OpenAPI: every operation documents the one error shape for the errors it can return."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from core.api import DistinctListField, StepDecimalField, StrictSerializer


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="A message for people.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the field named "fields"
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors: each offending field with its messages.",
    )


class ReliefAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            # The server answers an unknown field with 400 naming it: say so.
            schema["additionalProperties"] = False
            # Fields a PATCH must carry all the same (drf-spectacular makes every PATCH
            # field optional, as DRF's partial validation does).
            for name in getattr(serializer, "schema_required_in_patch", ()):
                if name not in schema.setdefault("required", []):
                    schema["required"].append(name)
        return schema

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, DistinctListField):
            schema["uniqueItems"] = True
        if isinstance(field, StepDecimalField) and field.decimal_places is not None:
            schema["multipleOf"] = float(Decimal(1).scaleb(-field.decimal_places))
        if (
            direction == "request"
            and isinstance(field, serializers.ListSerializer | serializers.ListField)
            and not field.allow_empty
            and schema.get("type") == "array"
        ):
            schema.setdefault("minItems", 1)  # allow_empty=False: "may not be empty", 400
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            # drf-spectacular documents a ListField's bounds but not a many=True serializer's.
            if (most := getattr(field, "max_length", None)) is not None:
                schema.setdefault("maxItems", most)
            if (least := getattr(field, "min_length", None)) is not None:
                schema.setdefault("minItems", least)
        if (
            direction == "request"
            and type(field) is serializers.CharField
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = _text_pattern(field)
        return schema

    def _error_codes(self) -> list[str]:
        codes = []
        if (
            self.method != "GET"
            or self._get_filter_parameters()
            or self._get_paginator()
            or self.get_override_parameters()
        ):
            codes.append("400")
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or (self.method == "GET" and self._get_paginator()):
            codes.append("404")  # someone else's record, or a page past the end
        return codes

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses


def _text_pattern(field: serializers.CharField) -> str:
    """What DRF's CharField refuses, as a pattern: a NUL character always (its
    ProhibitNullCharactersValidator), and a value that is blank once trimmed unless blank
    is allowed (``\\s`` is str.isspace(), which str.strip() trims)."""
    if field.allow_blank or not field.trim_whitespace:
        return "^[^\\u0000]*$"
    return "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
