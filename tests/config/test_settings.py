"""Start-up refuses unsafe production settings; a production configuration passes --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "s" * 20 + "9f8e7d6c5b4a3928170615243342516071829304"
GOOD_JWT_KEY = "j" * 20 + "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b"


def relief(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    base.update(PYTHONPATH=str(ROOT / "backend"), DJANGO_SETTINGS_MODULE="config.settings")
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "config.cli", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JWT_SIGNING_KEY": GOOD_JWT_KEY}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": GOOD_SECRET}, "JWT_SIGNING_KEY is missing"),
        (
            {
                "SECRET_KEY": "dev-only-insecure-secret-key-change-me-0123456789abcdefghij",
                "JWT_SIGNING_KEY": GOOD_JWT_KEY,
            },
            "SECRET_KEY is missing or set to a development default",
        ),
        ({"SECRET_KEY": "short", "JWT_SIGNING_KEY": GOOD_JWT_KEY}, "at least 50 characters"),
        ({"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_SECRET}, "must differ"),
        (
            {"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT_KEY, "DEBUG": "maybe"},
            "DEBUG must be true or false",
        ),
    ],
)
def test_unsafe_production_settings_stop_start_up(env: dict[str, str], message: str):
    out = relief("check", **env)
    assert out.returncode != 0
    assert message in out.stderr


WEAK_KEYS = ["a" * 50, "ab" * 25, "abcde" * 10, "0123456789" * 5, "x" * 45 + "9f8e7d6c5b"]


@pytest.mark.parametrize("weak", WEAK_KEYS)
@pytest.mark.parametrize("name", ["JWT_SIGNING_KEY", "SECRET_KEY"])
def test_a_long_but_predictable_key_stops_start_up_and_check_deploy(name: str, weak: str):
    keys = {"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT_KEY, name: weak}
    out = relief("check", "--deploy", ALLOWED_HOSTS="relief.example", **keys)
    assert out.returncode != 0
    assert f"{name} is too predictable" in out.stderr


def test_random_keys_of_the_documented_recipe_are_accepted():
    import secrets

    for _ in range(20):
        for key in (secrets.token_urlsafe(50), secrets.token_hex(32)):
            assert settings_module()._estimated_bits(key) >= 128


def settings_module():  # type: ignore[no-untyped-def]
    from config import settings

    return settings


def test_production_configuration_passes_check_deploy():
    out = relief(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=GOOD_SECRET,
        JWT_SIGNING_KEY=GOOD_JWT_KEY,
        ALLOWED_HOSTS="relief.example",
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert "System check identified no issues" in out.stdout


def test_debug_runs_with_development_defaults():
    out = relief("check", DEBUG="true")
    assert out.returncode == 0, out.stderr
