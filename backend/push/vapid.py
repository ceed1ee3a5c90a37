"""The server's VAPID key (RFC 8292): it signs every push, and its public half is the
``applicationServerKey`` a phone subscribes with (a push service then refuses pushes not
signed by it).

Where the key comes from, in order: ``VAPID_PRIVATE_KEY``; with ``DEBUG``, the file
``var/vapid_private.pem``, generated (mode 0600) the first time it is needed; otherwise
there is none and Web Push is off: ``server_key()`` is None, the key endpoint says so and
the app never asks for notification permission.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid02, VapidException


@dataclass(frozen=True)
class ServerKey:
    private_key: ec.EllipticCurvePrivateKey
    subject: str

    @property
    def public_key(self) -> str:
        """The application server key: the uncompressed P-256 point, base64url, unpadded."""
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; ValueError for anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text):
        raise ValueError("not base64url")
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM (PKCS#8 or SEC1) or from its 32-byte private number in
    base64url. ValueError says what is wrong, never what the key is."""
    text = text.strip().replace("\\n", "\n")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("is not a readable unencrypted PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("must be a P-256 (prime256v1) key")
        return key
    try:
        raw = b64url_decode(text)
    except ValueError as exc:
        raise ValueError("must be PEM or a base64url 32-byte private key") from exc
    if len(raw) != 32:
        raise ValueError("must be PEM or a base64url 32-byte private key")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError as exc:
        raise ValueError("is not a valid P-256 private key") from exc


def _development_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key in ``path``, made first if there is none. Two processes starting at once
    (the web server and the worker) end up with the same key: each writes a file of its
    own and links it into place, and the one whose link fails reads the winner's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return parse_private_key(path.read_text())


@lru_cache(maxsize=4)
def _server_key(configured: str, subject: str, debug: bool, dev_file: str) -> ServerKey | None:
    if configured:
        return ServerKey(private_key=parse_private_key(configured), subject=subject)
    if debug:
        return ServerKey(private_key=_development_key(Path(dev_file)), subject=subject)
    return None


def server_key() -> ServerKey | None:
    """The VAPID key to sign with, or None when Web Push is off."""
    return _server_key(
        settings.VAPID_PRIVATE_KEY,
        settings.VAPID_SUBJECT,
        settings.DEBUG,
        str(settings.VAPID_DEV_KEY_FILE),
    )


def check_settings() -> None:
    """Refuses, at start-up, a key that cannot be read or a key without a valid subject."""
    if settings.VAPID_PRIVATE_KEY:
        try:
            parse_private_key(settings.VAPID_PRIVATE_KEY)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"VAPID_PRIVATE_KEY {exc}. Make one with: openssl ecparam -name prime256v1 "
                "-genkey -noout | openssl pkcs8 -topk8 -nocrypt"
            ) from None
    if (settings.VAPID_PRIVATE_KEY or settings.DEBUG) and not subject_ok(settings.VAPID_SUBJECT):
        raise ImproperlyConfigured(
            "VAPID_SUBJECT must say who runs this server, as mailto:someone@example.org or "
            "https://example.org (push services use it to reach you about your pushes)."
        )


def subject_ok(subject: str) -> bool:
    """Whether py_vapid signs with this subject (it checks the form itself, more strictly
    than RFC 8292: an https subject without a path, a mail domain with a dot or localhost)."""
    try:
        Vapid02(private_key=ec.generate_private_key(ec.SECP256R1())).sign(
            {"sub": subject, "aud": "https://push.example", "exp": int(time.time()) + 60}
        )
    except VapidException:
        return False
    return True
