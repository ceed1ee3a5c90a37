"""View support for recording refused attempts (403 wrong role, 404 not yours)."""

from __future__ import annotations

from typing import Any, NoReturn

from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from audit.models import AuditEvent
from audit.services import audit_record

_ACTION_BY_METHOD = {
    "GET": AuditEvent.Action.READ,
    "HEAD": AuditEvent.Action.READ,
    "POST": AuditEvent.Action.CREATE,
    "PUT": AuditEvent.Action.UPDATE,
    "PATCH": AuditEvent.Action.UPDATE,
    "DELETE": AuditEvent.Action.DELETE,
}


class AuditedApiMixin:
    """Every refusal on a health-data endpoint leaves an audit row (committed on its own)."""

    audit_resource: str = ""
    request: Request
    kwargs: dict[str, Any]

    def _audit_denied(self, request: Request, patient_id: Any = None) -> None:
        audit_record(
            request=request,
            action=_ACTION_BY_METHOD.get(request.method or "", AuditEvent.Action.READ),
            resource=self.audit_resource,
            patient_ids=[patient_id] if patient_id else [],
            object_id=self.kwargs.get("pk", ""),
            outcome=AuditEvent.Outcome.DENIED,
        )

    def permission_denied(
        self, request: Request, message: Any = None, code: Any = None
    ) -> NoReturn:
        if request.user is not None and request.user.is_authenticated:
            self._audit_denied(request)
        super().permission_denied(request, message=message, code=code)  # type: ignore[misc]
        raise AssertionError("unreachable")

    def not_found(self, owner_id: Any = None) -> NoReturn:
        """404 that says nothing of the record; the audit row names its real owner."""
        self._audit_denied(self.request, owner_id)
        raise NotFound
