"""Request bodies are bounded on every endpoint: 413 before a byte of the body is read.

DRF parses the raw stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (form parsing only) never
guarded the API: a 200 MB body to the anonymous sign-in endpoint was read whole.
"""

from __future__ import annotations

import io
import sys
import uuid

import orjson
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from config.wsgi import application
from diary.models import Entry

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/entries/sync/"


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        UnreadableBody.reads += 1
        raise AssertionError("the body of an oversized request was read")


def call_wsgi(method: str, path: str, *, length: str, **headers: str) -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": length,
        "HTTP_HOST": "testserver",
        "wsgi.input": UnreadableBody(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "https",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    captured: dict = {}

    def start_response(status: str, response_headers: list, exc_info: object = None) -> None:
        captured["status"] = status
        captured["headers"] = dict(response_headers)

    body = b"".join(application(environ, start_response))
    return captured["status"], captured["headers"], body


def every_path() -> list[str]:
    """One concrete path per URL pattern (any path parameter filled with a UUID)."""
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                path = prefix + route
                for converter in ("<uuid:", "<int:", "<str:", "<slug:", "<path:"):
                    while converter in path:
                        start = path.index(converter)
                        end = path.index(">", start)
                        path = path[:start] + str(uuid.uuid4()) + path[end + 1 :]
                paths.append("/" + path.lstrip("^").rstrip("$").replace("\\Z", ""))

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in paths if "(?P" not in p and "\\" not in p})


def test_every_route_is_covered():
    paths = every_path()
    assert "/api/v1/auth/token/" in paths
    assert SYNC in paths
    assert "/admin/login/" in paths or any(p.startswith("/admin/") for p in paths)
    assert len(paths) > 30


@pytest.mark.parametrize("path", every_path())
def test_an_oversized_body_is_refused_unread_on_every_route(path: str):
    limit = settings.SYNC_MAX_BODY_BYTES if path == SYNC else settings.API_MAX_BODY_BYTES
    UnreadableBody.reads = 0
    status, headers, body = call_wsgi("POST", path, length=str(limit + 1))
    assert status.startswith("413"), (path, status, body[:200])
    assert headers["Content-Type"] == "application/json"
    assert orjson.loads(body) == {
        "code": "request_too_large",
        "detail": f"The request body is larger than this endpoint accepts ({limit} bytes).",
    }
    assert UnreadableBody.reads == 0


def test_200_mb_to_the_anonymous_sign_in_is_refused_unread():
    status, _, body = call_wsgi("POST", "/api/v1/auth/token/", length=str(200 * 1024 * 1024))
    assert status == "413 Request Entity Too Large"
    assert orjson.loads(body)["code"] == "request_too_large"


@pytest.mark.parametrize("length", ["1e9", "-5", "12 ", "٣", "9" * 4301])
def test_a_malformed_content_length_is_400(length: str):
    status, _, body = call_wsgi("POST", "/api/v1/auth/token/", length=length)
    assert status == "400 Bad Request"
    assert orjson.loads(body) == {
        "code": "invalid_content_length",
        "detail": "Content-Length is not a number.",
    }


def test_a_body_at_the_limit_is_read_and_answered_normally():
    """The limit refuses only what is over it: a body of exactly the limit gets the endpoint's
    own answer (here: not JSON the sign-in understands)."""
    body = b'{"email": "a@example.org", "password": "' + b"x" * 10 + b'"}'
    padded = body + b" " * (settings.API_MAX_BODY_BYTES - len(body))
    response = Client().post(
        "/api/v1/auth/token/", data=padded, content_type="application/json", secure=True
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_phones_whole_outbox_of_longest_notes_fits_the_sync_limit(patient: User, patient_client):
    """500 check-ins (the most a batch holds), each note 5,000 four-byte characters: the
    worst a phone's outbox can be, sent as the web app sends it (raw UTF-8 JSON)."""
    note = "😖" * 5000
    entries = [
        {
            "id": str(uuid.uuid4()),
            "felt_at": "2026-03-02T09:30:00+01:00",
            "pain": 4,
            "soreness": 6,
            "bruising": "small",
            "iced": True,
            "heated": False,
            "strenuous_activity": False,
            "notes": note,
        }
        for _ in range(500)
    ]
    payload = orjson.dumps({"entries": entries})
    assert settings.API_MAX_BODY_BYTES < len(payload) <= settings.SYNC_MAX_BODY_BYTES
    response = patient_client.post(SYNC, data=payload, content_type="application/json")
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 500
    assert Entry.objects.filter(patient=patient).count() == 500
    assert set(Entry.objects.values_list("notes", flat=True)) == {note}


def test_the_same_body_elsewhere_is_over_the_limit(patient_client):
    payload = b'{"notes": "' + b"x" * settings.API_MAX_BODY_BYTES + b'"}'
    response = patient_client.put(
        f"/api/v1/entries/{uuid.uuid4()}/", data=payload, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
