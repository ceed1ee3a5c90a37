"""The physician's web app in real Chromium: patients needing attention first, the patient
page with its charts, recording a visit, the practice view and invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation
from tests.e2e.conftest import check_a11y, csp_violations, shot, sign_in, wait_until
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    link,
    make_entry,
    make_visit,
)
from tests.net import free_port
from tests.worker import smtp_inbox, start_worker, stop_worker
from treatments.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def practice():  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.review@example.org", display_name="Dr. Review")
    well = PatientFactory(email="aaron@example.org", display_name="Aaron Able")
    flagged = PatientFactory(email="zed@example.org", display_name="Zed Zulu")
    now = timezone.now()
    for patient in (well, flagged):
        link(physician, patient)
    # Aaron: responding well, nothing to worry about.
    visit = now - timedelta(days=6)
    make_visit(physician, well, visit, baseline_pain=8, condition="neck_pain")
    for day in range(1, 7):
        make_entry(well, visit + timedelta(days=day), pain=3, soreness=1)
    # Zed: two visits (a course); a large bruise after the latest one, on day 4: with only
    # day 5 logged after it, the flag is still open (it resolves after two days without).
    make_visit(physician, flagged, now - timedelta(days=40), baseline_pain=7)
    visit = now - timedelta(days=5)
    make_visit(physician, flagged, visit, baseline_pain=7, condition="low_back_pain")
    for day in range(1, 6):
        make_entry(
            flagged,
            visit + timedelta(days=day),
            pain=6,
            soreness=4,
            bruising="large" if day == 4 else "none",
            notes="Bruise on the left side" if day == 4 else "",
        )
    return physician, well, flagged


def test_physician_sees_the_flagged_patient_first_opens_charts_and_records_a_visit(
    live_server, page, serve_axe, practice
):
    physician, _well, flagged = practice
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patients")
    first = page.locator(".patient").first
    assert first.locator(".patient-name").inner_text() == "Zed Zulu"
    assert first.locator('[data-flag="large_bruise"]').count() == 1
    assert page.locator(".patient").nth(1).locator(".flag").count() == 0
    check_a11y(page, "patients")

    page.fill("input[type=search]", "aar")
    page.wait_for_function("() => document.querySelectorAll('.patient').length === 1")
    assert page.locator(".patient-name").inner_text() == "Aaron Able"
    page.fill("input[type=search]", "")
    page.wait_for_function("() => document.querySelectorAll('.patient').length === 2")

    page.click("text=Zed Zulu")
    page.wait_for_selector("h1:text('Zed Zulu')")
    # Course chart (two visits) and the latest visit's chart.
    page.wait_for_function(
        "() => document.querySelectorAll('[data-chart=drawn] .main-svg').length >= 2",
        timeout=20000,
    )
    latest = page.locator("article.visit").first
    assert "Low back pain" in latest.locator("h3").inner_text()
    assert latest.locator("[data-flag=large_bruise]").count() == 1
    assert "Baseline 7" in latest.locator(".summary").inner_text()
    assert page.locator(".entry-notes", has_text="Bruise on the left side").count() == 1
    check_a11y(page, "patient-page")

    # Record a visit: two sites, two muscles -> CPT 20552.
    form = page.locator("form.visit-form")
    form.locator("select[name=condition]").select_option("myofascial_pain")
    form.locator("select[name=baseline_pain]").select_option("6")
    site = form.locator("fieldset.site").nth(0)
    site.locator("input[name=muscle]").fill("Upper trapezius")
    form.locator("text=Add another site").click()
    site = form.locator("fieldset.site").nth(1)
    site.locator("select[name=body_region]").select_option("upper_back")
    site.locator("input[name=muscle]").fill("Rhomboid major")
    site.locator("select[name=side]").select_option("right")
    site.locator("label", has_text="Magnesium").click()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("form.visit-form [data-cpt]")
    assert form.locator("[data-cpt]").inner_text() == "Visit recorded. CPT 20552."
    wait_until(lambda: Visit.objects.filter(patient=flagged).count() == 3)
    visit = Visit.objects.filter(patient=flagged).order_by("-performed_at").first()
    assert (visit.condition, visit.baseline_pain, visit.cpt_code) == (
        "myofascial_pain",
        6,
        "20552",
    )
    sites = sorted((s.muscle, s.side, sorted(s.injectates)) for s in visit.sites.all())
    assert sites == [
        ("Rhomboid major", "right", ["lidocaine", "magnesium"]),
        ("Upper trapezius", "left", ["lidocaine"]),
    ]
    page.wait_for_function("() => document.querySelectorAll('article.visit').length === 3")
    shot(page, "visit-recorded")
    assert csp_violations(page) == []


def test_physician_reads_where_each_baseline_came_from(live_server, page, practice):
    """The summary says in words where a visit's baseline came from, as the API names the
    source: recorded at the visit, or (none recorded) the mean of the patient's check-ins
    in the 7 days before it. Issue #15: the app keyed its labels by values the API never
    sends, so a physician read "Baseline 8 (recorded)"."""
    physician, well, _flagged = practice
    quiet = PatientFactory(email="quinn@example.org", display_name="Quinn Quiet")
    link(physician, quiet)
    visit = timezone.now() - timedelta(days=4)
    for days_before, pain in ((3, 4), (2, 6)):
        make_entry(quiet, visit - timedelta(days=days_before), pain=pain, soreness=0)
    make_visit(physician, quiet, visit)  # no baseline pain recorded
    make_entry(quiet, visit + timedelta(days=1), pain=3, soreness=2)

    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patients")
    page.click("text=Quinn Quiet")
    page.wait_for_selector("h1:text('Quinn Quiet')")
    summary = page.locator("article.visit .summary").first
    page.wait_for_function(
        "() => document.querySelector('article.visit .summary').textContent.startsWith('Base')"
    )
    text = summary.inner_text()
    assert text.startswith(
        "Baseline 5 (mean of the patient's check-ins in the 7 days before) · "
    ), text

    page.click("text=← All patients")
    page.click(f"text={well.display_name}")
    page.wait_for_selector(f"h1:text('{well.display_name}')")
    page.wait_for_function(
        "() => document.querySelector('article.visit .summary').textContent.startsWith('Base')"
    )
    text = summary.inner_text()
    assert text.startswith("Baseline 8 (recorded at the visit) · "), text


def test_physician_practice_view_and_invitation(live_server, page, serve_axe, practice):
    physician, _well, _flagged = practice
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.click("nav >> text=Practice")
    page.wait_for_selector("[data-chart=drawn] .main-svg", timeout=20000)
    check_a11y(page, "practice")
    page.select_option("select[name=condition]", "low_back_pain")
    page.wait_for_function(
        "() => document.querySelector('.chart')?.dataset.chart === 'drawn'", timeout=20000
    )

    page.click("nav >> text=Invite")
    page.fill("input[name=display_name]", "Nina New")
    page.fill("input[name=email]", "nina@example.org")
    with smtp_inbox() as (inbox, port):
        page.click("button[type=submit]")
        code = page.locator("[data-code]").inner_text()
        assert len(code) >= 6
        # The worker is not running yet: the screen says the mail is on its way.
        assert page.locator("[data-mail]").inner_text() == "Sending the email to nina@example.org…"
        worker = start_worker(smtp_port=port)
        try:
            page.wait_for_selector("[data-mail=sent]", timeout=30000)
        finally:
            stop_worker(worker)
    assert page.locator("[data-mail]").inner_text() == "Emailed to nina@example.org."
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["nina@example.org"] and code in mail.content.decode()
    check_a11y(page, "invite")
    assert csp_violations(page) == []


def test_invitation_says_when_its_mail_was_not_sent(live_server, page, practice):
    """With the mail server down the code is still shown, and the physician is told to hand
    it over: the mail will be retried (issue #14, finding 8)."""
    physician, _well, _flagged = practice
    worker = start_worker(smtp_port=free_port(), EMAIL_TIMEOUT="2")  # nothing listens there
    try:
        sign_in(page, live_server.url, physician.email, PASSWORD)
        page.click("nav >> text=Invite")
        page.fill("input[name=display_name]", "Omar Offline")
        page.fill("input[name=email]", "omar@example.org")
        page.click("button[type=submit]")
        assert len(page.locator("[data-code]").inner_text()) >= 6
        page.wait_for_selector("[data-mail=failed]", timeout=30000)
    finally:
        stop_worker(worker)
    note = page.locator("[data-mail]")
    assert note.inner_text().startswith(
        "The email has not been sent: give the patient the code or the link yourself. "
        "It will be tried again from "
    )
    invitation = Invitation.objects.get(email="omar@example.org")
    assert invitation.mail.status == "failed" and invitation.mail.sent_at is None


def test_save_again_after_a_lost_answer_records_the_visit_once(live_server, browser, practice):
    """The visit reaches the server, its answer is lost and the form says the physician is
    offline; pressing Save again must show the visit recorded, and the server must hold one
    visit, not two. (Service workers are blocked in this context so that Playwright's route
    sees the app's requests; the worker plays no part in saving a visit.)"""
    physician, _well, flagged = practice
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, service_workers="block", locale="en-GB"
    )
    try:
        page = context.new_page()
        sign_in(page, live_server.url, physician.email, PASSWORD)
        page.wait_for_selector(".patients-table")  # 1280 px wide: the desk table
        page.click("text=Zed Zulu")
        page.wait_for_selector("h1:text('Zed Zulu')")
        before = Visit.objects.filter(patient=flagged).count()
        posted: list[dict] = []

        def lose_the_first_answer(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.method != "POST":
                route.continue_()
                return
            posted.append(route.request.post_data_json)
            if len(posted) == 1:
                route.fetch()  # the server records the visit...
                route.abort("internetdisconnected")  # ...and the answer is lost
            else:
                route.continue_()

        page.route("**/api/v1/visits/", lose_the_first_answer)
        form = page.locator("form.visit-form")
        form.locator("select[name=condition]").select_option("myofascial_pain")
        form.locator("input[name=muscle]").first.fill("Upper trapezius")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("form.visit-form .message.error")
        assert Visit.objects.filter(patient=flagged).count() == before + 1

        form.locator("button[type=submit]").click()
        page.wait_for_selector("form.visit-form [data-cpt]")

        assert form.locator("[data-cpt]").inner_text() == "Visit recorded. CPT 20552."
        assert len(posted) == 2 and posted[0]["id"] == posted[1]["id"]
        assert Visit.objects.filter(patient=flagged).count() == before + 1
        assert str(Visit.objects.filter(patient=flagged).latest("created_at").id) == posted[0]["id"]

        # The next Save from the same form is another visit, with an id of its own.
        form.locator("select[name=condition]").select_option("neck_pain")
        form.locator("button[type=submit]").click()
        wait_until(lambda: Visit.objects.filter(patient=flagged).count() == before + 2)
        assert len(posted) == 3 and posted[2]["id"] != posted[0]["id"]
        assert Visit.objects.filter(id=posted[2]["id"], condition="neck_pain").exists()
    finally:
        context.close()
