from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_is_200_without_authentication(db: None):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(db: None):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "database_url",
    ["postgres://postgres@127.0.0.1:1/relief"],
    ids=["postgres-port-closed"],
)
def test_readyz_is_503_when_the_database_is_unreachable(database_url: str):
    # A real unreachable database, in a separate process so this suite's connection stays.
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz');"
        "print(r.status_code, r['Retry-After'], r.content.decode())"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_POOL_TIMEOUT": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT / "backend"),
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ('503 5 {"status": "unavailable", "database": "unreachable"}')


def test_unknown_api_path_is_a_json_404(db: None):
    response = Client().get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_the_web_app_is_served_at_the_root(db: None):
    response = Client().get("/")
    assert response.status_code == 200
    html = b"".join(response.streaming_content)
    assert b"<title>Relief</title>" in html
    assert b'<script type="module" src="/app.js"></script>' in html
