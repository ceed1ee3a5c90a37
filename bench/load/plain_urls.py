"""The load mix's plain-Django twin: the same database work as the API, without DRF.

Each view authenticates the bearer token with the product's ``RevocableJWTAuthentication``
(the same one query), calls the same selectors and services, writes the same audit rows in
the same transactions, and renders with orjson. What is left out is the framework: DRF's
request wrapper, content negotiation, permission and throttle classes, serializers, the
paginator and the renderer. ``bench/load/run.py`` runs the load mix against both and reports
the ratio of requests/s. Never part of the product.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from api_bench_urls import FIELDS
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from accounts import services as account_services
from accounts.authentication import RevocableJWTAuthentication
from accounts.selectors import patients_visible_to
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from diary.actions.outcome import EntryConflict, EntryGone, EntryNotFound
from diary.actions.save import entry_save
from diary.selectors import entries_visible_to
from recovery import reports
from recovery.patients import with_activity
from treatments.selectors import visits_visible_to

PAGE = 30
USER_FIELDS = ("id", "email", "display_name", "role", "timezone")
_auth = RevocableJWTAuthentication()


def _json(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def authenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The product's JWT check on a plain HttpRequest; 401 when it fails."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            found = _auth.authenticate(request)
        except APIException:
            found = None
        if found is None:
            return _json({"code": "token_not_valid"}, 401)
        request.user = found[0]
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


@authenticated
def patients(request: HttpRequest) -> HttpResponse:
    """GET patients/: the same two selectors, summaries, attention order and audit rows."""
    found = list(with_activity(patients_visible_to(request.user)).order_by("display_name", "id"))
    recovery = reports.latest_summaries(found)
    rows = [
        {
            "id": str(p.pk),
            "display_name": p.display_name,
            "email": p.email,
            "timezone": p.timezone,
            "last_checkin_at": p.last_checkin_at,
            "visit_count": p.visit_count,
            **recovery.get(str(p.pk), {"latest": None, "flags": []}),
        }
        for p in found
    ]
    rows.sort(key=reports.attention_key)
    page = rows[:PAGE]
    with transaction.atomic():
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.LIST,
            resource="patient",
            patient_ids=[row["id"] for row in page],
        )
    return _json({"count": len(rows), "results": page})


@authenticated
def entries(request: HttpRequest) -> HttpResponse:
    """GET entries/ (optionally ?patient=): a count, the newest page, one audit insert."""
    query = entries_visible_to(request.user).order_by("-felt_at", "-recorded_at", "id")
    if patient := request.GET.get("patient"):
        query = query.filter(patient_id=patient)
    with transaction.atomic():
        count = query.count()
        page = list(query.values(*FIELDS)[:PAGE])
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.LIST,
            resource="entry",
            patient_ids=[row["patient_id"] for row in page],
        )
    return _json({"count": count, "results": page})


def _int(body: dict[str, Any], name: str) -> int:
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
        raise ValueError(name)
    return value


@authenticated
def entry_put(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """PUT entries/{id}/: minimal validation by hand, then the same ``entry_save``."""
    if request.method != "PUT":
        return _json({"code": "method_not_allowed"}, 405)
    try:
        body = orjson.loads(request.body)
        felt_at = datetime.fromisoformat(body["felt_at"])
        if felt_at.tzinfo is None:
            raise ValueError("felt_at")
        data = {
            "felt_at": felt_at,
            "pain": _int(body, "pain"),
            "soreness": _int(body, "soreness"),
            "bruising": body.get("bruising", "none"),
            "iced": bool(body.get("iced", False)),
            "heated": bool(body.get("heated", False)),
            "strenuous_activity": bool(body.get("strenuous_activity", False)),
            "notes": str(body.get("notes", "")),
        }
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return _json({"code": "validation_error"}, 400)
    try:
        entry, created = entry_save(
            patient=request.user,
            entry_id=pk,
            data=data,
            expected_version=None,
            audit=AuditContext.from_request(request),
        )
    except (EntryConflict, EntryGone):
        return _json({"code": "conflict"}, 409)
    except EntryNotFound:
        return _json({"code": "not_found"}, 404)
    row = {name: getattr(entry, name) for name in FIELDS}
    return _json(row, 201 if created else 200)


@authenticated
def visit_recovery(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    with transaction.atomic():
        visit = visits_visible_to(request.user).filter(pk=pk).first()
        if visit is not None:
            audit_record(
                audit=AuditContext.from_request(request),
                action=AuditEvent.Action.READ,
                resource="recovery",
                patient_ids=[visit.patient_id],
                object_id=visit.pk,
            )
    if visit is None:
        return _json({"code": "not_found"}, 404)
    return _json(reports.visit_recovery(visit))


@authenticated
def patient_course(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    with transaction.atomic():
        patient = patients_visible_to(request.user).filter(pk=pk).first()
        if patient is not None:
            audit_record(
                audit=AuditContext.from_request(request),
                action=AuditEvent.Action.READ,
                resource="course",
                patient_ids=[patient.pk],
                object_id=patient.pk,
            )
    if patient is None:
        return _json({"code": "not_found"}, 404)
    return _json(reports.patient_course(patient))


@csrf_exempt
def refresh(request: HttpRequest) -> HttpResponse:
    """POST auth/plain-refresh/: the cookie's refresh token through ``session_refresh``."""
    raw = request.COOKIES.get(settings.REFRESH_COOKIE_NAME)
    if request.method != "POST" or not raw:
        return _json({"code": "invalid"}, 400)
    try:
        signin = account_services.session_refresh(
            raw_refresh=raw, client_address=BaseThrottle().get_ident(request)
        )
    except account_services.RefreshFailed:
        return _json({"code": "session_expired"}, 401)
    user = {name: getattr(signin.user, name) for name in USER_FIELDS}
    response = _json(
        {"access": signin.tokens.access, "refresh": signin.tokens.refresh, "user": user}
    )
    response.set_cookie(
        settings.REFRESH_COOKIE_NAME,
        signin.tokens.refresh,
        expires=signin.tokens.refresh_expires_at,
        path=settings.REFRESH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


urlpatterns = [
    path("plain/v1/patients/", patients),
    path("plain/v1/entries/", entries),
    path("plain/v1/entries/<uuid:pk>/", entry_put),
    path("plain/v1/visits/<uuid:pk>/recovery/", visit_recovery),
    path("plain/v1/patients/<uuid:pk>/course/", patient_course),
    # Under the refresh cookie's path, so the browser-like cookie jar sends it here too.
    path("api/v1/auth/plain-refresh/", refresh),
    path("", include("config.urls")),
]
