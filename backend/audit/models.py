"""Append-only record of who read or changed whose health data."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditImmutableError(Exception):
    """Audit rows are never edited or deleted by the application."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit rows cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("Audit rows cannot be deleted.")


class AuditEvent(models.Model):
    """One access to one patient's data (a list that shows five patients writes five rows).

    ``patient`` is who the data belongs to (None when an action touches no patient, such as
    a refused attempt on a list). Rows are written in the same transaction as the read or
    change they describe. On PostgreSQL a trigger also refuses UPDATE and DELETE.
    """

    class Action(models.TextChoices):
        READ = "read", "Read"
        LIST = "list", "List"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # actor and patient have no index of their own: (actor, -at) and (patient, -at) lead
    # with them, and an audit row is written on every request that touches health data.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="audit_actions",
        db_index=False,
    )
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    resource = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="audit_about",
        db_index=False,
    )
    # The server's own id for the request (core/request_id.py); a caller's X-Request-ID
    # is kept beside it, never in its place, and only in a checked form.
    request_id = models.UUIDField(default=uuid.uuid4)
    client_request_id = models.CharField(max_length=64, blank=True, default="")
    client_address = models.GenericIPAddressField(null=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["actor", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.resource}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("Audit rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit rows cannot be deleted.")
