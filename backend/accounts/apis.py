"""Sign-in API: obtain, refresh (rotating, single use), logout, me (read and change),
password reset by mail and password change."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JWTFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts import password_reset, services, signin_limit
from accounts.authentication import RevocableJWTAuthentication
from accounts.models import SecurityEvent
from accounts.requests import SignedInRequest
from accounts.serializers import (
    DetailSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmedSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    RefreshTokenSerializer,
    SignInSerializer,
    TimezoneListSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.timezones import canonical_timezones
from accounts.tokens import SESSION_CLAIM
from core.exceptions import ApiError, error_response
from core.i18n import language_activate
from core.schema import ErrorSerializer

logger = logging.getLogger("relief.accounts")


def client_address(request: Request) -> str:
    """The client's address, trusting X-Forwarded-For only as far as NUM_PROXIES says."""
    # A WSGI server always sets REMOTE_ADDR; a request without one still gets a bucket.
    return BaseThrottle().get_ident(request) or "unknown"


def _pair_response(signin: services.SignIn, *, status_code: int = 200) -> Response:
    body = {
        "access": signin.tokens.access,
        "refresh": signin.tokens.refresh,
        "user": UserSerializer(signin.user).data,
    }
    response = Response(body, status=status_code)
    response.set_cookie(
        settings.REFRESH_COOKIE_NAME,
        signin.tokens.refresh,
        expires=signin.tokens.refresh_expires_at,
        path=settings.REFRESH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def _clear_cookie(response: Response) -> Response:
    response.delete_cookie(
        settings.REFRESH_COOKIE_NAME, path=settings.REFRESH_COOKIE_PATH, samesite="Strict"
    )
    return response


class TokenObtainApi(APIView):
    """Sign in with email and password."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_token_obtain",
        request=SignInSerializer,
        responses={
            200: TokenPairSerializer,
            401: ErrorSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts."),
        },
        parameters=[
            OpenApiParameter(
                settings.DEVICE_COOKIE_NAME,
                OpenApiTypes.STR,
                OpenApiParameter.COOKIE,
                required=False,
                description="The device cookie a successful sign-in sets (HttpOnly): sent "
                "back, it exempts this client from the account-wide sign-in limit for the "
                "accounts it names. Anything else is ignored.",
            ),
        ],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = SignInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        address = client_address(request)
        device_cookie = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
        slot = signin_limit.take_slot(
            email=email,
            address=address,
            device=signin_limit.trusted_device(cookie=device_cookie, email=email),
        )
        if slot.limited_scope is not None:
            services.signin_limit_event(
                email=email,
                client_address=address,
                scope=slot.limited_scope,
                window_start=slot.window_start,
            )
            response = error_response(
                ApiError(429, "too_many_attempts", _("Too many sign-in attempts. Try again later."))
            )
            response["Retry-After"] = str(slot.retry_after)
            return response
        try:
            signin = services.user_sign_in(
                request=request._request,
                email=email,
                password=serializer.validated_data["password"],
            )
        except services.SignInFailed:
            return error_response(
                ApiError(401, "invalid_credentials", _("Email or password is incorrect."))
            )
        signin_limit.give_back(slot)
        response = _pair_response(signin)
        # This browser has now signed in to this account: from here on it is exempt from
        # the account-wide limit (see accounts/signin_limit.py).
        signin_limit.device_cookie_set(
            response,
            cookie=device_cookie,
            user=signin.user,
            name=settings.DEVICE_COOKIE_NAME,
            path=settings.REFRESH_COOKIE_PATH,
        )
        return response


class TokenRefreshApi(APIView):
    """Exchange a refresh token (body or cookie) for a new pair; the old one is spent."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_token_refresh",
        request=RefreshTokenSerializer,
        responses={200: TokenPairSerializer, 401: ErrorSerializer},
        parameters=[
            OpenApiParameter(
                settings.REFRESH_COOKIE_NAME,
                OpenApiTypes.STR,
                OpenApiParameter.COOKIE,
                required=False,
                description="The refresh token as the web app holds it (HttpOnly), instead "
                "of `refresh` in the body.",
            ),
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[401],
                description=(
                    "With code `refresh_in_progress` only: the token was spent seconds ago by a "
                    "concurrent refresh or one whose answer was lost. Keep the cookie and ask "
                    "again after this many seconds."
                ),
            ),
        ],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = serializer.validated_data.get("refresh") or request.COOKIES.get(
            settings.REFRESH_COOKIE_NAME
        )
        if not raw:
            raise ApiError(400, "invalid", _("A refresh token is required."), field="refresh")
        try:
            signin = services.session_refresh(
                raw_refresh=raw, client_address=client_address(request)
            )
        except services.RefreshFailed as exc:
            if exc.retry_after is not None:
                # Lost a race with this client's own concurrent refresh: the winner's
                # response set the new cookie, which clearing it here would destroy.
                response = error_response(
                    ApiError(401, "refresh_in_progress", _("This token was just used. Retry."))
                )
                response["Retry-After"] = str(exc.retry_after)
                return response
            return _clear_cookie(
                error_response(
                    ApiError(401, "session_expired", _("The session has ended. Sign in again."))
                )
            )
        return _pair_response(signin)


