from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.push.push_service import PushService, start_push_service, use_vapid_key


@pytest.fixture
def vapid_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def push_on(settings: Any, vapid_private_key: ec.EllipticCurvePrivateKey) -> str:
    """Web Push on with a fresh VAPID key; returns the application server key."""
    return use_vapid_key(settings, vapid_private_key)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
