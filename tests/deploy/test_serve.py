"""make serve's topology, started for real: nginx in front of gunicorn on a unix socket.

Every test here runs ``deploy.serve.start`` (what ``make serve``, ``make load`` and
``make faults`` run) on a free port in a temporary directory, against this run's test
database (PostgreSQL, or the SQLite test file through ``tests/deploy/serve_settings.py``),
and stops it afterwards. One test starts bare gunicorn the old way, to show what nginx is
for; one starts the Docker image's gunicorn command, reached directly.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from deploy import serve
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
pytestmark = pytest.mark.django_db(transaction=True)
try:
    serve.nginx_binary()
except serve.ServeError as missing:
    if os.environ.get("CI"):
        raise
    pytest.skip(f"{missing}; CI runs these tests", allow_module_level=True)

TOO_LARGE = {
    "code": "request_too_large",
    "detail": "The request body is larger than this endpoint accepts (1048576 bytes).",
}


def app_environment(**extra: str) -> dict[str, str]:
    """The app's environment for this run's test database, in production mode."""
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "tests.deploy.serve_settings",
        "PYTHONPATH": f"{ROOT / 'backend'}:{ROOT}",
        "DATABASE_POOL_MIN_SIZE": "1",
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    if db["ENGINE"] == "django.db.backends.postgresql":
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["RELIEF_TEST_SQLITE_NAME"] = str(db["NAME"])
    env.update(extra)
    return env


def close_connections() -> None:
    """The app processes are gone; close ours before pytest-django drops the database."""
    from django.db import connection

    connection.close()


@pytest.fixture(scope="module")
def topology(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[serve.Topology]:
    """make serve's topology (plain HTTP, two sync workers) for the whole module."""
    top = serve.start(
        port=free_port(), run_dir=tmp_path_factory.mktemp("serve"), env=app_environment(),
        workers=2,
    )  # fmt: skip
    try:
        yield top
    finally:
        top.stop()
        close_connections()


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20,
    source: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def entry_body(note: str = "Stiff in the morning.") -> dict[str, Any]:
    felt = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    return {"felt_at": felt.isoformat(), "pain": 4, "soreness": 6, "notes": note}


def bearer(user: User) -> dict[str, str]:
    from accounts.services import session_start

    return {
        "Authorization": f"Bearer {session_start(user=user).access}",
        "Content-Type": "application/json",
    }


# --------------------------------------------------------------------------- slow clients


class SlowClients:
    """``count`` connections that each send one more header line a second and never finish
    their request; a connection the server closes is opened again at once."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.sockets: list[socket.socket] = []
        self.opened = self.cut = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened += 1
        return s

    def _run(self) -> None:
        line = 0
        while not self.stop.wait(1.0):
            line += 1
            for index, s in enumerate(self.sockets):
                try:
                    s.sendall(f"X-Slow-{line}: {'a' * 20}\r\n".encode())
                except OSError:
                    s.close()
                    self.cut += 1
                    self.sockets[index] = self._open()

    def __enter__(self) -> SlowClients:
        self.sockets = [self._open() for _ in range(self.count)]
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        for s in self.sockets:
            s.close()


def probe(port: int, method: str, path: str, **kwargs: Any) -> int | str:
    """The status, or "timeout" when no answer came within the probe's 1 s."""
    try:
        return call(port, method, path, timeout=1, **kwargs)[0]
    except TimeoutError:
        return "timeout"


def test_two_hundred_slow_clients_do_not_stop_health_checks_or_check_ins(
    topology: serve.Topology, patient: User
):
    from diary.models import Entry

    headers = bearer(patient)
    outcomes: list[tuple[str, int | str]] = []
    sent: list[str] = []
    with SlowClients(topology.port, 200) as slow:
        started = time.monotonic()
        while time.monotonic() - started < 20:
            outcomes.append(("healthz", probe(topology.port, "GET", "/healthz")))
            entry = str(uuid.uuid4())
            sent.append(entry)
            status = probe(topology.port, "PUT", f"/api/v1/entries/{entry}/", headers=headers,
                           body=json.dumps(entry_body(f"probe {entry}")).encode())  # fmt: skip
            outcomes.append(("check-in", status))
            time.sleep(2)
        opened, cut = slow.opened, slow.cut

    # Every probe answered within its 1 s, all through the 20 s.
    assert len(outcomes) >= 16
    assert [o for o in outcomes if o[1] not in (200, 201)] == []
    assert {o for o in outcomes if o[0] == "check-in"} == {("check-in", 201)}
    stored = Entry.objects.filter(patient=patient)
    assert sorted(str(e.pk) for e in stored) == sorted(sent)
    assert {e.notes for e in stored} == {f"probe {e}" for e in sent}
    # nginx held all 200 and closed each after client_header_timeout (10 s); they came back.
    assert opened >= 200 + cut
    assert cut >= 200


