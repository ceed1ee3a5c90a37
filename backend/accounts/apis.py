"""Sign-in API: obtain, refresh (rotating, single use), logout, me."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JWTFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts import services, signin_limit
from accounts.authentication import RevocableJWTAuthentication
from accounts.serializers import (
    RefreshSerializer,
    RefreshTokenSerializer,
    SignInSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.tokens import SESSION_CLAIM
from core.exceptions import ApiError, error_response
from core.schema import ErrorSerializer


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
                ApiError(429, "too_many_attempts", "Too many sign-in attempts. Try again later.")
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
                ApiError(401, "invalid_credentials", "Email or password is incorrect.")
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
            raise ApiError(400, "invalid", "A refresh token is required.", field="refresh")
        try:
            signin = services.session_refresh(
                raw_refresh=raw, client_address=client_address(request)
            )
        except services.RefreshFailed as exc:
            if exc.retry_after is not None:
                # Lost a race with this client's own concurrent refresh: the winner's
                # response set the new cookie, which clearing it here would destroy.
                response = error_response(
                    ApiError(401, "refresh_in_progress", "This token was just used. Retry.")
                )
                response["Retry-After"] = str(exc.retry_after)
                return response
            return _clear_cookie(
                error_response(
                    ApiError(401, "session_expired", "The session has ended. Sign in again.")
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
