"""Writes of the recovery app: a physician acknowledges a flag episode (issue #17)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from recovery import reports
from recovery.models import FlagAcknowledgement
from treatments.models import Visit


class NoOpenFlag(Exception):
    """The visit has no open episode of that code (none raised, all resolved, or the
    current one acknowledged already)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def flag_acknowledge(
    *, physician: User, visit: Visit, code: str, note: str, audit: AuditContext
) -> dict[str, Any]:
    """Acknowledge the visit's open episode of ``code``; returns that flag with its new
    state. An episode is open while it is neither resolved nor acknowledged, and at most one
    episode of a code is unresolved at a time (the next is raised only after it resolves).
    Audited as a create, in the same transaction as the row."""
    with transaction.atomic():
        flags = reports.visit_recovery(visit)["flags"]
        unresolved = [f for f in flags if f["code"] == code and f["state"] != "resolved"]
        if not unresolved:
            raise NoOpenFlag(_("This visit has no open flag of this kind: nothing to acknowledge."))
        flag = unresolved[-1]
        if flag["state"] == "acknowledged":
            raise NoOpenFlag(_("This flag was acknowledged already."))
        try:
            with transaction.atomic():
                row = FlagAcknowledgement.objects.create(
                    visit=visit,
                    code=code,
                    raised_day=flag["raised_day"],
                    physician=physician,
                    acknowledged_at=timezone.now(),
                    note=note,
                )
        except IntegrityError as exc:  # acknowledged at the same moment by another request
            raise NoOpenFlag(_("This flag was acknowledged already.")) from exc
        audit_record(
            audit=audit,
            action=AuditEvent.Action.CREATE,
            resource="flag",
            patient_ids=[visit.patient_id],
            object_id=visit.pk,
        )
    acknowledged = {"by": physician.display_name, "at": row.acknowledged_at, "note": row.note}
    return {**flag, "state": "acknowledged", "acknowledged": acknowledged}
