"""One error shape for the whole API.

Every error response is ``{"code": str, "detail": str, "fields": {name: [messages]}}``;
``fields`` is present only for validation errors and names every offending field. Nothing
from the server's internals (stack traces, SQL, token contents) ever goes into it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core import outage

logger = logging.getLogger("relief.api")


class ApiError(exceptions.APIException):
    """An error with an explicit status, code and message (and optionally one field)."""

    def __init__(self, status_code: int, code: str, detail: str, *, field: str | None = None):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.code = code
        self.field = field


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one flat map: ``sites.0.side`` names the exact field, and a
    nested serializer's own errors go under its name (``sites``)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = (
                prefix
                if key == "non_field_errors" and prefix
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            for field, messages in flatten_errors(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    for field, messages in flatten_errors(item, f"{prefix}.{index}").items():
                        out.setdefault(field, []).extend(messages)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        body: dict[str, Any] = {"code": exc.code, "detail": str(exc.detail)}
        if exc.field:
            body["fields"] = {exc.field: [str(exc.detail)]}
        return body
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        return {
            "code": "validation_error",
            "detail": _("Invalid input: %(fields)s.") % {"fields": ", ".join(fields)},
            "fields": fields,
        }
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # simplejwt's details carry token internals; one plain message is enough.
        code = (
            "not_authenticated"
            if isinstance(exc, exceptions.NotAuthenticated)
            else "token_not_valid"
        )
        message = (
            _("Authentication credentials were not provided.")
            if code == "not_authenticated"
            else _("The access token is invalid or expired.")
        )
        return {"code": code, "detail": message}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    return {"code": str(code), "detail": str(detail)}


def error_response(exc: exceptions.APIException) -> Response:
    return Response(error_body(exc), status=exc.status_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError | InterfaceError | DatabaseError) and outage.is_outage(
        exc
    ):
        set_rollback()
        logger.warning("database unavailable: %s", type(exc).__name__)
        outage.outage.saw(exc)  # a lost server: later requests get their 503 at once
        response = Response(
            {"code": "service_unavailable", "detail": _("Temporarily unavailable. Try again.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = outage.RETRY_AFTER
        return response
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    response = error_response(exc)
    if auth_header := getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        response["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"code": "server_error", "detail": _("Something went wrong.")}, status=500)
