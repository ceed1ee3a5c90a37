"""Writing audit rows. Callers run these inside the transaction of the access they record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from audit.models import AuditEvent


def _client(request: Request | Any) -> tuple[uuid.UUID, str | None]:
    request_id = getattr(request, "request_id", None) or getattr(
        getattr(request, "_request", None), "request_id", None
    )
    try:
        address = BaseThrottle().get_ident(request)
    except Exception:  # a request object without META (scripts, demo seeding)
        address = None
    return request_id or uuid.uuid4(), address or None


def audit_record(
    *,
    request: Request | None,
    action: str,
    actor: Any = None,
    resource: str,
    patient_ids: Iterable[Any] = (),
    object_id: Any = "",
    outcome: str = AuditEvent.Outcome.ALLOWED,
) -> None:
    """One row per patient whose data was touched (or one row with no patient).

    The actor is the request's user; code without a request (scripts, seeding) names it.
    """
    if request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    request_id, address = _client(request) if request is not None else (uuid.uuid4(), None)
    common = {
        "actor": actor,
        "actor_role": getattr(actor, "role", "") or "",
        "action": action,
        "resource": resource,
        "object_id": str(object_id or ""),
        "request_id": request_id,
        "client_address": address,
        "outcome": outcome,
    }
    patients = list(dict.fromkeys(patient_ids))
    if connection.vendor == "postgresql":
        actor_id = actor.pk if actor is not None else None
        shared = {key: value for key, value in common.items() if key != "actor"}
        _insert({"at": timezone.now(), "actor_id": actor_id, **shared},
                {"patient_id": [getattr(p, "pk", p) for p in patients] or [None]})  # fmt: skip
        return
    rows = [AuditEvent(patient_id=p, **common) for p in patients] or [AuditEvent(**common)]
    AuditEvent.objects.bulk_create(rows)


# The audit table's columns as PostgreSQL types, for the one-statement inserts.
_TYPES = {"at": "timestamptz", "actor_id": "uuid", "actor_role": "text", "action": "text",
          "resource": "text", "object_id": "text", "request_id": "uuid", "client_address": "inet",
          "outcome": "text", "patient_id": "uuid"}  # fmt: skip


def _insert(shared: dict[str, Any], each: dict[str, list[Any]]) -> None:
    """PostgreSQL: the rows of one access in one ``INSERT ... SELECT``: a parameter for each
    value the rows share, one array per column that differs. The statement's text is the
    same for 1 or 500 rows, and no model instance is built per row (the ORM's compile and
    ``bulk_create`` were most of an audit row's cost on the check-in and list paths). The
    same values ``bulk_create`` would write (tests compare them)."""
    varying = list(each)
    sql = (
        f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join([*shared, *varying])}) "
        f"SELECT {', '.join([*(f'%s::{_TYPES[c]}' for c in shared), *(f'v.{c}' for c in varying)])} "
        f"FROM unnest({', '.join(f'%s::{_TYPES[c]}[]' for c in varying)}) AS v({', '.join(varying)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*shared.values(), *each.values()])


def audit_record_many(
    *,
    request: Request | None,
    events: Iterable[dict[str, Any]],
    actor: Any = None,
) -> None:
    """Several audit rows for one request (a batch), written with one INSERT.

    Each event is a dict of ``action``, ``resource``, ``patient_id``, ``object_id`` and
    optionally ``outcome`` (allowed by default); actor, role, request id and client address
    are the request's, as in ``audit_record``.
    """
    if request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    request_id, address = _client(request) if request is not None else (uuid.uuid4(), None)
    role = getattr(actor, "role", "") or ""
    events = list(events)
    if not events:
        return
    if connection.vendor == "postgresql":
        shared = {"at": timezone.now(), "actor_id": actor.pk if actor is not None else None,
                  "actor_role": role, "request_id": request_id, "client_address": address}  # fmt: skip
        _insert(
            shared,
            {
                "action": [event["action"] for event in events],
                "resource": [event["resource"] for event in events],
                "patient_id": [event.get("patient_id") for event in events],
                "object_id": [str(event.get("object_id") or "") for event in events],
                "outcome": [event.get("outcome", AuditEvent.Outcome.ALLOWED) for event in events],
            },
        )
        return
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_role=role,
            action=event["action"],
            resource=event["resource"],
            patient_id=event.get("patient_id"),
            object_id=str(event.get("object_id") or ""),
            request_id=request_id,
            client_address=address,
            outcome=event.get("outcome", AuditEvent.Outcome.ALLOWED),
        )
        for event in events
    )
