from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.timezones import accepted_timezones, timezone_canonical
from core.api import StrictSerializer
from core.i18n import Language

LANGUAGE_HELP = (
    "What Relief speaks to the account: the app, the API's messages, its mail and "
    "notifications (`en` English, `es` Spanish)."
)


# The accepted names as a plain enum: DRF's choice field would also list each of the ~570
# names a second time in the description.
@extend_schema_field({"type": "string", "enum": list(accepted_timezones())})
class TimezoneField(serializers.ChoiceField):
    """An accepted IANA timezone name (``accounts.timezones``), returned canonical."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages",
            # DRF fills in {input}: a named placeholder of its own.
            {"invalid_choice": gettext_lazy('"{input}" is not a known IANA timezone.')},
        )
        super().__init__(choices=accepted_timezones(), **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        return timezone_canonical(value) or value  # the choices hold only names it maps


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "display_name", "role", "timezone", "language")
        read_only_fields = fields
        extra_kwargs = {"language": {"help_text": LANGUAGE_HELP}}  # noqa: RUF012


class SignInSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(
        required=False,
        max_length=4096,
        help_text="The refresh token. Web clients omit it and send the HttpOnly cookie.",
    )


class RefreshTokenSerializer(RefreshSerializer):
    """The refresh endpoint's body as documented: a client without the refresh cookie must
    send ``refresh`` (without either, 400 naming it); the web app sends ``{}`` and the
    cookie, documented as a cookie parameter beside it."""

    refresh = serializers.CharField(
        max_length=4096,
        help_text="The refresh token. Required without the refresh cookie; web clients "
        "send the HttpOnly cookie instead and may omit it.",
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class ProfileUpdateSerializer(StrictSerializer):
    display_name = serializers.CharField(
        required=False, max_length=150, help_text="The name shown to you and your clinic."
    )
    timezone = TimezoneField(
        required=False,
        help_text="IANA timezone, e.g. Europe/Berlin (a legacy alias is stored under its "
        "canonical name). Check-ins already stored keep their local date and day; new "
        "ones are dated in this zone.",
    )
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text=LANGUAGE_HELP
    )


class TimezoneListSerializer(serializers.Serializer):
    timezones = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every canonical IANA timezone name Relief stores, sorted.",
    )


class PasswordResetRequestSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictSerializer):
    token = serializers.CharField(max_length=200, help_text="The token from the emailed link.")
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordResetConfirmedSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The account whose password was set: sign in.")


class PasswordChangeSerializer(StrictSerializer):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
