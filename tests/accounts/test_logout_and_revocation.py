from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Session, User
from tests.accounts.helpers import LOGOUT_URL, ME_URL, REFRESH_URL, bearer, sign_in

pytestmark = pytest.mark.django_db


def test_logout_ends_access_and_refresh_tokens_and_clears_the_cookie(patient: User, password: str):
    client = APIClient()
    tokens = sign_in("pat@example.org", password, client=client)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = client.post(LOGOUT_URL, {}, format="json")

    assert response.status_code == 204
    cookie = response.cookies[settings.REFRESH_COOKIE_NAME]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert Session.objects.get().revoked_reason == Session.Reason.LOGOUT
    assert bearer(tokens["access"]).get(ME_URL).status_code == 401
    again = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def test_logout_with_only_the_refresh_token_in_the_body(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    response = APIClient().post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    assert bearer(tokens["access"]).get(ME_URL).status_code == 401


def test_logout_without_tokens_is_harmless(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    assert APIClient().post(LOGOUT_URL, {}, format="json").status_code == 204
    assert bearer(tokens["access"]).get(ME_URL).status_code == 200


def test_deactivation_ends_existing_tokens_at_once(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    patient.is_active = False
    patient.save()
    assert bearer(tokens["access"]).get(ME_URL).status_code == 401
    response = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401


def test_password_change_ends_existing_tokens_at_once(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    user = User.objects.get(pk=patient.pk)
    user.set_password("a whole new passphrase 42")
    user.save()
    assert bearer(tokens["access"]).get(ME_URL).status_code == 401
    response = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert sign_in("pat@example.org", "a whole new passphrase 42")["user"]["id"]


def test_saving_a_profile_without_a_password_change_keeps_tokens(patient: User, password: str):
    tokens = sign_in("pat@example.org", password)
    user = User.objects.get(pk=patient.pk)
    user.display_name = "Pat P."
    user.save()
    assert bearer(tokens["access"]).get(ME_URL).status_code == 200
