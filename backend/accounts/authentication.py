"""JWT authentication that honours revocation on every request."""

from __future__ import annotations

import time
from collections import OrderedDict
from contextlib import suppress
from typing import Any, ClassVar

from django.utils import timezone
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from accounts.session_cache import Known, session_cache
from accounts.tokens import SESSION_CLAIM
from core.i18n import language_activate

USER_FIELDS = (
    "id",
    "email",
    "display_name",
    "role",
    "timezone",
    "language",
    "is_active",
    "is_staff",
)
_TOKENS_KEPT = 4096


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer-token check, plus the token's session.

    A request is authenticated only if the account is active and the sign-in session is
    neither revoked nor past its end, so logout, refresh-token reuse, deactivation and a
    password change end every token at once. The session is checked in one user query, or,
    on PostgreSQL, against ``accounts.session_cache`` (what that query answered before, kept
    only until the database announces a change to the user or the session).

    A token's signature and claims are checked once per process: the decoded token is kept
    by its exact text, and its expiry is checked again on every use.

    Every API request signed in this way then speaks its user's language, whatever its
    ``Accept-Language`` (which LocaleMiddleware applied before the user was known): this
    is the one place every authenticated API request passes once the user is known.
    """

    _decoded: ClassVar[OrderedDict[bytes, tuple[Any, float]]] = OrderedDict()

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user: User = result[0]  # type: ignore[assignment]  # get_user() returns a User
            language_activate(user.language)
        return result

    def get_validated_token(self, raw_token: bytes) -> Any:
        kept = self._decoded.get(raw_token)
        if kept is not None:
            token, expires = kept
            if time.time() < expires:
                return token
            self._decoded.pop(raw_token, None)  # expired: decode again for simplejwt's 401
        token = super().get_validated_token(raw_token)
        leeway = token.get_token_backend().get_leeway().total_seconds()
        self._decoded[raw_token] = (token, token["exp"] + leeway)
        if len(self._decoded) > _TOKENS_KEPT:
            with suppress(KeyError):  # another thread emptied it first
                self._decoded.popitem(last=False)
        return token

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]  # Relief's
        try:
            user_id = str(validated_token[api_settings.USER_ID_CLAIM])
            session_id = str(validated_token[SESSION_CLAIM])
        except KeyError as exc:
            raise InvalidToken("Token is not valid.") from exc
        now = timezone.now()
        generation = session_cache.ready()
        if generation is not None:
            known = session_cache.get(session_id, user_id, now)
            if known is not None:
                return User.from_db("default", known.user_fields, known.user_values)
        row = (
            User.objects.filter(
                pk=user_id,
                is_active=True,
                sessions__id=session_id,
                sessions__revoked_at__isnull=True,
                sessions__expires_at__gt=now,
            )
            .values_list(*USER_FIELDS, "sessions__expires_at")
            .first()
        )
        if row is None:
            raise AuthenticationFailed("Token is not valid.", code="token_not_valid")
        values, expires_at = row[:-1], row[-1]
        if generation is not None:
            session_cache.remember(
                session_id,
                Known(user_id, expires_at, time.monotonic(), USER_FIELDS, values),
                generation,
            )
        return User.from_db("default", USER_FIELDS, values)
