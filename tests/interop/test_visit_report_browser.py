"""The printable visit report in real Chromium: chart drawn under the strict CSP, no serious
axe-core violation, and a PDF from Chromium's print-to-PDF kept as a test artifact."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, AXE
from tests.interop.conftest import Record, in_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node` (npm install).")
    # Served on the app's own origin (see the route below), so the page's CSP allows it.
    page.add_script_tag(url="/__axe__/axe.min.js")
    return page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "wcag22aa", "best-practice"]},
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )


def _check_report(browser: Any, url: str) -> None:
    """Everything in the browser, run by :func:`in_chromium` in its own thread."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 900}, timezone_id="Europe/Berlin", locale="en-GB"
    )
    body = AXE.read_bytes() if AXE.exists() else b""
    context.route(
        "**/__axe__/axe.min.js",
        lambda route: route.fulfill(body=body, content_type="text/javascript"),
    )
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    try:
        response = page.goto(url)

        assert response.status == 200
        page.wait_for_selector('figure.chart[data-chart="drawn"]', timeout=20000)
        assert page.locator("#report-chart svg.main-svg").count() >= 1
        assert page.title().startswith("Visit report")
        assert page.locator("h1").inner_text() == "Pat Patient"
        # The used-up token is out of the address bar and the history.
        assert "token" not in page.url
        assert page.locator("table.checkins tbody tr").count() == 5
        blocked = [m for m in messages if "Content Security Policy" in m or "pageerror" in m]
        assert blocked == [], blocked

        violations = _axe(page)
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert bad == [], json.dumps(bad, indent=1)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "visit-report-screen.png"), full_page=True)
        page.locator("figure.chart").screenshot(path=str(ARTIFACTS / "visit-report-chart.png"))
        page.emulate_media(media="print")
        assert page.locator("#print-report").is_hidden()
        for paper in ("A4", "Letter"):
            target = ARTIFACTS / f"visit-report-{paper.lower()}.pdf"
            page.pdf(path=str(target), format=paper, print_background=True)
            pdf = target.read_bytes()
            assert pdf.startswith(b"%PDF-")
            assert len(pdf) > 20_000, "text, tables and the chart"
    finally:
        context.close()


def test_report_renders_prints_and_passes_axe(
    live_server: Any, chromium_path: str, record: Record, client_for: Any
) -> None:
    link = client_for(record.physician).post(f"/api/v1/visits/{record.first.pk}/report-link/")
    assert link.status_code == 201
    url = live_server.url + link.json()["url"]

    in_chromium(chromium_path, lambda browser: _check_report(browser, url))