def test_three_slow_clients_stall_bare_gunicorn(tmp_path: Path, db: None):
    """The old topology (gunicorn's sync workers facing the network), for comparison:
    three slow clients hold both workers and /healthz gets no answer."""
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning"],
        env=app_environment(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port, "/healthz", process)
        with SlowClients(port, 3):
            time.sleep(0.5)
            outcomes = [probe(port, "GET", "/healthz") for _ in range(3)]
    finally:
        process.terminate()
        process.wait(20)
        close_connections()
    assert outcomes == ["timeout", "timeout", "timeout"]


def wait_for(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            call(port, "GET", path, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered {path} on {port}")


# --------------------------------------------------------------------------- bounds


def test_an_oversized_body_is_refused_by_nginx_in_the_error_shape(
    topology: serve.Topology, patient: User
):
    from audit.models import AuditEvent
    from diary.models import Entry

    entry = uuid.uuid4()
    body = json.dumps(entry_body("x" * (1024 * 1024))).encode()
    status, headers, raw = call(topology.port, "PUT", f"/api/v1/entries/{entry}/", body=body,
                                headers=bearer(patient))  # fmt: skip

    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert json.loads(raw) == TOO_LARGE
    # nginx answered: Django never saw the request (no request id, nothing stored or audited).
    assert "X-Request-ID" not in headers
    assert Entry.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_an_oversized_declared_length_is_refused_before_the_body_is_sent(
    topology: serve.Topology,
):
    conn = http.client.HTTPConnection("127.0.0.1", topology.port, timeout=10)
    conn.putrequest("POST", "/api/v1/auth/token/")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(200 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    assert (response.status, json.loads(response.read())) == (413, TOO_LARGE)
    conn.close()


def test_sync_takes_a_whole_outbox_of_long_notes_above_the_api_limit(
    topology: serve.Topology, patient: User
):
    from diary.models import Entry

    # 500 check-ins with 5,000-character notes, each character two bytes in UTF-8: 5 MB.
    note = "é" * 5000
    items = [{"id": str(uuid.uuid4()), **entry_body(note)} for _ in range(500)]
    body = json.dumps({"entries": items}, ensure_ascii=False).encode()
    assert len(body) > 4 * 1024 * 1024

    status, _, raw = call(topology.port, "POST", "/api/v1/entries/sync/", body=body,
                          headers=bearer(patient), timeout=120)  # fmt: skip

    assert status == 200
    assert json.loads(raw) == {
        "results": [{"id": i["id"], "status": "created", "version": 1} for i in items]
    }
    assert Entry.objects.filter(patient=patient, notes=note).count() == 500


def test_headers_and_request_lines_too_large_are_refused(topology: serve.Topology):
    one_long_header = call(topology.port, "GET", "/healthz", headers={"X-Big": "a" * 9000})
    many_headers = call(
        topology.port, "GET", "/healthz", headers={f"X-Many-{n}": "b" * 7000 for n in range(6)}
    )
    long_line = call(topology.port, "GET", "/healthz?" + "c" * 9000)

    assert [one_long_header[0], many_headers[0], long_line[0]] == [400, 400, 414]
    for _, headers, _ in (one_long_header, many_headers, long_line):
        assert headers["Server"] == "nginx"
        assert "X-Request-ID" not in headers


# --------------------------------------------------------------------------- forwarding


def test_a_spoofed_forwarded_for_does_not_change_the_address_django_records(
    topology: serve.Topology, patient: User
):
    from audit.models import AuditEvent

    entry = uuid.uuid4()
    headers = {**bearer(patient), "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9",
               "Forwarded": "for=203.0.113.9"}  # fmt: skip
    # From 127.0.0.2: the address nginx sees is neither the spoofed one nor nginx's own.
    status, _, raw = call(topology.port, "PUT", f"/api/v1/entries/{entry}/", headers=headers,
                          body=json.dumps(entry_body()).encode(), source="127.0.0.2")  # fmt: skip

    assert status == 201
    assert json.loads(raw)["id"] == str(entry)
    audit = AuditEvent.objects.get()
    assert (audit.action, audit.object_id, audit.client_address) == (
        "create",
        str(entry),
        "127.0.0.2",
    )


def test_through_nginx_a_client_cannot_claim_https_and_a_dead_app_is_a_json_503(
    tmp_path: Path, db: None
):
    top = serve.start(port=free_port(), run_dir=tmp_path / "run",
                      env=app_environment(SECURE_SSL_REDIRECT="true"), workers=1,
                      ready_path="/healthz")  # fmt: skip
    try:
        spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on",
                   "X-Forwarded-Protocol": "ssl", "Forwarded": "proto=https"}  # fmt: skip
        status, headers, _ = call(top.port, "GET", "/api/v1/auth/me/", headers=spoofed)
        assert (status, headers["Location"]) == (
            301,
            f"https://127.0.0.1:{top.port}/api/v1/auth/me/",
        )
        assert "Strict-Transport-Security" not in headers

        top.gunicorn.terminate()
        top.gunicorn.wait(20)
        status, headers, raw = call(top.port, "GET", "/api/v1/auth/me/")
        assert (status, headers["Retry-After"], headers["Content-Type"]) == (
            503,
            "5",
            "application/json",
        )
        assert json.loads(raw) == {
            "code": "service_unavailable",
            "detail": "The service is briefly unavailable; try again shortly.",
        }
    finally:
        top.stop()
        close_connections()


def test_with_tls_nginx_serves_https_and_django_sends_hsts(tmp_path: Path, db: None):
    import ssl

    if not Path("/usr/bin/openssl").exists():
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)  # fmt: skip
    top = serve.start(port=free_port(), run_dir=tmp_path / "run",
                      env=app_environment(SECURE_SSL_REDIRECT="true"), workers=1,
                      tls_cert=str(cert), tls_key=str(key), ready_path="/healthz")  # fmt: skip
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        conn = http.client.HTTPSConnection("127.0.0.1", top.port, timeout=10, context=context)
        conn.request("GET", "/api/v1/auth/me/")
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        plain = call(top.port, "GET", "/api/v1/auth/me/")
    finally:
        top.stop()
        close_connections()
    # No redirect: the request came over TLS, and Django knows it from nginx via gunicorn.
    assert (response.status, body["code"]) == (401, "not_authenticated")
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    # Plain HTTP to the TLS port is refused by nginx; nothing is served without TLS.
    assert plain[0] == 400


def dockerfile_command() -> str:
    """The shell command of docker/Dockerfile's CMD (exec form: ["sh", "-c", "..."])."""
    text = (ROOT / "docker" / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    assert cmd[:2] == ["sh", "-c"]
    return cmd[2]


def test_the_images_gunicorn_reached_directly_does_not_take_a_clients_word_for_https(
    db: None,
):
    """If anything reached the image's gunicorn without nginx (its bind replaced by a TCP
    port here), a client's own X-Forwarded-Proto must not skip the HTTPS redirect."""
    port = free_port()
    command = re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", dockerfile_command())
    assert f"--bind 127.0.0.1:{port}" in command
    env = app_environment(WEB_CONCURRENCY="1")
    del env["SECURE_SSL_REDIRECT"]  # the production default: on
    process = subprocess.Popen(["sh", "-c", command], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(port, "/healthz", process)
        status, headers, _ = call(port, "GET", "/api/v1/auth/me/",
                                  headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    finally:
        process.terminate()
        process.wait(20)
        close_connections()
    assert (status, headers.get("Location")) == (
        301,
        f"https://127.0.0.1:{port}/api/v1/auth/me/",
    )


# --------------------------------------------------------------------------- what it serves


def test_the_web_app_and_static_files_are_compressed_with_the_security_headers(
    topology: serve.Topology,
):
    app = (ROOT / "frontend" / "index.html").read_bytes()
    status, headers, raw = call(topology.port, "GET", "/", headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"], gzip.decompress(raw)) == (200, "gzip", app)
    swagger = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"
    static = call(topology.port, "GET", f"/static/{swagger}", headers={"Accept-Encoding": "gzip"})
    assert (static[0], static[1]["Content-Encoding"]) == (200, "gzip")
    assert len(static[2]) < len(gzip.decompress(static[2])) / 3
    for sent in (headers, static[1]):
        assert sent["X-Content-Type-Options"] == "nosniff"
        assert sent["Referrer-Policy"] == "same-origin"
        assert sent["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in sent["Content-Security-Policy"]
        assert "Access-Control-Allow-Origin" not in sent
        assert sent["Server"] == "nginx"  # no version


# --------------------------------------------------------------------------- secrets


def test_make_serve_generates_its_secrets_once_readable_only_by_its_owner(tmp_path: Path):
    path = tmp_path / "secrets.env"
    first: dict[str, str] = {}
    serve.load_secrets(first, path=path)
    again: dict[str, str] = {}
    serve.load_secrets(again, path=path)
    given = {"SECRET_KEY": "from-the-environment-" + "k" * 40}
    serve.load_secrets(given, path=path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(first) == {"SECRET_KEY", "JWT_SIGNING_KEY"}
    assert first == again
    assert len(first["SECRET_KEY"]) >= 50 and first["SECRET_KEY"] != first["JWT_SIGNING_KEY"]
    assert given == {
        "SECRET_KEY": "from-the-environment-" + "k" * 40,
        "JWT_SIGNING_KEY": first["JWT_SIGNING_KEY"],
    }
    path.chmod(0o644)
    with pytest.raises(serve.ServeError, match="readable by others"):
        serve.load_secrets({}, path=path)


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_var_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secrets.env"], cwd=ROOT,
                             check=False).returncode  # fmt: skip
    assert ignored == 0


# --------------------------------------------------------------------------- compose


def test_compose_runs_the_same_nginx_in_front_and_gunicorn_publishes_nothing(
    tmp_path: Path, settings: Any
):
    import yaml

    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())["services"]
    nginx_env = compose["nginx"]["environment"]

    assert "ports" not in compose["app"]
    assert compose["nginx"]["ports"] == ["8000:8000"]
    assert compose["app"]["environment"]["NUM_PROXIES"] == "1"
    # The same body limits as make serve's nginx and as Django's own defaults.
    assert (int(nginx_env["RELIEF_API_MAX_BODY"]), int(nginx_env["RELIEF_SYNC_MAX_BODY"])) == (
        serve.API_MAX_BODY_BYTES,
        serve.SYNC_MAX_BODY_BYTES,
    )
    assert (settings.API_MAX_BODY_BYTES, settings.SYNC_MAX_BODY_BYTES) == (
        serve.API_MAX_BODY_BYTES,
        serve.SYNC_MAX_BODY_BYTES,
    )
    mounted = "../deploy/nginx/relief.conf.template:/etc/nginx/templates/default.conf.template:ro"
    assert mounted in compose["nginx"]["volumes"]
    # What the image's envsubst step makes of the template is a configuration nginx accepts.
    site = tmp_path / "relief.conf"
    site.write_text(
        serve.render_site(
            listen=str(free_port()),
            upstream=f"unix:{tmp_path / 'app.sock'}",
            api_max_body=int(nginx_env["RELIEF_API_MAX_BODY"]),
            sync_max_body=int(nginx_env["RELIEF_SYNC_MAX_BODY"]),
        )
    )
    main = tmp_path / "nginx.conf"
    main.write_text(serve.render_main(run_dir=tmp_path, site=site, access_log="off"))
    checked = subprocess.run([serve.nginx_binary(), "-t", "-q", "-p", str(tmp_path), "-e",
                              "stderr", "-c", str(main)], capture_output=True, text=True)  # fmt: skip
    assert (checked.returncode, checked.stderr) == (0, "")
