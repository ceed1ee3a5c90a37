"""Access tokens that must not work: expired, tampered, wrong audience or issuer, refresh."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from tests.accounts.helpers import ME_URL, bearer, sign_in

pytestmark = pytest.mark.django_db


def _reissue(raw: str, **changes: object) -> str:
    claims = jwt.decode(raw, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")


def _assert_rejected(access: str) -> None:
    response = bearer(access).get(ME_URL)
    assert response.status_code == 401
    assert response.json() == {
        "code": "token_not_valid",
        "detail": "The access token is invalid or expired.",
    }
    assert "pat@example.org" not in response.content.decode()


@pytest.fixture
def tokens(patient: User, password: str) -> dict:
    return sign_in("pat@example.org", password)


def test_correctly_signed_reissue_is_accepted(tokens: dict):
    # Guards the helper: only the changed claim makes the following tests fail.
    assert bearer(_reissue(tokens["access"])).get(ME_URL).status_code == 200


def test_expired_access_token_is_401(tokens: dict):
    past = int((timezone.now() - timedelta(seconds=1)).timestamp())
    _assert_rejected(_reissue(tokens["access"], exp=past))


def test_tampered_access_token_is_401(tokens: dict, other_patient: User):
    header, payload, signature = tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = str(other_patient.id)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _assert_rejected(f"{header}.{forged}.{signature}")


def test_token_signed_with_another_key_is_401(tokens: dict):
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    _assert_rejected(jwt.encode(claims, "x" * 64, algorithm="HS256"))


def test_wrong_audience_is_401(tokens: dict):
    _assert_rejected(_reissue(tokens["access"], aud="another-api"))


def test_wrong_issuer_is_401(tokens: dict):
    _assert_rejected(_reissue(tokens["access"], iss="someone-else"))


def test_refresh_token_used_as_access_token_is_401(tokens: dict):
    _assert_rejected(tokens["refresh"])


def test_unsigned_alg_none_token_is_401(tokens: dict):
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    _assert_rejected(jwt.encode(claims, None, algorithm="none"))
