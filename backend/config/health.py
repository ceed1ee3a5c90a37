"""Liveness and readiness probes (the outage gate they share state with is ``core.outage``)."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import replica
from core.outage import RETRY_AFTER, outage


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can reach its database; 503 tells the balancer to send traffic elsewhere.

    With a read replica, its state too (``ok``, ``lagging``, ``down``, ``not_standby``,
    ``unknown``; ``lag_seconds`` when measured): for the operator only, never a reason for
    503, since reads fall back to the primary without it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        outage.saw(exc)
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = RETRY_AFTER
        return response
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    if (state := replica.health()) is not None:
        body["replica"] = state
    return JsonResponse(body)
