"""The VAPID key: from the environment (PEM or raw), generated in development, or none."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from push import vapid
from tests.config.test_settings import GOOD_JWT_KEY, GOOD_SECRET, relief


def _public(key: ec.EllipticCurvePrivateKey) -> str:
    return vapid.b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def test_a_key_is_read_from_pem_or_from_its_raw_private_number() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    sec1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    raw = vapid.b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    one_line = pkcs8.strip().replace("\n", "\\n")  # as it fits in an .env file
    for text in (pkcs8, sec1, raw, one_line):
        parsed = vapid.parse_private_key(text)
        assert _public(parsed) == _public(key)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not a key", "must be PEM or a base64url 32-byte private key"),
        ("AAAA", "must be PEM or a base64url 32-byte private key"),
        ("A" * 43, "is not a valid P-256 private key"),  # zero is no private key
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a readable"),
    ],
)
def test_a_malformed_key_is_refused_without_showing_it(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        vapid.parse_private_key(text)
    assert text not in str(caught.value)


def test_a_key_of_another_curve_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="must be a P-256"):
        vapid.parse_private_key(other.decode())


def test_development_generates_a_private_key_file_once(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_DEV_KEY_FILE = tmp_path / "var" / "vapid_private.pem"

    first = vapid.server_key()

    assert first is not None
    path = settings.VAPID_DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert [p.name for p in path.parent.iterdir()] == ["vapid_private.pem"]
    vapid._server_key.cache_clear()  # a new process: the same key from the file
    again = vapid.server_key()
    assert again is not None and again.public_key == first.public_key


def test_without_debug_and_without_a_key_push_is_off(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = False
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_DEV_KEY_FILE = tmp_path / "vapid_private.pem"
    assert vapid.server_key() is None
    assert not settings.VAPID_DEV_KEY_FILE.exists()
    vapid.check_settings()  # off is a valid configuration


def test_a_key_without_a_subject_is_refused(settings: Any) -> None:
    settings.DEBUG = False
    settings.VAPID_PRIVATE_KEY = vapid.b64url(b"\x01" * 32)
    settings.VAPID_SUBJECT = ""
    with pytest.raises(ImproperlyConfigured, match="VAPID_SUBJECT must say who runs"):
        vapid.check_settings()
    # Forms RFC 8292 allows but py_vapid does not sign with: refused at start-up, not at
    # the first reminder.
    for subject in ("mailto:ops@clinic", "https://clinic.example/contact"):
        settings.VAPID_SUBJECT = subject
        with pytest.raises(ImproperlyConfigured, match="VAPID_SUBJECT must say who runs"):
            vapid.check_settings()
    for subject in ("https://clinic.example", "mailto:ops@clinic.example"):
        settings.VAPID_SUBJECT = subject
        vapid.check_settings()


def test_a_malformed_key_stops_start_up() -> None:
    out = relief(
        "check",
        SECRET_KEY=GOOD_SECRET,
        JWT_SIGNING_KEY=GOOD_JWT_KEY,
        VAPID_PRIVATE_KEY="not-a-key",
        VAPID_SUBJECT="mailto:ops@clinic.example",
    )
    assert out.returncode != 0
    assert "VAPID_PRIVATE_KEY must be PEM or a base64url 32-byte private key" in out.stderr
    assert "not-a-key" not in out.stderr
