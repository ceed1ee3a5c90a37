from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


def sign_in(email: str, password: str, client: APIClient | None = None) -> dict[str, Any]:
    client = client or APIClient()
    response = client.post(TOKEN_URL, {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
