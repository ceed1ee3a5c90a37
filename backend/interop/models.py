"""One-time links to the printable visit report."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportLink(models.Model):
    """A link that opens one visit's printable report once, for one user, for 5 minutes.

    The web app keeps its access token in memory, so a page opened in a new tab cannot
    carry it; instead an authenticated API call mints this link. Only the SHA-256 of the
    random token is stored (like invitation codes), so the table alone opens nothing.
    ``session_id`` is the sign-in that minted it: signing out ends its unused links too.
    """

    token_hash = models.CharField(max_length=64, primary_key=True)
    visit = models.ForeignKey("treatments.Visit", on_delete=models.CASCADE, related_name="+")
    # Indexed by (user, ...) in Meta: no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    session_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "expires_at"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="reportlink_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"report link for visit {self.visit_id} ({self.user_id})"
