"""The product's URLs plus the benchmark's baselines (never part of the product)."""

from __future__ import annotations

from typing import Any

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.apis import MeApi
from accounts.authentication import RevocableJWTAuthentication
from accounts.models import User
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from diary.selectors import ENTRY_COLUMNS, entries_visible_to

FIELDS = ENTRY_COLUMNS  # the same columns the API's list reads
_auth = RevocableJWTAuthentication()


def plain_entries(request: HttpRequest) -> HttpResponse:
    """API-1 baseline: the same JWT check and the same database work as the API's list
    (count, page of 30, one audit row per patient shown, in one transaction), with
    ``.values()`` and orjson and nothing else."""
    found = _auth.authenticate(Request(request))
    if found is None:
        return HttpResponse(status=401)
    request.user = found[0]
    entries = entries_visible_to(found[0]).order_by("-felt_at", "-recorded_at", "id")
    with transaction.atomic():
        count = entries.count()
        rows = list(entries.values(*FIELDS)[:30])
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.LIST,
            resource="entry",
            patient_ids=[row["patient_id"] for row in rows],
        )
    body = {"count": count, "next": None, "previous": None, "results": rows}
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_UTC_Z), content_type="application/json"
    )


def plain_entries_query_only(request: HttpRequest) -> HttpResponse:
    """For reference only: the page query alone (no count, no audit row)."""
    found = _auth.authenticate(Request(request))
    if found is None:
        return HttpResponse(status=401)
    rows = list(
        entries_visible_to(found[0]).order_by("-felt_at", "-recorded_at", "id").values(*FIELDS)[:30]
    )
    return HttpResponse(orjson.dumps({"results": rows}), content_type="application/json")


_users: dict[str, User] = {}


class StubAuthentication(BaseAuthentication):
    """API-3 baseline: the user named by a header, read once per process (no token check)."""

    def authenticate(self, request: Request) -> tuple[User, Any] | None:
        user_id = request.META["HTTP_X_BENCH_USER"]
        if user_id not in _users:
            _users[user_id] = User.objects.get(pk=user_id)
        return _users[user_id], None


class StubbedMeApi(MeApi):
    authentication_classes = (StubAuthentication,)


urlpatterns = [
    path("bench/plain/entries/", plain_entries),
    path("bench/plain/entries-query-only/", plain_entries_query_only),
    path("bench/stub/me/", StubbedMeApi.as_view()),
    path("", include("config.urls")),
]
