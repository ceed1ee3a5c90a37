"""Security headers on every kind of response, and no health data in any cache."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/auth/me/", "/api/docs/", "/nowhere"])
def test_every_response_carries_the_security_headers(path: str):
    response = Client().get(path, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "Access-Control-Allow-Origin" not in response


def test_health_data_responses_are_never_stored(physician: User, patient: User, client_for):
    link(physician, patient)
    for url in ("/api/v1/patients/", f"/api/v1/patients/{patient.pk}/", "/api/v1/entries/"):
        response = client_for(physician).get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"


def test_no_cors_for_other_origins(physician: User, client_for):
    response = client_for(physician).get("/api/v1/patients/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_browsable_api_is_off_in_production(physician: User, client_for):
    response = client_for(physician).get("/api/v1/patients/", HTTP_ACCEPT="text/html")
    # JSON only: DEBUG is off in tests, so no HTML renderer is installed.
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
