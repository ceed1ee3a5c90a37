"""Writes for the exports: minting and redeeming one-time report links."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Session, User
from core.secrets import secret_digest
from interop.models import ReportLink
from treatments.models import Visit

REPORT_LINK_LIFETIME = timedelta(minutes=5)


class ReportLinkInvalid(Exception):
    """Unknown, expired, used, for another visit, or its sign-in has ended."""


@dataclass(frozen=True)
class IssuedReportLink:
    url: str
    expires_at: datetime


def report_link_create(
    *, user: User, visit: Visit, session_id: uuid.UUID | None
) -> IssuedReportLink:
    """A link to ``visit``'s printable report that works once, for ``user``, for 5 minutes.

    The caller has already checked that ``user`` may see the visit; the check runs again
    when the link is opened. The token (256 random bits) appears only in the returned URL.
    """
    now = timezone.now()
    # Tidy up this user's dead links while we are here (they open nothing anyway).
    ReportLink.objects.filter(user=user, expires_at__lte=now).delete()
    token = secrets.token_urlsafe(32)
    link = ReportLink(
        token_hash=secret_digest(token),
        visit=visit,
        user=user,
        session_id=session_id,
        created_at=now,
        expires_at=now + REPORT_LINK_LIFETIME,
    )
    link.full_clean(validate_unique=False)
    link.save(force_insert=True)
    path = reverse("visit-report", kwargs={"pk": visit.pk})
    return IssuedReportLink(url=f"{path}?{urlencode({'token': token})}", expires_at=link.expires_at)


def report_link_redeem(*, token: str, visit_id: uuid.UUID) -> User:
    """Use up a link: the user it was minted for, or :class:`ReportLinkInvalid`.

    One conditional UPDATE marks it used, so two requests racing with the same link cannot
    both succeed. The account must still be active and the sign-in that minted the link
    still open (signing out ends unused links); whether the user may still see the visit
    is the caller's check, with the usual scoping selector.
    """
    if not token or len(token) > 200:
        raise ReportLinkInvalid
    token_hash = secret_digest(token)
    now = timezone.now()
    with transaction.atomic():
        used = ReportLink.objects.filter(
            token_hash=token_hash, visit_id=visit_id, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not used:
            raise ReportLinkInvalid
        link = ReportLink.objects.select_related("user").get(pk=token_hash)
    user = link.user
    if not user.is_active:
        raise ReportLinkInvalid
    if (
        link.session_id is not None
        and not Session.objects.filter(
            pk=link.session_id, user=user, revoked_at__isnull=True, expires_at__gt=now
        ).exists()
    ):
        raise ReportLinkInvalid
    return user
