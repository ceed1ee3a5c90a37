from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_builds_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["info"]["title"] == "Relief API"
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "fields"}


def test_swagger_ui_is_served_from_the_installed_package(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-dist" in html
    assert "cdn" not in html.lower()
