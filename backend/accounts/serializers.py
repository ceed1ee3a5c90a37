from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from core.api import StrictSerializer


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "display_name", "role", "timezone")
        read_only_fields = fields


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
