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
    if len(patients) > 1 and connection.vendor == "postgresql":
        _insert_for_patients(common, patients)
        return
    rows = [AuditEvent(patient_id=p, **common) for p in patients] or [AuditEvent(**common)]
    AuditEvent.objects.bulk_create(rows)


def _insert_for_patients(common: dict[str, Any], patients: list[Any]) -> None:
    """The rows of one access to several patients (a list), in one INSERT whose only array
    is the patient ids: a 30-patient page no longer builds 30 model instances and 300
    parameters. The same values ``bulk_create`` would write (a test compares them)."""
    actor = common["actor"]
    columns = ("at", "actor_id", "actor_role", "action", "resource", "object_id",
               "request_id", "client_address", "outcome")  # fmt: skip
    values = [timezone.now(), actor.pk if actor is not None else None, common["actor_role"],
              common["action"], common["resource"], common["object_id"],
              common["request_id"], common["client_address"], common["outcome"]]  # fmt: skip
    casts = ("timestamptz", "uuid", "text", "text", "text", "text", "uuid", "inet", "text")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(columns)}, patient_id) "
            f"SELECT {', '.join(f'%s::{cast}' for cast in casts)}, p "
            "FROM unnest(%s::uuid[]) AS p",
            [*values, [getattr(p, "pk", p) for p in patients]],
        )


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
    rows = [
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
    ]
    if rows:
        AuditEvent.objects.bulk_create(rows)
