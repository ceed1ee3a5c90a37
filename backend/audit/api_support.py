"""View support for recording refused attempts (403 wrong role, 404 not yours)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record

M = TypeVar("M", bound=Model)

_ACTION_BY_METHOD = {
    "GET": AuditEvent.Action.READ,
    "HEAD": AuditEvent.Action.READ,
    "POST": AuditEvent.Action.CREATE,
    "PUT": AuditEvent.Action.UPDATE,
    "PATCH": AuditEvent.Action.UPDATE,
    "DELETE": AuditEvent.Action.DELETE,
}


class AuditedNotFound(NotFound):
    """A 404 whose audit row names the record's real owner (never shown to the caller)."""

    def __init__(self, owner_id: Any = None) -> None:
        super().__init__()
        self.owner_id = owner_id


class AuditedApiMixin(APIView):
    """Every refusal on a health-data endpoint leaves an audit row.

    The row is written in ``handle_exception``, after the view's own transaction has
    rolled back, so the record of the refusal survives the refusal.
    """

    audit_resource: str = ""

    def handle_exception(self, exc: Exception) -> Response:
        # Only a user authentication already settled: reading ``request.user`` here would
        # run authentication again, outside DRF's error handling, after it failed (a
        # database outage during the session check would then become a 500).
        request = getattr(self, "request", None)
        user = vars(request).get("_user") if request is not None else None
        if user is not None and user.is_authenticated:
            if isinstance(exc, AuditedNotFound):
                self._audit_denied(exc.owner_id)
            elif isinstance(exc, PermissionDenied):
                self._audit_denied(None)
        return super().handle_exception(exc)

    def _audit_denied(self, patient_id: Any) -> None:
        request = self.request
        audit_record(
            audit=AuditContext.from_request(request),
            action=_ACTION_BY_METHOD.get(request.method or "", AuditEvent.Action.READ),
            resource=self.audit_resource,
            patient_ids=[patient_id] if patient_id else [],
            object_id=self.kwargs.get("pk", ""),
            outcome=AuditEvent.Outcome.DENIED,
        )

    def not_found(self, owner_id: Any = None) -> NoReturn:
        """404 that says nothing of the record; the audit row names its real owner."""
        raise AuditedNotFound(owner_id)

    def scoped_get(self, queryset: QuerySet[M], pk: Any, *, owner: Callable[[Any], Any]) -> M:
        """The record ``pk`` if ``queryset`` (already scoped to the caller) holds it; else a
        404 that says nothing, whose audit row names the record's real owner (``owner(pk)``)."""
        found = queryset.filter(pk=pk).first()
        if found is None:
            self.not_found(owner(pk))
        return found

    def audited_read(
        self,
        queryset: QuerySet[M],
        pk: Any,
        *,
        owner: Callable[[Any], Any],
    ) -> M:
        """``scoped_get`` for a read of health data: the read's audit row is written in the
        same transaction as the read, naming the patient whose data it is (the record's
        ``patient_id``, or the record itself when it is a patient)."""
        with transaction.atomic():
            found = self.scoped_get(queryset, pk, owner=owner)
            audit_record(
                audit=AuditContext.from_request(self.request),
                action=AuditEvent.Action.READ,
                resource=self.audit_resource,
                patient_ids=[getattr(found, "patient_id", None) or found.pk],
                object_id=found.pk,
            )
        return found
