"""The printable visit report in real Chromium: chart drawn under the strict CSP, no serious
axe-core violation, and a PDF from Chromium's print-to-PDF kept as a test artifact."""

from __future__ import annotations

import json
import re
from datetime import datetime
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


LONG_NOTE = (
    "Woke up stiff but the knot under the shoulder blade was softer than last week. "
    "Walked to the shop and back without stopping, then iced for twenty minutes."
)
# The paper's printable width in CSS pixels (96 per inch), with report.css's 12 mm margins.
PRINTABLE = {"A4": round((210 - 24) / 25.4 * 96), "Letter": round((215.9 - 24) / 25.4 * 96)}
LINES = """text => {
  const cell = [...document.querySelectorAll(".note-cell")].find(c => c.textContent === text);
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].filter(r => r.width > 0)
    .map(r => Math.round(r.top))).size;
}"""


def _check_phone_and_paper(browser: Any, url: str, locale: str) -> dict[str, Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, timezone_id="Europe/Berlin", locale=locale
    )
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector('figure.chart[data-chart="drawn"]', timeout=20000)
        seen: dict[str, Any] = {
            "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
            "chart_right": page.evaluate(
                "document.querySelector('#report-chart svg.main-svg').getBoundingClientRect().right"
            ),
            "note_lines": page.evaluate(LINES, LONG_NOTE),
            "felt_at": page.locator("table.checkins td.felt time").all_inner_texts(),
            "days": page.locator("table.days td time").all_inner_texts(),
            "visit_on": page.locator(".report-header .meta time").inner_text(),
            "iso_felt_at": page.locator("table.checkins td.felt time").evaluate_all(
                "els => els.map(e => e.getAttribute('datetime'))"
            ),
        }
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"visit-report-phone-{locale}.png"), full_page=True)
        page.emulate_media(media="print")
        seen["print"] = {}
        for paper, width in PRINTABLE.items():
            # Chromium lays the page out at the paper's printable width when printing.
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate("() => dispatchEvent(new Event('beforeprint'))")
            seen["print"][paper] = {
                "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
                "widest": page.evaluate(
                    "() => Math.max(...[...document.querySelectorAll('.sheet *')]"
                    ".map(e => e.getBoundingClientRect().right))"
                ),
                "chart_width": page.evaluate(
                    "document.querySelector('#report-chart svg.main-svg')"
                    ".getBoundingClientRect().width"
                ),
            }
            target = ARTIFACTS / f"visit-report-phone-{locale}-{paper.lower()}.pdf"
            page.pdf(path=str(target), format=paper, print_background=True)
            seen["print"][paper]["pdf"] = target.read_bytes()[:5]
        return seen
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "pattern"),
    [
        ("en-US", r"^\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d\d [AP]M$"),
        ("en-GB", r"^\d\d/\d\d/\d{4}, \d\d:\d\d$"),
    ],
)
def test_report_fits_a_phone_and_the_paper_with_dates_in_the_readers_format(
    live_server: Any,
    chromium_path: str,
    record: Record,
    client_for: Any,
    locale: str,
    pattern: str,
) -> None:
    from datetime import timedelta

    from tests.factories import make_entry

    make_entry(
        record.patient,
        record.first.performed_at + timedelta(days=2, hours=2),
        pain=3,
        soreness=2,
        notes=LONG_NOTE,
    )
    link = client_for(record.patient).post(f"/api/v1/visits/{record.first.pk}/report-link/")
    url = live_server.url + link.json()["url"]

    seen = in_chromium(chromium_path, lambda b: _check_phone_and_paper(b, url, locale))

    # On a 360 px phone: no sideways scrolling, and notes read in lines, not in syllables.
    assert seen["scroll_width"] <= 360
    assert seen["chart_right"] <= 360
    assert len(LONG_NOTE) / seen["note_lines"] >= 30, seen["note_lines"]
    # Dates in the reader's own short form, from the ISO moments in the page.
    assert len(seen["felt_at"]) == 6
    assert all(re.match(pattern, text) for text in seen["felt_at"]), seen["felt_at"]
    first = datetime.fromisoformat(seen["iso_felt_at"][0])
    day, month = first.day, first.month
    expected = (
        f"{month}/{day}/{first.year}" if locale == "en-US" else f"{day:02}/{month:02}/{first.year}"
    )
    assert seen["felt_at"][0].startswith(expected + ", ")
    assert seen["days"][0] == expected
    assert str(first.year) in seen["visit_on"] and "-" not in seen["visit_on"]
    # On A4 and Letter: nothing wider than the paper's printable width; the chart at 180 mm.
    for paper, width in PRINTABLE.items():
        printed = seen["print"][paper]
        assert printed["scroll_width"] <= width, paper
        assert printed["widest"] <= width, paper
        assert printed["chart_width"] == 680, paper
        assert printed["pdf"] == b"%PDF-"
