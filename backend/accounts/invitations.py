"""Invitations: a physician brings a new patient into their care with a one-time code."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CareLink, Invitation, Role, User

INVITATION_LIFETIME = timedelta(days=7)


class InvitationInvalid(Exception):
    """Unknown, used or expired code (one answer for all three)."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    code: str


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def invitation_create(*, physician: User, email: str, display_name: str) -> IssuedInvitation:
    """Store only the code's hash; the code goes to the physician once and by email."""
    code = secrets.token_urlsafe(18)
    now = timezone.now()
    invitation = Invitation.objects.create(
        physician=physician,
        email=email.strip().lower(),
        display_name=display_name.strip(),
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    send_mail(
        subject=f"{physician.display_name} invites you to Relief",
        message=(
            f"Hello {invitation.display_name},\n\n{physician.display_name} uses Relief to follow "
            "how you feel after your trigger point injections. Open the Relief app, choose "
            f"'I have an invitation' and enter this code:\n\n    {code}\n\n"
            f"The code works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    return IssuedInvitation(invitation=invitation, code=code)


def invitation_accept(*, code: str, password: str, timezone_name: str) -> User:
    """Create the patient account and the care link; the code is spent atomically."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("physician")
            .filter(code_hash=_hash(code), accepted_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if invitation is None:
            raise InvitationInvalid
        if User.objects.filter(email=invitation.email).exists():
            # The address is already an account: the physician links it from the admin.
            raise ValidationError({"code": ["This invitation's email already has an account."]})
        user = User(
            email=invitation.email,
            display_name=invitation.display_name,
            role=Role.PATIENT,
            timezone=timezone_name,
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.full_clean(exclude=["password"])
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as exc:
            raise ValidationError(
                {"code": ["This invitation's email already has an account."]}
            ) from exc
        CareLink.objects.create(physician=invitation.physician, patient=user)
        invitation.accepted_at, invitation.patient = now, user
        invitation.save(update_fields=["accepted_at", "patient"])
    return user


def care_link(*, physician: User, patient: User) -> CareLink:
    link, _ = CareLink.objects.get_or_create(physician=physician, patient=patient)
    return link
