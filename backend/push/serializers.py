from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import StrictSerializer
from push.endpoints import endpoint_problem
from push.vapid import b64url, b64url_decode

# The form of what the server sends to (schema and server agree): which hosts are push
# services is the server's configuration, checked after the form.
ENDPOINT_SCHEMA = {
    "type": "string",
    "format": "uri",
    "maxLength": 2048,
    "pattern": "^https://[A-Za-z0-9.-]+(/[^\\s\\u0000]*)?$",
}


@extend_schema_field(ENDPOINT_SCHEMA)
class EndpointField(serializers.CharField):
    """A push service's address for one browser (``PushSubscription.endpoint``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=2048, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if problem := endpoint_problem(value):
            raise serializers.ValidationError(problem)
        return value


def _base64url_message(size: int) -> str:
    return _("Must be %(size)d bytes in base64url.") % {"size": size}


_bytes_message = lazy(_base64url_message, str)


class Base64urlField(serializers.RegexField):
    """Base64url of exactly ``size`` bytes (padding optional), returned unpadded."""

    def __init__(self, *, size: int, **kwargs: Any) -> None:
        chars = -(-size * 4 // 3)  # characters without padding
        padding = "=" * (-chars % 4)
        pattern = f"^[A-Za-z0-9_-]{{{chars}}}" + (f"({padding})?$" if padding else "$")
        self.size = size
        super().__init__(
            pattern,
            # Lazy: the field is built when the module is imported, worded when it answers.
            error_messages={"invalid": _bytes_message(size)},
            **kwargs,
        )

    def run_validation(self, data: Any = serializers.empty) -> Any:
        value = super().run_validation(data)  # the pattern is checked here, after parsing
        return b64url(b64url_decode(value)) if isinstance(value, str) else value


class KeysSerializer(StrictSerializer):
    p256dh = Base64urlField(size=65, help_text="The browser's P-256 public key (uncompressed).")
    auth = Base64urlField(size=16, help_text="The browser's authentication secret.")


class SubscriptionSerializer(StrictSerializer):
    """``PushSubscription.toJSON()`` of the browser: its endpoint and keys."""

    endpoint = EndpointField()
    keys = KeysSerializer()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Only once the form is right (one refusal at a time): is it a point on the curve?
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(attrs["keys"]["p256dh"])
            )
        except ValueError:
            raise serializers.ValidationError(
                {"keys": {"p256dh": [_("Not a P-256 public key.")]}}
            ) from None
        return attrs


class SubscriptionOutSerializer(serializers.Serializer):
    endpoint = serializers.CharField()
    created_at = serializers.DateTimeField()


class ServerKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        allow_null=True,
        help_text=(
            "The application server key to subscribe with (an uncompressed P-256 point, "
            "base64url). null: this server sends no push notifications."
        ),
    )


class EndpointQuerySerializer(StrictSerializer):
    endpoint = EndpointField()
