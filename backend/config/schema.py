"""OpenAPI: every operation documents the one error shape for the errors it can return."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="A message for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors: each offending field with its messages.",
    )


class ReliefAutoSchema(AutoSchema):
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
        if "{" in self.path:
            codes.append("404")
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses
