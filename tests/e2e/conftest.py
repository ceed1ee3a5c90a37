"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
JSQR = ROOT / "node_modules" / "jsqr" / "dist" / "jsQR.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make for
# set-up and checks are plain synchronous calls, which Django allows with this flag.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing.")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        timezone_id="Europe/Berlin",
        locale="en-GB",
    )
    yield context
    context.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = context.new_page()
    page.console_messages = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda msg: page.console_messages.append(f"{msg.type}: {msg.text}"),  # type: ignore[attr-defined]
    )
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))  # type: ignore[attr-defined]
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    if not page.is_closed():
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)


# --------------------------------------------------------------------------- helpers


def shot(page: Any, name: str) -> None:
    """A 360x640 screenshot of what the screen shows now, kept as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"screen-{name}.png"))


def csp_violations(page: Any) -> list[str]:
    return [
        m
        for m in page.console_messages
        if "Content Security Policy" in m or "strict CSP" in m or m.startswith("pageerror")
    ]


def _serious_axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the screen as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Served through a route on the app's own origin, so the page's CSP allows it.
        page.add_script_tag(url="/__axe__/axe.min.js")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "wcag22aa", "best-practice"]},
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def check_a11y(page: Any, screen: str) -> None:
    """axe-core (from npm) on the current screen: no serious or critical violation."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node` (npm install).")
    page.wait_for_load_state("networkidle")
    # A message fading in (200 ms) is measured by axe at part opacity, as too faint: judge
    # the screen as it settles, after its animations.
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    bad = _serious_axe_violations(page)
    shot(page, screen)
    assert bad == [], f"axe on {screen}: {json.dumps(bad, indent=1)}"


def qr_text(page: Any, selector: str) -> str | None:
    """What a QR reader finds in the image at ``selector``: the image as the browser drew
    it, scanned by jsQR (from npm, a decoder independent of the server's encoder); None
    when it finds no code."""
    if not JSQR.exists():
        pytest.fail(f"{JSQR} is missing: run `make node` (npm install).")
    body = JSQR.read_bytes()
    page.context.route(
        "**/__jsqr__/jsQR.js",
        lambda route: route.fulfill(body=body, content_type="text/javascript"),
    )
    if not page.evaluate("typeof window.jsQR === 'function'"):
        page.add_script_tag(url="/__jsqr__/jsQR.js")
    return page.locator(selector).evaluate(
        """async (img) => {
            await img.decode();
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            const g = canvas.getContext("2d");
            g.fillStyle = "#fff";
            g.fillRect(0, 0, canvas.width, canvas.height);
            g.drawImage(img, 0, 0);
            const pixels = g.getImageData(0, 0, canvas.width, canvas.height);
            const found = jsQR(pixels.data, canvas.width, canvas.height);
            return found ? found.data : null;
        }"""
    )


def route_axe(context: Any) -> None:
    """Serve axe-core (from npm) on the app's own origin in ``context``, where the page's
    CSP allows it (check_a11y / axe_violations load it from there)."""
    body = AXE.read_bytes() if AXE.exists() else b""
    context.route(
        "**/__axe__/axe.min.js",
        lambda route: route.fulfill(body=body, content_type="text/javascript"),
    )


@pytest.fixture
def serve_axe(context: Any) -> None:
    route_axe(context)


@pytest.fixture
def serve_axe_for() -> Callable[[Any], None]:
    """For tests that make their own browser contexts: call it with each."""
    return route_axe


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    assert predicate(), "condition not met in time"


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(base + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#sign-out:not([hidden])")


def choose(page: Any, field: str, value: int) -> None:
    page.locator(f'fieldset[data-field="{field}"] label').nth(value).click()


def check_in(page: Any, pain: int, soreness: int, notes: str = "") -> str:
    """Fills and submits today's check-in; returns the id of the confirmed entry."""
    choose(page, "pain", pain)
    choose(page, "soreness", soreness)
    if notes:
        page.fill("textarea[name=notes]", notes)
    before = (
        page.locator("[data-saved]").get_attribute("data-saved")
        if page.locator("[data-saved]").count()
        else None
    )
    page.click("form.checkin button[type=submit]")
    page.wait_for_function(
        "prev => { const el = document.querySelector('[data-saved]');"
        " return el && el.dataset.saved !== prev; }",
        arg=before,
    )
    return page.locator("[data-saved]").get_attribute("data-saved")


def outbox_ids(page: Any) -> list[str]:
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("relief");
            req.onsuccess = () => {
                const db = req.result;
                if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
                const all = db.transaction("outbox").objectStore("outbox").getAllKeys();
                all.onsuccess = () => { db.close(); resolve(all.result); };
                all.onerror = () => reject(all.error);
            };
            req.onerror = () => reject(req.error);
        })"""
    )


def wait_for_service_worker(page: Any) -> None:
    """The shell is cached once the worker controls the page."""
    page.evaluate("() => navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


# --------------------------------------------------------------------------- languages (#18)

# The languages of the web app, and the browser locale a context in each is given (a
# Spanish speaker in the US; an English one as the other browser tests).
LANGUAGES = ("en", "es")
BROWSER_LOCALES = {"en": "en-GB", "es": "es-US"}
# The device's text-size setting (frontend/device.js: localStorage "relief.text-size",
# applied as <html data-text-size>): 1 is the default, 3 the largest.
LARGEST_TEXT_SIZE = "3"


def device_settings_script(language: str | None = None, text_size: str | None = None) -> str:
    """An init script giving this device's settings before the app starts (the way a phone
    that chose them earlier starts), unless the app has stored others since."""
    settings = {"relief.language": language, "relief.text-size": text_size}
    wanted = {key: value for key, value in settings.items() if value is not None}
    return (
        "(() => { try { for (const [k, v] of Object.entries("
        + json.dumps(wanted)
        + ")) if (localStorage.getItem(k) === null) localStorage.setItem(k, v); }"
        " catch (e) { /* storage disabled (about:blank) */ } })();"
    )


def language_context(
    browser: Any,
    language: str,
    viewport: dict[str, int] | None = None,
    text_size: str | None = None,
    remember_language: bool = True,
) -> Any:
    """A browser context whose locale and device settings are in ``language`` (or only its
    locale: a phone where nobody has chosen a language yet), with axe served on the app's
    origin (check_a11y / axe_violations)."""
    context = browser.new_context(
        viewport=viewport or {"width": 360, "height": 640},
        timezone_id="Europe/Berlin",
        locale=BROWSER_LOCALES[language],
    )
    remembered = language if remember_language else None
    context.add_init_script(device_settings_script(remembered, text_size))
    route_axe(context)
    return context


def speaking(user: Any, language: str) -> Any:
    """``user`` with ``language`` as their account's language (``me.language``)."""
    if language != "en":  # English is every account's default
        type(user).objects.filter(pk=user.pk).update(language=language)
        user.refresh_from_db()
    return user


def settle(page: Any) -> None:
    """The screen as it stays: its requests answered, no view drawing, animations done."""
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("html[data-ready=true] main:not([aria-busy]) h1")
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current screen (check_a11y's run,
    returned rather than asserted, for tests that check many screens before failing)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node` (npm install).")
    settle(page)
    return _serious_axe_violations(page)
