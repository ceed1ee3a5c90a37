"""A push service for the tests: RFC 8030 on 127.0.0.1, checking what a real one checks.

Each "phone" is a subscription made here as a browser makes one: a P-256 key pair and a
16-byte auth secret of its own, and an endpoint on this server. For every POST the server
verifies the VAPID ``Authorization`` header (RFC 8292: the ES256 signature with the key in
``k``, ``aud`` the endpoint's origin, ``exp`` in the future and within 24 hours, a ``sub``),
decrypts the body with the phone's private key (RFC 8291, aes128gcm, ``http_ece``) and keeps
what arrived. It answers 201, or what the test set for that phone (410 for one it "lost").
A request that fails a check is answered 400/401/403 and kept in ``problems``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

SUBJECT = "mailto:ops@clinic.example"


def use_vapid_key(settings: Any, key: ec.EllipticCurvePrivateKey) -> str:
    """Web Push on with ``key`` (as PEM, the way an operator sets it) and http endpoints on
    127.0.0.1 allowed (this push service's). Returns the application server key."""
    settings.VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_LOCAL_HTTP = True
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Phone:
    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    answer: int = 201
    location: str | None = None  # sent with the answer (a redirect)

    @property
    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}

    def subscription_json(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the app to post."""
        return {"endpoint": self.endpoint, "keys": self.keys}


@dataclass
class Delivery:
    phone: str
    message: dict[str, Any]
    claims: dict[str, Any]
    vapid_key: str
    headers: dict[str, str]


@dataclass
class PushService:
    server: ThreadingHTTPServer
    phones: dict[str, Phone] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # the phone each POST was for
    problems: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def phone(self, name: str, *, answer: int = 201) -> Phone:
        phone = Phone(
            name=name,
            endpoint=f"{self.origin}/push/{name}-{os.urandom(6).hex()}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
            answer=answer,
        )
        self.phones[phone.endpoint.rsplit("/", 1)[1]] = phone
        return phone


def _verify_vapid(header: str, origin: str) -> tuple[dict[str, Any], str]:
    """The claims and public key of a valid ``vapid t=…,k=…`` header; ValueError if not."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"authorization scheme {scheme!r}, not vapid")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = values["t"], values["k"]
    head, claims_part, signature = token.split(".")
    if json.loads(b64url_decode(head)) != {"typ": "JWT", "alg": "ES256"}:
        raise ValueError(f"JWT header {b64url_decode(head)!r}")
    raw = b64url_decode(signature)
    if len(raw) != 64:
        raise ValueError("ES256 signature is not 64 bytes")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("VAPID signature does not verify") from None
    claims = json.loads(b64url_decode(claims_part))
    now = time.time()
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r}, not {origin!r}")
    if not now < claims.get("exp", 0) <= now + 24 * 3600:
        raise ValueError(f"exp {claims.get('exp')!r} not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
        raise ValueError(f"sub {claims.get('sub')!r}")
    return claims, key


def _handler(service: PushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(
            self, status: int, problem: str | None = None, location: str | None = None
        ) -> None:
            if problem:
                service.problems.append(f"{self.path}: {problem}")
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            phone = service.phones.get(self.path.rsplit("/", 1)[-1])
            service.requests.append(phone.name if phone else self.path)
            if not self.path.startswith("/push/") or phone is None:
                self._answer(404, "no such subscription")
                return
            try:
                claims, key = _verify_vapid(self.headers.get("Authorization", ""), service.origin)
            except (ValueError, KeyError) as exc:
                self._answer(401, f"VAPID: {exc}")
                return
            if self.headers.get("Content-Encoding") != "aes128gcm":
                self._answer(400, f"Content-Encoding {self.headers.get('Content-Encoding')!r}")
                return
            if not self.headers.get("TTL", "").isdigit():
                self._answer(400, "no TTL")
                return
            try:
                plain = http_ece.decrypt(
                    body,
                    private_key=phone.private_key,
                    auth_secret=phone.auth_secret,
                    version="aes128gcm",
                )
                message = json.loads(plain)
            except Exception as exc:  # any failure is the finding
                self._answer(400, f"payload: {type(exc).__name__}: {exc}")
                return
            if phone.answer < 300:
                service.deliveries.append(
                    Delivery(
                        phone=phone.name,
                        message=message,
                        claims=claims,
                        vapid_key=key,
                        headers={k.lower(): v for k, v in self.headers.items()},
                    )
                )
            self._answer(phone.answer, location=phone.location)

    return Handler


def start_push_service() -> PushService:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    service = PushService(server=server)
    server.RequestHandlerClass = _handler(service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service
