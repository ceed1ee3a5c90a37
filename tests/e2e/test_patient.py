"""The patient's web app in real Chromium: sign in, check in, see the entry and the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import Entry
from tests.e2e.conftest import (
    check_a11y,
    check_in,
    csp_violations,
    shot,
    sign_in,
    wait_until,
)
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    link,
    make_entry,
    make_visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recovering_patient():  # type: ignore[no-untyped-def]
    """A patient 5 days after an injection (baseline 7), with a check-in on days 1-4."""
    physician = PhysicianFactory(email="dr.e2e@example.org", display_name="Dr. Ada")
    patient = PatientFactory(email="pat.e2e@example.org", display_name="Pat Tester")
    link(physician, patient)
    visited = timezone.now() - timedelta(days=5)
    make_visit(physician, patient, visited, baseline_pain=7)
    make_visit(physician, patient, visited - timedelta(days=30), baseline_pain=8)
    for day, pain in ((1, 6), (2, 5), (3, 4), (4, 4)):
        make_entry(patient, visited + timedelta(days=day), pain=pain, soreness=3)
    return patient


def test_patient_signs_in_checks_in_and_sees_the_entry_and_the_chart(
    live_server, page, serve_axe, recovering_patient
):
    vendor_requests: list[str] = []
    page.on("request", lambda r: "/vendor/" in r.url and vendor_requests.append(r.url))
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    check_a11y(page, "sign-in")

    sign_in(page, live_server.url, recovering_patient.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    assert "Day 5 after your injection" in page.locator(".aftercare").inner_text()
    check_a11y(page, "check-in")

    entry_id = check_in(page, pain=3, soreness=2, notes="Walked the dog <b>slowly</b>")
    confirmation = page.locator("[data-saved]").inner_text()
    assert confirmation.startswith("Check-in saved at")
    # The same words go through the polite live region for screen readers.
    page.wait_for_function(
        "text => document.getElementById('announce').textContent === text", arg=confirmation
    )
    shot(page, "check-in-saved")
    entry = Entry.objects.get(pk=entry_id)
    assert (entry.patient_id, entry.pain, entry.soreness, entry.day) == (
        recovering_patient.pk,
        3,
        2,
        5,
    )
    assert entry.notes == "Walked the dog <b>slowly</b>"
    # The check-in screen never loaded plotly.
    assert vendor_requests == []

    page.click("nav >> text=My recovery")
    page.wait_for_selector("[data-chart=drawn] .js-plotly-plot .main-svg", timeout=20000)
    assert len(vendor_requests) == 1
    summary = page.locator("[data-summary]").first.inner_text()
    assert summary == "Pain 3 today, 57 % lower than before your injection"
    row = page.locator(f'[data-entry="{entry_id}"]')
    assert "Pain 3 · soreness 2" in row.inner_text()
    # User text is text, never markup.
    assert row.locator(".entry-notes").inner_text() == "Walked the dog <b>slowly</b>"
    assert row.locator("b").count() == 0
    # Several visits: the course chart is drawn too.
    page.wait_for_function("() => document.querySelectorAll('[data-chart=drawn]').length === 2")
    check_a11y(page, "my-recovery")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert csp_violations(page) == []


def test_patient_edits_and_deletes_a_check_in(live_server, page, serve_axe, recovering_patient):
    sign_in(page, live_server.url, recovering_patient.email, PASSWORD)
    entry_id = check_in(page, pain=5, soreness=5)
    page.click("nav >> text=My recovery")
    row = page.locator(f'[data-entry="{entry_id}"]')
    row.locator("text=Edit").click()
    page.wait_for_selector("h1:text('Edit check-in')")
    check_a11y(page, "edit-check-in")
    page.locator('fieldset[data-field="pain"] label').nth(2).click()
    page.click("form.checkin button[type=submit]")
    page.wait_for_selector("h1:text('My recovery')")
    wait_until(lambda: Entry.objects.get(pk=entry_id).pain == 2)
    assert Entry.objects.get(pk=entry_id).version == 2

    page.locator(f'[data-entry="{entry_id}"] >> text=Delete').click()
    dialog = page.locator("dialog[open]")
    assert "Delete this check-in?" in dialog.inner_text()
    check_a11y(page, "delete-dialog")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_selector(f'[data-entry="{entry_id}"]', state="detached")
    wait_until(lambda: Entry.objects.get(pk=entry_id).deleted_at is not None)
    assert csp_violations(page) == []


def test_wrong_password_is_refused_with_a_message(live_server, page, recovering_patient):
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.fill("input[name=email]", recovering_patient.email)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "incorrect" in page.locator("[role=alert] .message").inner_text()
