from __future__ import annotations

from django.urls import path

from accounts import apis

app_name = "auth"

urlpatterns = [
    path("token/", apis.TokenObtainApi.as_view(), name="token"),
    path("token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("timezones/", apis.TimezoneListApi.as_view(), name="timezones"),
    path("password/", apis.PasswordChangeApi.as_view(), name="password-change"),
    path("password/reset/", apis.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password/reset/confirm/",
        apis.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
]
