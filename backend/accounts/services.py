"""Writes for accounts: sign-in, refresh (single use, atomic), sign-out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefreshToken

from accounts.models import RefreshToken, Role, SecurityEvent, Session, User
from accounts.tokens import SESSION_CLAIM, TokenPair, issue_pair


class SignInFailed(Exception):
    """Wrong email or password, or an inactive account (one message for all)."""


class RefreshFailed(Exception):
    """The refresh token is invalid, expired, used or its session has ended.

    ``race`` is True when the token was spent a moment ago by a concurrent refresh of the
    same client: the session lives on, so the client must keep its (newer) cookie.
    """

    def __init__(self, *, race: bool = False) -> None:
        super().__init__()
        self.race = race


@dataclass(frozen=True)
class SignIn:
    user: User
    tokens: TokenPair


def session_start(*, user: User) -> TokenPair:
    """Open a sign-in session with the role's idle and absolute limits; issue its first pair."""
    now = timezone.now()
    idle, absolute = settings.RELIEF_SESSION_LIMITS[
        Role.PHYSICIAN if user.is_physician else Role.PATIENT
    ]
    with transaction.atomic():
        session = Session.objects.create(
            user=user,
            created_at=now,
            last_refreshed_at=now,
            idle_timeout=idle,
            expires_at=now + absolute,
        )
        return issue_pair(session=session, now=now)


def user_sign_in(*, request: HttpRequest | None, email: str, password: str) -> SignIn:
    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise SignInFailed
    return SignIn(user=user, tokens=session_start(user=user))


def _decode_refresh(raw: str) -> tuple[uuid.UUID, uuid.UUID]:
    try:
        token = JWTRefreshToken(raw)
        return uuid.UUID(token[api_settings.JTI_CLAIM]), uuid.UUID(token[SESSION_CLAIM])
    except (TokenError, KeyError, ValueError, TypeError) as exc:
        raise RefreshFailed from exc


def session_refresh(*, raw_refresh: str, client_address: str | None = None) -> SignIn:
    """Consume a refresh token exactly once and issue the next pair of the same session.

    The consume is one conditional UPDATE (``used_at IS NULL``), so of any number of
    concurrent refreshes with one token exactly one succeeds, on PostgreSQL and SQLite alike.
    A token presented after it was used is *reuse*: the whole session (every token descended
    from the same sign-in) is revoked and a security event recorded. A second presentation
    within ``REFRESH_REUSE_GRACE_SECONDS`` of the first is treated as a client race (two tabs
    refreshing at once): it is refused but does not end the session.
    """
    jti, sid = _decode_refresh(raw_refresh)
    now = timezone.now()
    renewed: SignIn | None = None
    with transaction.atomic():
        consumed = RefreshToken.objects.filter(
            jti=jti, session_id=sid, used_at__isnull=True
        ).update(used_at=now)
        if consumed:
            session = Session.objects.select_related("user").get(pk=sid)
            idle = session.idle_timeout
            if idle is not None and now - session.last_refreshed_at > idle:
                # Committed, not rolled back: the session is over for good.
                session_end(session_id=sid, reason=Session.Reason.IDLE)
            elif session.revoked_at is None and session.expires_at > now and session.user.is_active:
                session.last_refreshed_at = now
                session.save(update_fields=["last_refreshed_at"])
                renewed = SignIn(user=session.user, tokens=issue_pair(session=session, now=now))
    if renewed is not None:
        return renewed
    if not consumed:
        used_at = (
            RefreshToken.objects.filter(jti=jti, session_id=sid)
            .values_list("used_at", flat=True)
            .first()
        )
        grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
        if used_at is not None and now - used_at > grace:
            session_revoke_for_reuse(session_id=sid, jti=jti, client_address=client_address)
        elif used_at is not None:
            raise RefreshFailed(race=True)
    raise RefreshFailed


def session_revoke_for_reuse(
    *, session_id: uuid.UUID, jti: uuid.UUID, client_address: str | None
) -> None:
    with transaction.atomic():
        user_id = Session.objects.filter(pk=session_id).values_list("user_id", flat=True).first()
        session_end(session_id=session_id, reason=Session.Reason.REUSE)
        SecurityEvent.objects.create(
            kind=SecurityEvent.Kind.REFRESH_REUSE,
            user_id=user_id,
            session_id=session_id,
            client_address=client_address,
            detail={"jti": str(jti)},
        )


def session_end(*, session_id: uuid.UUID, reason: str = Session.Reason.LOGOUT) -> int:
    """Revoke a sign-in session: every token issued under it stops working at once."""
    return Session.objects.filter(pk=session_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def session_id_from_refresh(raw: str) -> uuid.UUID | None:
    """The session named by a valid refresh token (used or not), for sign-out."""
    try:
        token = JWTRefreshToken(raw)
        return uuid.UUID(token[SESSION_CLAIM])
    except (TokenError, KeyError, ValueError, TypeError):
        return None


def signin_limit_event(*, email: str, client_address: str | None, scope: str) -> None:
    SecurityEvent.objects.create(
        kind=SecurityEvent.Kind.SIGNIN_LIMITED,
        user=User.objects.filter(email=email.strip().lower()).first(),
        client_address=client_address,
        detail={"scope": scope},
    )
