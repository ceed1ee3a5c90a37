"""The app shell: served files, manifest, service worker, vendored plotly, CSP hygiene."""

from __future__ import annotations

import gzip
import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from config import frontend
from tests.e2e.conftest import ROOT, csp_violations

FRONTEND = ROOT / "frontend"

browser_test = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_index_has_one_module_script_and_nothing_inline():
    parser = _Tags()
    parser.feed((FRONTEND / "index.html").read_text())
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    # prefs.js first, as a script of its own: it asks for the language's catalog while
    # app.js's modules are still arriving (#18).
    assert scripts == [{"type": "module", "src": "/prefs.js"}, {"type": "module", "src": "/app.js"}]
    assert not [tag for tag, _ in parser.tags if tag == "style"]
    assert not [tag for tag, attrs in parser.tags if "style" in attrs]
    assert not [tag for tag, attrs in parser.tags if any(a.startswith("on") for a in attrs)]


STATIC_IMPORT = re.compile(r'^import\b[^;]*?\bfrom\s*"(\.{1,2}/[^"]+)";', re.M | re.S)


def _static_import_graph(entry: Path) -> set[Path]:
    """``entry`` and every module it imports statically, transitively (not ``import()``)."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [(path.parent / spec).resolve() for spec in STATIC_IMPORT.findall(path.read_text())]
    return seen


def test_index_preloads_exactly_the_modules_the_first_screen_imports():
    """The modulepreload links are app.js's static import graph: every module the check-in
    form needs is requested at once (no waterfall), and nothing it does not need."""
    parser = _Tags()
    parser.feed((FRONTEND / "index.html").read_text())
    preloads = [
        attrs["href"]
        for tag, attrs in parser.tags
        if tag == "link" and attrs.get("rel") == "modulepreload"
    ]
    assert len(preloads) == len(set(preloads))
    for href in preloads:
        assert (FRONTEND / href.lstrip("/")).is_file(), href
    graph = _static_import_graph(FRONTEND / "app.js")
    assert {"/" + p.relative_to(FRONTEND.resolve()).as_posix() for p in graph} == set(preloads)
    assert (FRONTEND / "session.js").resolve() not in graph


def test_user_text_never_goes_through_inner_html():
    sinks = re.compile(r"\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML\(|document\.write")
    for path in FRONTEND.rglob("*.js"):
        assert not sinks.search(path.read_text()), f"{path.name} writes HTML"


def test_manifest_makes_the_app_installable():
    manifest = json.loads((FRONTEND / "manifest.webmanifest").read_text())
    assert manifest["name"].startswith("Relief")
    assert manifest["short_name"] == "Relief"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"),
            ("512x512", "maskable")} <= sizes  # fmt: skip
    for icon in manifest["icons"]:
        width, height = _png_size(FRONTEND / icon["src"].lstrip("/"))
        assert f"{width}x{height}" == icon["sizes"]


def test_service_worker_is_served_fresh_with_a_version_from_the_shell(client):
    response = client.get("/sw.js", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    # The same worker for every language: no Vary on Accept-Language, no Content-Language.
    assert "Vary" not in response
    assert "Content-Language" not in response
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    version = re.search(r'const SHELL_VERSION = "([0-9a-f]{16})";', body)
    files = json.loads(re.search(r"const SHELL_FILES = (\[.*\]);", body).group(1))
    assert version
    assert files[0] == "/"
    assert {"/app.js", "/styles.css", "/manifest.webmanifest", "/icons/icon-192.png"} <= set(files)
    assert "/service-worker.js" not in files
    assert not [f for f in files if f.startswith(("/api/", "/vendor/"))]


def test_the_worker_version_changes_with_any_shell_file(tmp_path):
    (tmp_path / "service-worker.js").write_text("// worker\n")
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "app.js").write_text("export {};")
    first = frontend._worker_script(tmp_path)
    assert first == frontend._worker_script(tmp_path)
    (tmp_path / "app.js").write_text("export const changed = true;")
    assert frontend._worker_script(tmp_path) != first


def test_plotly_is_served_compressed_from_node_modules(client):
    path = frontend.NODE_MODULES / frontend.VENDOR_FILES["plotly-basic.min.js"]
    if not path.exists():
        pytest.fail("node_modules is missing: run `make node` (npm install)")
    raw = path.read_bytes()
    zipped = client.get("/vendor/plotly-basic.min.js", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == raw
    # One cached copy whatever the reader's language (LocaleMiddleware would add it).
    assert zipped["Vary"] == "Accept-Encoding"
    assert "Content-Language" not in zipped
    if path.with_name(path.name + ".br").exists():
        brotli = client.get("/vendor/plotly-basic.min.js", HTTP_ACCEPT_ENCODING="gzip, br")
        assert brotli["Content-Encoding"] == "br"
        assert len(brotli.content) < len(zipped.content)
    plain = client.get("/vendor/plotly-basic.min.js", HTTP_ACCEPT_ENCODING="identity")
    assert plain.content == raw
    again = client.get("/vendor/plotly-basic.min.js", HTTP_IF_NONE_MATCH=zipped["ETag"])
    assert again.status_code == 304
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/axe.min.js").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_app_shell_renders_in_chromium_without_csp_violations(live_server, page):
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    page.wait_for_selector("html[data-ready=true]")
    assert page.locator("h1").inner_text() == "Sign in to Relief"
    assert page.title() == "Sign in to Relief · Relief"
    assert page.locator("#sign-out").is_hidden()
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == (
        live_server.url + "/sw.js"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert csp_violations(page) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_render_with_no_internet(live_server, page):
    """Swagger UI comes from the installed sidecar package, not a CDN."""
    external: list[str] = []
    page.on(
        "request",
        lambda req: external.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector("text=Relief API", timeout=15000)
    page.wait_for_selector("text=/api/v1/auth/token/", timeout=15000)
    assert external == []