class LogoutApi(APIView):
    """End the sign-in session (all its tokens) and clear the refresh cookie."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_logout",
        request=RefreshSerializer,
        responses={204: None},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sessions = set()
        raw = serializer.validated_data.get("refresh") or request.COOKIES.get(
            settings.REFRESH_COOKIE_NAME
        )
        if raw and (sid := services.session_id_from_refresh(raw)):
            sessions.add(sid)
        authenticator = RevocableJWTAuthentication()
        try:
            header = authenticator.get_header(request)
            token = authenticator.get_raw_token(header) if header else None
            if token:
                sessions.add(authenticator.get_validated_token(token)[SESSION_CLAIM])
        except (InvalidToken, JWTFailed, KeyError):
            pass
        for sid in sessions:
            services.session_end(session_id=sid)
        return _clear_cookie(Response(status=status.HTTP_204_NO_CONTENT))


class MeApi(APIView):
    """The signed-in user."""

    @extend_schema(operation_id="auth_me", responses={200: UserSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        operation_id="auth_me_update",
        request=ProfileUpdateSerializer,
        responses={200: UserSerializer, 400: ErrorSerializer},
        tags=["auth"],
    )
    def patch(self, request: SignedInRequest) -> Response:
        """Change your display name, timezone or language. Check-ins already stored keep
        their local date and day (they were true where and when they were felt); new ones
        are dated in the new zone. The answer already speaks the new language."""
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = services.user_profile_update(
                user=request.user,
                display_name=data.get("display_name"),
                timezone_name=data.get("timezone"),
                language=data.get("language"),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        language_activate(user.language)
        return Response(UserSerializer(user).data)


class TimezoneListApi(APIView):
    """The timezones a profile can be set to (for the settings screen's list)."""

    @extend_schema(
        operation_id="auth_timezones", responses={200: TimezoneListSerializer}, tags=["auth"]
    )
    def get(self, request: Request) -> Response:
        return Response({"timezones": sorted(canonical_timezones())})


# --------------------------------------------------------------------------- passwords


class AfterResponse(Response):
    """A response that runs ``then`` once it has been sent.

    WSGI servers (gunicorn, runserver, the test server) and Django's test client call
    ``close()`` after the body has been written; the work done there is not in the
    answer's timing. What it raises is logged, never sent (the answer is gone)."""

    def __init__(self, *args: Any, then: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._then: Callable[[], object] | None = then

    def close(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            try:
                then()
            except Exception:
                logger.exception("work after the response failed")
        super().close()


def app_url(request: Request) -> str:
    """The web app's origin for links in mail: ``PUBLIC_URL``, else the request's own."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def _too_many(slot: signin_limit.Slot, *, detail: str) -> Response:
    response = error_response(ApiError(429, "too_many_attempts", detail))
    response["Retry-After"] = str(slot.retry_after)
    return response


RESET_SENT = gettext_lazy(
    "If an account exists for that email, we have sent a link to reset its password. "
    "The link works for 30 minutes."
)
RESET_LIMITED = gettext_lazy("Too many requests for a password reset. Try again later.")


class PasswordResetApi(APIView):
    """Ask for a password reset link by email."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_password_reset",
        request=PasswordResetRequestSerializer,
        responses={
            202: OpenApiResponse(
                DetailSerializer,
                description="The same answer, after the same work, whether or not the "
                "address has an account; an active account is mailed a link that works "
                "once, for 30 minutes.",
            ),
            400: ErrorSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Too many requests."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        address = client_address(request)
        slot = signin_limit.take_slot(
            email=email,
            address=address,
            device=signin_limit.trusted_device(
                cookie=request.COOKIES.get(settings.DEVICE_COOKIE_NAME), email=email
            ),
            purpose="reset",
        )
        if slot.limited_scope is not None:
            services.signin_limit_event(
                email=email,
                client_address=address,
                scope=slot.limited_scope,
                window_start=slot.window_start,
                via="reset_request",
                kind=SecurityEvent.Kind.RESET_LIMITED,
            )
            return _too_many(slot, detail=str(RESET_LIMITED))
        # The same work whether the address has an account or not; whether it has is
        # found out only after the answer has gone (see accounts.password_reset).
        send = partial(
            password_reset.password_reset_send,
            email=email,
            reset=password_reset.reset_token_new(),
            app_url=app_url(request),
            now=timezone.now(),
        )
        return AfterResponse(
            {"detail": str(RESET_SENT)}, status=status.HTTP_202_ACCEPTED, then=send
        )


class PasswordResetConfirmApi(APIView):
    """Set a new password with the token of an emailed link."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        request=PasswordResetConfirmSerializer,
        responses={
            200: OpenApiResponse(
                PasswordResetConfirmedSerializer,
                description="The password is set; every session of the account has ended "
                "and the account is told by mail. Sign in with the new password.",
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="`token`: unknown, used or expired; `password`: refused by "
                "the password policy (the link stays usable).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        address = client_address(request)
        slot = signin_limit.take_slot(email=None, address=address, purpose="reset_confirm")
        if slot.limited_scope is not None:
            services.signin_limit_event(
                email=None,
                client_address=address,
                scope=slot.limited_scope,
                window_start=slot.window_start,
                via="reset_confirm",
                kind=SecurityEvent.Kind.RESET_LIMITED,
            )
            return _too_many(slot, detail=str(RESET_LIMITED))
        try:
            user = password_reset.password_reset_confirm(
                token=data["token"],
                password=data["password"],
                client_address=address,
                app_url=app_url(request),
                now=timezone.now(),
            )
        except password_reset.ResetLinkInvalid:
            # Only a link that does not work counts against the limit.
            raise ApiError(
                400,
                "invalid_token",
                _("This link has expired or has already been used. Ask for a new one."),
                field="token",
            ) from None
        except DjangoValidationError as exc:
            signin_limit.give_back(slot)
            raise serializers.ValidationError(exc.message_dict) from exc
        signin_limit.give_back(slot)
        return Response({"email": user.email})


class PasswordChangeApi(APIView):
    """Change your password. Every other session of the account ends; this one stays."""

    @extend_schema(
        operation_id="auth_password_change",
        request=PasswordChangeSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`current_password`: not the account's; `new_password`: "
                "refused by the password policy.",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many wrong passwords."),
        },
        parameters=[
            OpenApiParameter(
                settings.DEVICE_COOKIE_NAME,
                OpenApiTypes.STR,
                OpenApiParameter.COOKIE,
                required=False,
                description="As for sign-in: a wrong current password is a password guess "
                "and counts against the same limits.",
            ),
        ],
        tags=["auth"],
    )
    def post(self, request: SignedInRequest) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        address = client_address(request)
        # A wrong current password is a guess at the account's password: sign-in's limits.
        slot = signin_limit.take_slot(
            email=user.email,
            address=address,
            device=signin_limit.trusted_device(
                cookie=request.COOKIES.get(settings.DEVICE_COOKIE_NAME), email=user.email
            ),
        )
        if slot.limited_scope is not None:
            services.signin_limit_event(
                email=user.email,
                client_address=address,
                scope=slot.limited_scope,
                window_start=slot.window_start,
                via="password_change",
            )
            return _too_many(slot, detail=_("Too many attempts. Try again later."))
        token: Any = request.auth  # simplejwt's validated token (None when forced in tests)
        session = token.get(SESSION_CLAIM) if token is not None else None
        try:
            services.password_change(
                user=user,
                session_id=uuid.UUID(str(session)) if session else None,
                current_password=data["current_password"],
                new_password=data["new_password"],
                client_address=address,
                app_url=app_url(request),
                now=timezone.now(),
            )
        except services.WrongPassword:
            raise ApiError(
                400,
                "wrong_password",
                _("That is not your current password."),
                field="current_password",
            ) from None
        except DjangoValidationError as exc:
            signin_limit.give_back(slot)
            raise serializers.ValidationError(exc.message_dict) from exc
        signin_limit.give_back(slot)
        return Response(status=status.HTTP_204_NO_CONTENT)
