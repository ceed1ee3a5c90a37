"""Writing audit rows. Callers run these inside the transaction of the access they record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any

from django.db import connection
from django.utils import timezone

from audit.context import AuditContext
from audit.models import AuditEvent
from core.bulk import copy_rows


def audit_record(
    *,
    audit: AuditContext,
    action: str,
    resource: str,
    patient_ids: Iterable[Any] = (),
    object_id: Any = "",
    outcome: str = AuditEvent.Outcome.ALLOWED,
) -> None:
    """One row per patient whose data was touched (or one row with no patient), by whoever
    ``audit`` names."""
    event = {"action": action, "resource": resource, "object_id": object_id, "outcome": outcome}
    patients = [getattr(p, "pk", p) for p in dict.fromkeys(patient_ids)] or [None]
    audit_record_many(
        audit=audit,
        events=[{**event, "patient_id": patient} for patient in patients],
    )


# PostgreSQL: the rows of one access in one statement, a parameter for each value they share
# and one array per column that differs. Its text is the same for 1 or 500 rows, and no model
# instance is built per row (the ORM's compile and ``bulk_create`` were most of an audit row's
# cost on the check-in and list paths). It writes what ``bulk_create`` would (tests compare).
_INSERT_ROWS = (
    f"INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, actor_role, request_id, "
    "client_request_id, client_address, action, resource, patient_id, object_id, outcome) "
    "SELECT %s::timestamptz, %s::uuid, %s::text, %s::uuid, %s::text, %s::inet, v.* "
    "FROM unnest(%s::text[], %s::text[], %s::uuid[], %s::text[], %s::text[]) AS v"
)

# From this many rows (a batch sync's), a binary COPY of the same columns: about a third of the
# statement's server time and none of the array parameters' dumping in Python.
COPY_FROM = 20
_COPY_COLUMNS = [
    ("at", "timestamptz"),
    ("actor_id", "uuid"),
    ("actor_role", "varchar"),
    ("request_id", "uuid"),
    ("client_request_id", "varchar"),
    ("client_address", "inet"),
    ("action", "varchar"),
    ("resource", "varchar"),
    ("patient_id", "uuid"),
    ("object_id", "varchar"),
    ("outcome", "varchar"),
]


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def audit_record_many(*, audit: AuditContext, events: Iterable[dict[str, Any]]) -> None:
    """Several audit rows for one request (a batch, or a list of several patients), written
    with one statement.

    Each event is a dict of ``action``, ``resource``, ``patient_id``, ``object_id`` and
    optionally ``outcome`` (allowed by default); actor, role, request id and client address
    are ``audit``'s.
    """
    actor, request_id, address = audit.actor, audit.request_id, audit.client_address
    client_id = audit.client_request_id
    role = getattr(actor, "role", "") or ""
    # What differs per row, in the column order of _INSERT_ROWS's unnest and _COPY_COLUMNS'
    # tail. Ids as uuid.UUID: binary COPY takes values in their own types (callers pass
    # patient ids as UUIDs or text).
    rows = [
        (
            event["action"],
            event["resource"],
            _uuid(event.get("patient_id")),
            str(event.get("object_id") or ""),
            event.get("outcome", AuditEvent.Outcome.ALLOWED),
        )
        for event in events
    ]
    if not rows:
        return
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor=actor, actor_role=role, request_id=request_id,
                client_request_id=client_id, client_address=address, action=action,
                resource=resource, patient_id=patient_id, object_id=object_id, outcome=outcome,
            )
            for action, resource, patient_id, object_id, outcome in rows
        )  # fmt: skip
        return
    shared = (timezone.now(), _uuid(actor.pk) if actor is not None else None, role,
              _uuid(request_id), client_id)  # fmt: skip
    if len(rows) >= COPY_FROM:
        client = ip_address(address) if address else None
        copy_rows(
            connection,
            AuditEvent._meta.db_table,
            _COPY_COLUMNS,
            ((*shared, client, *row) for row in rows),
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_ROWS, [*shared, address, *(list(column) for column in zip(*rows, strict=True))]
        )
