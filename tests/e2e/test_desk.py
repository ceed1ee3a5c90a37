"""The physician at a desk (1280x800) and on a phone (360x640): the patients table with
its sorting, filter and keyboard use, the patient page with the chart beside the visits,
the export buttons, the charts' legends clear of their axis titles, and the invitation
screen (code, link, copy, QR)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import check_a11y, csp_violations, qr_text, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_entry, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def desk_page(browser: Any, serve_axe_for: Any) -> Iterator[Any]:
    yield from _page(browser, DESK, serve_axe_for)


def _page(browser: Any, viewport: dict[str, int], serve_axe: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport=viewport, timezone_id="Europe/Berlin", locale="en-GB", accept_downloads=True
    )
    serve_axe(context)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda msg: page.console_messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))
    yield page
    context.close()


@pytest.fixture
def clinic():  # type: ignore[no-untyped-def]
    """Ada (responding, neck), Bob (two visits, flagged: severe soreness, low back), Cy (no
    visit)."""
    physician = PhysicianFactory(email="dr.desk@example.org", display_name="Dr. Desk")
    ada = PatientFactory(email="ada@example.org", display_name="Ada Able")
    bob = PatientFactory(email="bob@example.org", display_name="Bob Brown")
    cy = PatientFactory(email="cy@example.org", display_name="Cy Cole")
    for patient in (ada, bob, cy):
        link(physician, patient)
    now = timezone.now()
    visit = now - timedelta(days=8)
    make_visit(physician, ada, visit, baseline_pain=8, condition="neck_pain")
    make_visit(physician, bob, now - timedelta(days=40), baseline_pain=7)
    make_visit(physician, bob, visit, baseline_pain=7, condition="low_back_pain")
    for day in range(1, 8):
        make_entry(ada, visit + timedelta(days=day), pain=2, soreness=1)
        make_entry(bob, visit + timedelta(days=day), pain=7, soreness=8 if day >= 3 else 3)
    return physician, ada, bob, cy


def row_names(page: Any) -> list[str]:
    return page.locator("table.patients-table tbody th[data-column=name]").all_inner_texts()


def focused_patient(page: Any) -> str | None:
    return page.evaluate("() => document.activeElement?.dataset?.patient ?? null")


def test_desk_table_sorts_filters_and_is_used_from_the_keyboard(live_server, desk_page, clinic):
    page = desk_page
    physician, ada, bob, cy = clinic
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector("table.patients-table tbody tr")
    headers = page.locator("table.patients-table thead th").all_inner_texts()
    assert [h.strip() for h in headers] == [
        "Name",
        "Days since visit",
        "Last check-in",
        "Latest relief",
        "Responder status",
        "Open flags",
    ]
    assert page.locator(".patients").count() == 0  # the phone list is not drawn
    # attention first: Bob's flags
    assert row_names(page) == ["Bob Brown", "Ada Able", "Cy Cole"]
    assert "Severe soreness" in page.locator(f'tr[data-patient="{bob.id}"]').inner_text()
    check_a11y(page, "desk-patients")

    page.click("button[data-sort=name]")
    page.wait_for_selector("th[data-column=name][aria-sort=ascending]")
    assert row_names(page) == ["Ada Able", "Bob Brown", "Cy Cole"]
    page.click("button[data-sort=name]")
    page.wait_for_selector("th[data-column=name][aria-sort=descending]")
    assert row_names(page) == ["Cy Cole", "Bob Brown", "Ada Able"]
    page.click("button[data-sort=latest_relief]")
    page.wait_for_selector("th[data-column=latest_relief][aria-sort=ascending]")
    assert row_names(page) == ["Bob Brown", "Ada Able", "Cy Cole"]  # no visit: last
    assert page.locator("th[aria-sort]").count() == 1

    page.check("input[name=open_flags]")
    page.wait_for_function(
        "() => document.querySelectorAll('table.patients-table tbody tr').length === 1"
    )
    assert row_names(page) == ["Bob Brown"]
    page.uncheck("input[name=open_flags]")
    page.wait_for_function(
        "() => document.querySelectorAll('table.patients-table tbody tr').length === 3"
    )
    page.select_option("select[name=condition]", "neck_pain")
    page.wait_for_function(
        "() => document.querySelectorAll('table.patients-table tbody tr').length === 1"
    )
    assert row_names(page) == ["Ada Able"]
    page.select_option("select[name=condition]", "")
    page.wait_for_function(
        "() => document.querySelectorAll('table.patients-table tbody tr').length === 3"
    )
    check_a11y(page, "desk-patients-sorted")

    # Keyboard: one tab stop for the rows; j/k and the arrows move; focus is visible.
    page.locator("table.patients-table tbody tr").first.focus()
    assert focused_patient(page) == str(bob.id)
    page.keyboard.press("j")
    assert focused_patient(page) == str(ada.id)
    page.keyboard.press("ArrowDown")
    assert focused_patient(page) == str(cy.id)
    page.keyboard.press("ArrowDown")  # stays on the last row
    assert focused_patient(page) == str(cy.id)
    page.keyboard.press("k")
    assert focused_patient(page) == str(ada.id)
    tabbable = page.locator("table.patients-table tbody [tabindex='0']")
    assert tabbable.count() == 1 and tabbable.get_attribute("data-patient") == str(ada.id)
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] == "solid" and outline[1] >= 2

    page.keyboard.press("Enter")
    page.wait_for_selector("h1:text('Ada Able')")
    page.keyboard.press("Escape")
    page.wait_for_selector("table.patients-table tbody tr")
    page.wait_for_function(f"() => document.activeElement?.dataset?.patient === '{ada.id}'")
    assert csp_violations(page) == []


def test_phone_keeps_the_list(live_server, page, serve_axe, clinic):
    physician, *_ = clinic
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patients .patient")
    assert page.locator("table.patients-table").count() == 0
    assert page.locator(".patient .patient-name").all_inner_texts()[0] == "Bob Brown"
    assert page.locator("select[name=condition]").count() == 0


def boxes(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )


def legend_clear_of_axis_titles(page: Any) -> int:
    """How many drawn charts have a legend; each one's legend is under its x axis title."""
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('[data-chart=drawn]')].map(chart => {
            const box = s => { const e = chart.querySelector(s);
                if (!e) return null; const r = e.getBoundingClientRect();
                return [r.top, r.bottom]; };
            return {legend: box('.legend'), title: box('.xtitle')};
        }).filter(p => p.legend && p.title)"""
    )
    for pair in pairs:
        assert pair["legend"][0] >= pair["title"][1] - 0.5, pair
    return len(pairs)


def open_patient(page: Any, base: str, physician: Any, patient: Any) -> None:
    sign_in(page, base, physician.email, PASSWORD)
    page.goto(f"{base}/#/patients/{patient.id}")
    page.wait_for_selector(f"h1:text('{patient.display_name}')")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-chart=drawn] .main-svg').length >= 2",
        timeout=20000,
    )


def test_patient_page_puts_the_chart_beside_the_visits_at_a_desk_and_exports(
    live_server, desk_page, clinic
):
    page = desk_page
    physician, _ada, bob, _cy = clinic
    open_patient(page, live_server.url, physician, bob)

    chart = boxes(page, ".patient-chart-column")
    records = boxes(page, ".patient-records")
    assert chart["right"] <= records["left"]  # side by side
    assert abs(chart["top"] - records["top"]) < 2
    assert legend_clear_of_axis_titles(page) >= 2
    check_a11y(page, "desk-patient")

    with page.expect_download() as csv_download:
        page.click("[data-exports] button[data-download=csv]")
    body = Path(csv_download.value.path()).read_text()
    assert body.splitlines()[0].startswith("entry_id") or "," in body.splitlines()[0]
    assert len(body.splitlines()) == 1 + 7  # a header and Bob's seven check-ins
    with page.expect_download() as fhir_download:
        page.click("[data-exports] button[data-download=fhir]")
    bundle = json.loads(Path(fhir_download.value.path()).read_bytes())
    assert bundle["resourceType"] == "Bundle"
    assert page.locator("[data-report]").count() == 2  # a report per visit, on its card
    assert csp_violations(page) == []


def test_patient_page_is_stacked_on_a_phone(live_server, page, serve_axe, clinic):
    physician, _ada, bob, _cy = clinic
    open_patient(page, live_server.url, physician, bob)

    chart = boxes(page, ".patient-chart-column")
    records = boxes(page, ".patient-records")
    assert records["top"] >= chart["bottom"]  # one column, chart first as before
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert page.locator("[data-exports] button[data-download]").count() == 2
    check_a11y(page, "phone-patient")


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "360"])
def test_invitation_screen_shows_code_link_copy_and_qr(
    live_server, browser, serve_axe_for, clinic, viewport
):
    physician, *_ = clinic
    for page in _page(browser, viewport, serve_axe_for):
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        sign_in(page, live_server.url, physician.email, PASSWORD)
        page.goto(live_server.url + "/#/invite")
        page.fill("input[name=display_name]", "Nina New")
        page.fill("input[name=email]", "nina@example.org")
        page.click("button[type=submit]")
        code = page.locator("[data-code]").inner_text()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
        link = page.locator("[data-link]")
        assert link.inner_text() == f"{live_server.url}/#/accept?code={code}"
        assert link.get_attribute("href") == link.inner_text()
        font = page.locator("[data-code]").evaluate("e => getComputedStyle(e).fontFamily")
        assert "mono" in font.lower()

        page.click("button[data-copy=code]")
        page.wait_for_selector("[data-copied]:text('Copied.')")
        assert page.evaluate("() => navigator.clipboard.readText()") == code

        qr = page.locator("img[data-qr]")
        assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
        # Scanned as a phone would: the drawn image read back by a QR decoder.
        assert qr_text(page, "img[data-qr]") == link.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        assert csp_violations(page) == []
        # From the top: scrolled, the sticky nav covers the submit button, which axe's
        # target-size rule counts against the button.
        page.evaluate("() => window.scrollTo(0, 0)")
        check_a11y(page, f"invite-{viewport['width']}")

        # the link, opened by the patient (no session), fills in the code
        href = link.get_attribute("href") or ""
        for patient_page in _page(browser, viewport, serve_axe_for):
            patient_page.goto(href)
            patient_page.wait_for_selector("input[name=code]")
            assert patient_page.input_value("input[name=code]") == code
