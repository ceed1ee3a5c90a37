"""Scale-out: two real gunicorn instances, one PostgreSQL database, one Redis.

Both serve this test's database (pytest-django's ``test_…`` database; the test commits, so
the instances see its rows) with the cache on Redis, each on its own port. A token issued by
one works on the other; after logout on one, the token fails on both at once; a refresh token
spent on one cannot be spent again on the other; failed sign-ins are counted across both.

PostgreSQL only (the instances cannot share a SQLite test file safely), and skipped when
Redis does not answer (CACHE_URL, or redis://127.0.0.1:6379/12 when it is not set).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(8821, 8831)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def redis_url() -> str:
    url = os.environ.get("CACHE_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/12"


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                found.append(port)
        if len(found) == count:
            return found
    pytest.skip(f"no {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


def call(base: str, method: str, path: str, *, token: str = "", body: Any = None,  # type: ignore[no-untyped-def]
         cookie: str = ""):  # fmt: skip
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


@pytest.fixture
def instances(db: None) -> Iterator[list[str]]:
    from django.db import connection

    cache = redis_url()
    if not redis_answers(cache):
        pytest.skip(f"Redis does not answer at {cache}")
    db_settings = connection.settings_dict
    database = (
        f"postgres://{db_settings['USER'] or 'postgres'}"
        + (f":{db_settings['PASSWORD']}" if db_settings["PASSWORD"] else "")
        + f"@{db_settings['HOST'] or '127.0.0.1'}:{db_settings['PORT'] or 5432}"
        + f"/{db_settings['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CACHE_URL": cache,
        # This run's own counters, whoever else uses the Redis database.
        "CACHE_KEY_PREFIX": f"two-instances-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT / "backend"),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SIGNIN_LIMIT_PER_ACCOUNT": "3",
        "DATABASE_POOL_MIN_SIZE": "1",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    processes, bases = [], []
    for port in free_ports(2):
        processes.append(
            subprocess.Popen(
                [gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--log-level", "warning"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        )  # fmt: skip
        bases.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        for process, base in zip(processes, bases, strict=True):
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
                try:
                    urllib.request.urlopen(base + "/readyz", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"gunicorn at {base} did not become ready")
                    time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        # Close the instances' connections before pytest-django drops the database.
        connection.close()


def device_cookie(base: str, email: str, password: str) -> str:
    """Sign in and return the ``Cookie`` header value that carries the device cookie."""
    body = json.dumps({"email": email, "password": password}).encode()
    request = urllib.request.Request(base + "/api/v1/auth/token/", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=20) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie"):
            jar.load(header)
    return f"relief_device={jar['relief_device'].value}"


def test_tokens_revocation_and_the_signin_limit_hold_across_two_instances(
    instances: list[str], password: str
):
    from tests.factories import PatientFactory

    a, b = instances
    PatientFactory(email="two@example.org")
    status, pair = call(a, "POST", "/api/v1/auth/token/", body={"email": "two@example.org",
                                                                 "password": password})  # fmt: skip
    assert status == 200
    trusted = device_cookie(a, "two@example.org", password)

    # An access token from A works on B, and B's own lookups agree.
    assert call(b, "GET", "/api/v1/auth/me/", token=pair["access"])[0] == 200
    assert call(a, "GET", "/api/v1/auth/me/", token=pair["access"])[0] == 200

    # A refresh token spent on B cannot be spent again on A.
    status, renewed = call(b, "POST", "/api/v1/auth/token/refresh/",
                           body={"refresh": pair["refresh"]})  # fmt: skip
    assert status == 200
    again = call(a, "POST", "/api/v1/auth/token/refresh/", body={"refresh": pair["refresh"]})
    assert again[0] == 401

    # Logout on A ends the sign-in on both, at once.
    assert call(b, "GET", "/api/v1/auth/me/", token=renewed["access"])[0] == 200
    assert call(a, "POST", "/api/v1/auth/logout/", token=renewed["access"], body={})[0] == 204
    assert call(a, "GET", "/api/v1/auth/me/", token=renewed["access"])[0] == 401
    assert call(b, "GET", "/api/v1/auth/me/", token=renewed["access"])[0] == 401

    # Failed sign-ins count across both instances (SIGNIN_LIMIT_PER_ACCOUNT=3 here).
    wrong = {"email": "two@example.org", "password": "not the password"}
    codes = [call(base, "POST", "/api/v1/auth/token/", body=wrong)[0] for base in (a, b, a, b, a)]
    assert codes == [401, 401, 401, 429, 429]
    assert call(b, "POST", "/api/v1/auth/token/",
                body={"email": "two@example.org", "password": password})[0] == 429  # fmt: skip
    # ... except from the browser that signed in before: its device cookie, set by A, is
    # honoured by B (one SECRET_KEY), so the lockout above does not reach it.
    assert call(b, "POST", "/api/v1/auth/token/", cookie=trusted,
                body={"email": "two@example.org", "password": password})[0] == 200  # fmt: skip
