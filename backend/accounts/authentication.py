"""JWT authentication that honours revocation on every request."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from accounts.tokens import SESSION_CLAIM


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer-token check, plus the token's session in the same user query.

    One query per request (the same count as simplejwt's own user lookup) returns the user
    only if the account is active and the sign-in session is neither revoked nor past its
    end, so logout, refresh-token reuse, deactivation and a password change end every token
    at once.
    """

    def get_user(self, validated_token: Any) -> User:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            session_id = validated_token[SESSION_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token is not valid.") from exc
        user = (
            User.objects.filter(
                pk=user_id,
                is_active=True,
                sessions__id=session_id,
                sessions__revoked_at__isnull=True,
                sessions__expires_at__gt=timezone.now(),
            )
            .only("id", "email", "display_name", "role", "timezone", "is_active", "is_staff")
            .first()
        )
        if user is None:
            raise AuthenticationFailed("Token is not valid.", code="token_not_valid")
        return user
