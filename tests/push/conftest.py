from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.push.push_service import PushService, start_push_service

SUBJECT = "mailto:ops@clinic.example"


@pytest.fixture
def vapid_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def push_on(settings: Any, vapid_private_key: ec.EllipticCurvePrivateKey) -> str:
    """Web Push on with a fresh VAPID key (PEM, as an operator sets it); local http
    endpoints allowed for the tests' push service. Returns the application server key."""
    settings.VAPID_PRIVATE_KEY = vapid_private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_LOCAL_HTTP = True
    from push.vapid import b64url

    return b64url(
        vapid_private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
