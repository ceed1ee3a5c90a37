"""The printable visit report from the web app: "Print report" opens a tab synchronously,
asks the API for a one-time link and sends the tab there; the link works once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import check_a11y, csp_violations, shot, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVALID_LINK = "This report link cannot be opened"


@pytest.fixture
def care():  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.print@example.org", display_name="Dr. Print")
    patient = PatientFactory(email="pia@example.org", display_name="Pia Printer")
    link(physician, patient)
    now = timezone.now()
    earlier = make_visit(physician, patient, now - timedelta(days=30), baseline_pain=8)
    latest = make_visit(
        physician, patient, now - timedelta(days=4), baseline_pain=7, condition="low_back_pain"
    )
    return physician, patient, latest, earlier


def is_report_page(response) -> bool:  # type: ignore[no-untyped-def]
    return "/reports/visits/" in response.url and response.request.resource_type == "document"


def test_physician_prints_a_visit_report_and_the_link_works_once(
    live_server, page, context, serve_axe, care
):
    physician, patient, latest, _earlier = care
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.click(f"text={patient.display_name}")
    page.wait_for_selector(f"h1:text('{patient.display_name}')")
    card = page.locator(f'article.visit[data-visit="{latest.id}"]')
    button = card.get_by_role("button", name="Print report")
    assert button.count() == 1
    assert "Print report" in (button.get_attribute("aria-label") or "")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    check_a11y(page, "patient-page-print-report")

    # By keyboard: focus the button and press Enter.
    button.focus()
    with (
        context.expect_event("response", is_report_page) as report_info,
        page.expect_response("**/report-link/") as link_info,
        context.expect_page() as new_page_info,
    ):
        page.keyboard.press("Enter")
    report = new_page_info.value
    link_response = link_info.value
    assert link_response.status == 201
    url = link_response.json()["url"]
    assert url.startswith(f"/reports/visits/{latest.id}/?token=")

    assert report_info.value.status == 200
    assert report_info.value.frame.page == report
    report.wait_for_load_state("load")
    assert f"CPT {latest.cpt_code}" in report.locator("main").inner_text()
    assert "Low back pain" in report.locator("main").inner_text()
    # report.js takes the used token out of the address bar.
    report.wait_for_function("() => !location.search.includes('token')")
    shot(report, "visit-report")

    # The same link a second time: the invalid-link page, 404.
    second = report.goto(live_server.url + url)
    assert second is not None and second.status == 404
    assert INVALID_LINK in report.locator("h1").inner_text()
    report.close()

    # The app is unchanged and quiet: no error shown, no CSP report.
    assert card.locator(".message.error").count() == 0
    assert csp_violations(page) == []


def test_a_failed_link_closes_the_tab_and_shows_the_error(live_server, page, context, care):
    physician, patient, latest, _earlier = care
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(f"{live_server.url}/#/patients/{patient.id}")
    page.wait_for_selector(f"h1:text('{patient.display_name}')")
    page.route(
        "**/report-link/",
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"detail": "Not found."}'
        ),
    )
    card = page.locator(f'article.visit[data-visit="{latest.id}"]')
    with context.expect_page() as new_page_info:
        card.get_by_role("button", name="Print report").click()
    blank = new_page_info.value
    if not blank.is_closed():
        blank.wait_for_event("close")
    error = card.locator("[role=status] .message.error")
    error.wait_for()
    assert error.inner_text() == "This visit is no longer available."
    page.wait_for_function(
        "() => document.getElementById('announce').textContent"
        " === 'This visit is no longer available.'"
    )
    assert len(context.pages) == 1
    assert csp_violations(page) == []


def test_patient_prints_reports_from_my_recovery_and_offline_it_needs_a_connection(
    live_server, page, context, serve_axe, care
):
    _physician, patient, latest, earlier = care
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.click("nav >> text=My recovery")
    page.wait_for_selector("h1:text('My recovery')")
    latest_button = page.locator(f'[data-report="{latest.id}"]')
    earlier_button = page.locator(f'[data-report="{earlier.id}"]')
    assert latest_button.is_visible() and earlier_button.is_visible()
    assert latest_button.inner_text() == "Print report"
    check_a11y(page, "recovery-print-report")

    with (
        context.expect_event("response", is_report_page) as report_info,
        context.expect_page() as new_page_info,
    ):
        earlier_button.click()
    report = new_page_info.value
    assert report_info.value.status == 200
    assert f"/reports/visits/{earlier.id}/" in report_info.value.url
    report.wait_for_load_state("load")
    assert f"CPT {earlier.cpt_code}" in report.locator("main").inner_text()
    report.close()

    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    selector = f'[data-report="{latest.id}"][aria-disabled="true"]'
    page.wait_for_selector(selector)
    hint_id = latest_button.get_attribute("aria-describedby")
    assert page.locator(f"#{hint_id}").inner_text() == "Needs a connection."
    # Still focusable; pressing it explains instead of opening a tab.
    latest_button.focus()
    page.keyboard.press("Enter")
    error = page.locator(f'[data-report="{latest.id}"]').locator(
        "xpath=ancestor::div[@class='report-action']"
    )
    assert "Needs a connection" in error.locator(".message.error").inner_text()
    assert len(context.pages) == 1
    shot(page, "recovery-print-offline")
    context.set_offline(False)
    page.wait_for_selector(selector, state="detached")
    assert csp_violations(page) == []
