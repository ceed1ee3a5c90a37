"""The admin site: sign-in under the API's limits, and TOTP for staff who turn it on.

``/admin/`` signs in with email and password like the API, so it takes the same slots
(``accounts.signin_limit``: per address, per (account, address), per account for untrusted
browsers, per device cookie for trusted ones) and writes the same ``signin_limited``
security events. Over a limit the form is shown again with the limit message, status 429.

TOTP (django-otp) is opt-in per staff user: one who has a *confirmed* TOTP device must give
its current token with the password (``relief totp_enroll`` sets one up); one without signs
in with the password alone. The site admits only users verified by their device when they
have one, so a session started before the device was confirmed must sign in again.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.models import Device

from accounts import services, signin_limit
from accounts.apis import client_address
from accounts.models import User

LIMIT_MESSAGE = "Too many sign-in attempts. Try again later."


class ReliefAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Email, password and (for staff with a confirmed device) a TOTP token, counted
    against the sign-in limits before anything is checked."""

    error_messages = {  # noqa: RUF012  (Django's own pattern for form messages)
        **OTPAdminAuthenticationForm.error_messages,
        "too_many_attempts": LIMIT_MESSAGE,
    }

    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or password is None:
            # Not an attempt: the field errors already say what is missing.
            return self.cleaned_data
        request = self.request
        address = client_address(request)
        cookie = request.COOKIES.get(settings.DEVICE_COOKIE_ADMIN_NAME)
        slot = signin_limit.take_slot(
            email=email,
            address=address,
            device=signin_limit.trusted_device(cookie=cookie, email=email),
        )
        if slot.limited_scope is not None:
            services.signin_limit_event(
                email=email,
                client_address=address,
                scope=slot.limited_scope,
                window_start=slot.window_start,
                via="admin",
            )
            request.relief_signin_limited = slot
            raise forms.ValidationError(LIMIT_MESSAGE, code="too_many_attempts")
        # A wrong password, a wrong or missing token or a non-staff account keeps the slot.
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user_has_device(user, confirmed=True):
            self.clean_otp(user)
        signin_limit.give_back(slot)
        request.relief_signed_in = True
        return self.cleaned_data

    def _chosen_device(self, user: Any) -> Device | None:
        """The device picked in the form, or the user's only confirmed one: so a staff user
        with one authenticator app signs in with one submit (email, password, token)."""
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class ReliefAdminSite(OTPAdminSite):
    login_form = ReliefAdminAuthenticationForm

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        # Verified by a device when the user has one (TOTP is opt-in per staff user).
        # is_verified: set on the user by django-otp's middleware.
        return bool(user.is_verified()) or not user_has_device(user, confirmed=True)  # type: ignore[attr-defined]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response: HttpResponse = super().login(request, extra_context)
        slot = getattr(request, "relief_signin_limited", None)
        if slot is not None:
            response.status_code = 429
            response["Retry-After"] = str(slot.retry_after)
        elif getattr(request, "relief_signed_in", False):
            signin_limit.device_cookie_set(
                response,
                cookie=request.COOKIES.get(settings.DEVICE_COOKIE_ADMIN_NAME),
                user=cast(User, request.user),
                name=settings.DEVICE_COOKIE_ADMIN_NAME,
                path=reverse(f"{self.name}:index"),
            )
        return response
