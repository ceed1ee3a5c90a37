from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from core.i18n import language_from_request


class NoStoreApiMiddleware:
    """API responses carry health data or tokens: no cache anywhere may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)


class ContentSecurityPolicyMiddleware:
    """One strict policy for every response: no inline or third-party scripts, no framing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # WhiteNoise answers the app's files before Django's clickjacking middleware runs.
        response.setdefault("X-Frame-Options", "DENY")
        return response


class BodySizeLimitMiddleware:
    """Refuse an oversized request body with 413 before anything reads it.

    DRF parses the raw stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (which guards only
    form parsing) never applies to the API: without this, a 200 MB body to an anonymous
    endpoint is read into memory whole. The declared ``Content-Length`` decides. Django reads
    no more than it declares (a body without one, such as a chunked upload, is read as
    empty), so a client cannot send more than it admits to. The batch sync endpoint has its
    own, larger limit: a phone's whole outbox (500 check-ins with 5,000-character notes).
    nginx (deploy/) enforces the same numbers in front.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.default_limit = settings.API_MAX_BODY_BYTES
        self.limits = {"/api/v1/entries/sync/": settings.SYNC_MAX_BODY_BYTES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = self.limits.get(request.path_info, self.default_limit)
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared:
            # Before LocaleMiddleware: the refusal speaks Accept-Language's language itself.
            with translation.override(language_from_request(request)):
                refusal = self._refusal(declared, limit)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, declared: str, limit: int) -> HttpResponse | None:
        if declared:
            # Any malformed length (not plain ASCII digits, or absurdly long) is refused too:
            # int() of thousands of digits is itself a cost, and Python refuses > 4,300.
            if not (declared.isascii() and declared.isdigit() and len(declared) <= 18):
                return _error(400, "invalid_content_length", _("Content-Length is not a number."))
            if int(declared) > limit:
                return _error(
                    413,
                    "request_too_large",
                    _("The request body is larger than this endpoint accepts (%(limit)d bytes).")
                    % {"limit": limit},
                )
        return None


def _error(status: int, code: str, detail: str) -> HttpResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def language_independent(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as the same in every language (a vendor bundle, the service
    worker): ``LocaleMiddleware`` then adds no ``Vary: Accept-Language`` nor
    ``Content-Language``, so one cached copy serves every reader."""
    response.language_independent = True  # type: ignore[attr-defined]
    return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except for responses marked ``language_independent``."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(response, "language_independent", False):
            return response
        return super().process_response(request, response)
