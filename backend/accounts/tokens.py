"""Token pairs for a sign-in session.

Access tokens are simplejwt ``AccessToken``s (≤ 5 minutes) carrying only the user id and the
session id (``sid``), plus the audience and issuer that simplejwt checks. Refresh tokens are
simplejwt ``RefreshToken``s whose ``jti`` is recorded in ``accounts.RefreshToken`` so that
each can be consumed exactly once. No health data ever goes into a token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefreshToken

from accounts.models import RefreshToken, Session

SESSION_CLAIM = "sid"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    refresh_expires_at: datetime


def _claims(token: AccessToken | JWTRefreshToken, session: Session) -> None:
    token[api_settings.USER_ID_CLAIM] = str(session.user_id)
    token[SESSION_CLAIM] = str(session.id)


def refresh_expiry(session: Session, now: datetime) -> datetime:
    """A refresh token lives until the idle timeout (if any) or the session's end."""
    expires = session.expires_at
    if session.idle_timeout is not None:
        expires = min(expires, now + session.idle_timeout)
    return expires


def issue_pair(
    *, session: Session, now: datetime, parent_jti: uuid.UUID | None = None
) -> TokenPair:
    """A new access and refresh token for ``session``; ``parent_jti`` names the refresh token
    they were issued in exchange for (None at sign-in)."""
    access = AccessToken()
    _claims(access, session)
    access.set_iat(at_time=now)
    access.set_exp(
        from_time=now, lifetime=min(settings.ACCESS_TOKEN_LIFETIME, session.expires_at - now)
    )

    refresh = JWTRefreshToken()
    _claims(refresh, session)
    expires_at = refresh_expiry(session, now)
    refresh.set_iat(at_time=now)
    refresh.set_exp(from_time=now, lifetime=expires_at - now)
    RefreshToken.objects.create(
        jti=uuid.UUID(refresh[api_settings.JTI_CLAIM]),
        session=session,
        parent_id=parent_jti,
        issued_at=now,
        expires_at=expires_at,
    )
    return TokenPair(access=str(access), refresh=str(refresh), refresh_expires_at=expires_at)
