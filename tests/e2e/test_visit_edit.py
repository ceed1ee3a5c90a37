"""The physician edits a visit on the patient page (date, sites, baseline pain) and pages
through the patient's check-ins."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.e2e.conftest import check_a11y, csp_violations, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_entry, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER_ZONE = ZoneInfo("Europe/Berlin")  # the browser context's time zone (conftest)


def on_the_device(moment: datetime) -> str:
    """A moment as the browser's datetime-local input shows it."""
    return moment.astimezone(BROWSER_ZONE).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def long_course():  # type: ignore[no-untyped-def]
    """A patient with one visit 30 days ago (baseline 7, one site) and 60 check-ins."""
    physician = PhysicianFactory(email="dr.edit@example.org", display_name="Dr. Edit")
    patient = PatientFactory(
        email="petra@example.org", display_name="Petra Pages", timezone="Europe/Berlin"
    )
    link(physician, patient)
    performed = timezone.now().replace(microsecond=0) - timedelta(days=30)
    visit = make_visit(physician, patient, performed, baseline_pain=7)
    for n in range(60):
        make_entry(patient, performed + timedelta(hours=6 * (n + 1)), pain=n % 11, soreness=2)
    return physician, patient, visit


def test_physician_edits_a_visit_date_sites_and_baseline(live_server, page, serve_axe, long_course):
    physician, patient, visit = long_course
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(f"{live_server.url}/#/patients/{patient.id}")
    card = page.locator(f'article.visit[data-visit="{visit.id}"]')
    card.wait_for()
    assert "Baseline pain 7" in card.inner_text()
    assert card.locator("[data-cpt]").inner_text() == "CPT 20552"

    card.get_by_role("button", name="Edit visit").click()
    editor = page.locator(f'[data-edit-visit="{visit.id}"]')
    form = editor.locator("form.visit-form")
    # The form holds the visit as it is.
    assert form.locator("select[name=baseline_pain]").input_value() == "7"
    assert form.locator("select[name=condition]").input_value() == "neck_pain"
    assert form.locator("input[name=muscle]").input_value() == "Upper trapezius"
    shown = form.locator("input[name=performed_at]").input_value()
    assert shown == on_the_device(visit.performed_at)
    check_a11y(page, "visit-edit")

    # Two days earlier, baseline 5, a second site, and more volume at the first.
    earlier = visit.performed_at - timedelta(days=2)
    form.locator("input[name=performed_at]").fill(on_the_device(earlier))
    form.locator("select[name=baseline_pain]").select_option("5")
    form.get_by_role("button", name="Add another site").click()
    second = form.locator("fieldset.site").nth(1)
    second.locator("input[name=muscle]").fill("Levator scapulae")
    second.locator("select[name=side]").select_option("right")
    form.locator("fieldset.site").first.locator("input[name=volume_ml]").fill("2.5")
    form.get_by_role("button", name="Save changes").click()

    page.wait_for_selector(f'article.visit[data-visit="{visit.id}"]')
    card = page.locator(f'article.visit[data-visit="{visit.id}"]')
    assert "Baseline pain 5" in card.inner_text()
    assert "Levator scapulae (right" in card.inner_text()
    assert page.locator("[data-edit-visit]").count() == 0
    visit.refresh_from_db()
    assert visit.baseline_pain == 5
    assert on_the_device(visit.performed_at) == on_the_device(earlier)
    sites = sorted((s.muscle, s.side, str(s.volume_ml)) for s in visit.sites.all())
    assert sites == [("Levator scapulae", "right", "1.0"), ("Upper trapezius", "left", "2.5")]
    assert visit.cpt_code == "20552"

    # Cancel leaves a visit as it was.
    card.get_by_role("button", name="Edit visit").click()
    page.locator(f'[data-edit-visit="{visit.id}"]').get_by_role("button", name="Cancel").click()
    page.wait_for_selector(f'article.visit[data-visit="{visit.id}"]')
    visit.refresh_from_db()
    assert visit.baseline_pain == 5
    assert csp_violations(page) == []


def test_physician_pages_through_a_patients_check_ins(live_server, page, serve_axe, long_course):
    physician, patient, _visit = long_course
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(f"{live_server.url}/#/patients/{patient.id}")
    section = page.locator("section[aria-labelledby=checkins-title]")
    section.locator("li.entry").first.wait_for()
    assert section.locator("li.entry").count() == 50
    assert "Showing 50 of 60 check-ins." in section.inner_text()
    more = section.get_by_role("button", name="Show more check-ins")
    check_a11y(page, "patient-check-ins-page-1")
    more.click()
    page.wait_for_function(
        "() => document.querySelectorAll('[aria-labelledby=checkins-title] li.entry').length === 60"
    )
    assert "Showing 60 of 60 check-ins." in section.inner_text()
    assert more.is_hidden()
    ids = section.locator("li.entry").evaluate_all("rows => rows.map(r => r.dataset.entry)")
    assert len(set(ids)) == 60
