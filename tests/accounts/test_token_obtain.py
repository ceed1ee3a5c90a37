from __future__ import annotations

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import RefreshToken, Session, User
from tests.accounts.helpers import ME_URL, TOKEN_URL, bearer, sign_in

pytestmark = pytest.mark.django_db


def test_patient_obtains_a_token_pair_and_uses_the_access_token(patient: User, password: str):
    body = sign_in("pat@example.org", password)

    assert set(body) == {"access", "refresh", "user"}
    assert body["user"] == {
        "id": str(patient.id),
        "email": "pat@example.org",
        "display_name": "Pat Patient",
        "role": "patient",
        "timezone": "Europe/Berlin",
        "language": "en",
    }
    me = bearer(body["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json() == body["user"]
    assert me["Cache-Control"] == "no-store"
    session = Session.objects.get()
    assert session.user == patient
    assert RefreshToken.objects.filter(session=session, used_at__isnull=True).count() == 1


def test_sign_in_email_is_case_insensitive(patient: User, password: str):
    assert sign_in("PAT@Example.org", password)["user"]["id"] == str(patient.id)


def test_refresh_cookie_is_httponly_secure_strict_and_scoped(patient: User, password: str):
    response = APIClient().post(
        TOKEN_URL, {"email": "pat@example.org", "password": password}, format="json"
    )
    cookie = response.cookies[settings.REFRESH_COOKIE_NAME]
    assert cookie.value == response.json()["refresh"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/"


def test_tokens_carry_audience_issuer_and_no_personal_or_health_data(patient: User, password: str):
    body = sign_in("pat@example.org", password)
    for raw in (body["access"], body["refresh"]):
        claims = jwt.decode(raw, options={"verify_signature": False})
        assert claims["aud"] == "relief-api"
        assert claims["iss"] == "relief"
        assert set(claims) == {"token_type", "exp", "iat", "jti", "user_id", "sid", "aud", "iss"}
    access = jwt.decode(body["access"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] <= 300


@pytest.mark.parametrize(
    ("email", "pw"),
    [
        ("pat@example.org", "wrong password"),
        ("nobody@example.org", "correct horse battery staple"),
    ],
)
def test_wrong_credentials_get_one_generic_401(patient: User, email: str, pw: str):
    response = APIClient().post(TOKEN_URL, {"email": email, "password": pw}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "Email or password is incorrect.",
    }
    assert settings.REFRESH_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_inactive_user_cannot_sign_in(patient: User, password: str):
    patient.is_active = False
    patient.save()
    response = APIClient().post(
        TOKEN_URL, {"email": "pat@example.org", "password": password}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": "x"}, "email"),
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"email": "pat@example.org"}, "password"),
    ],
)
def test_malformed_sign_in_is_400_naming_the_field(patient: User, payload: dict, field: str):
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]


def test_non_json_body_is_415(patient: User):
    response = APIClient().post(TOKEN_URL, "email=pat@example.org", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_no_token_is_401_with_bearer_challenge(db: None):
    response = APIClient().get(ME_URL)
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
