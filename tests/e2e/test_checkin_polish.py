"""The check-in's rough edges, tried on a 360 px phone in real Chromium: a missed evening
logged the next morning (online and offline), the form after a save, the notes limit,
urgent aftercare with the clinic's phone, refusals in the patient's words, the top bar
when signing out, and a tapped chart point."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from diary.models import Entry
from tests.e2e.conftest import (
    check_a11y,
    check_in,
    choose,
    csp_violations,
    outbox_ids,
    shot,
    sign_in,
    wait_for_service_worker,
    wait_until,
)
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The patient lives in New York; the phone (the browser context) is set to Berlin. The time
# of an earlier check-in is the patient's own, whatever the phone's zone says.
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def new_yorker():  # type: ignore[no-untyped-def]
    """A patient in New York, 3 local days after an injection (baseline 7)."""
    physician = PhysicianFactory(email="dr.polish@example.org", display_name="Dr. Polish")
    patient = PatientFactory(
        email="nina@example.org", display_name="Nina York", timezone="America/New_York"
    )
    link(physician, patient)
    make_visit(physician, patient, local_morning(3, "America/New_York"), baseline_pain=7)
    return patient


def ny_today() -> Any:
    return timezone.now().astimezone(NEW_YORK).date()


def choose_earlier(page: Any, day: Any, at: str) -> None:
    form = page.locator("form.checkin")
    form.locator('fieldset[data-field="when"] label', has_text="Earlier").click()
    page.wait_for_selector(".when-earlier:not([hidden])")
    form.locator("input[name=felt_date]").fill(day.isoformat())
    form.locator("input[name=felt_time]").fill(at)


def checked(page: Any, name: str) -> list[str]:
    return page.eval_on_selector_all(
        f'form.checkin input[name="{name}"]:checked', "els => els.map(e => e.value)"
    )


def test_a_missed_evening_is_logged_the_next_morning_in_the_patients_own_time(
    live_server, page, serve_axe, new_yorker
):
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    form = page.locator("form.checkin")
    assert checked(page, "when") == ["now"]
    assert form.locator(".when-earlier").is_hidden()

    # A check-in now, with a large bruise: afterwards the form shows a fresh check-in,
    # bruising back on "None" (it showed nothing selected: a property-only `checked`).
    form.locator('fieldset[data-field="bruising"] label', has_text="Large").click()
    now_id = check_in(page, pain=5, soreness=4)
    assert Entry.objects.get(pk=now_id).bruising == "large"
    assert checked(page, "bruising") == ["none"]
    assert checked(page, "pain") == checked(page, "soreness") == []
    assert checked(page, "when") == ["now"]
    assert form.locator(".scale-value").all_inner_texts() == ["Choose a number"] * 2

    # Earlier: the day picker offers today and the 7 days before, in the patient's zone.
    today = ny_today()
    form.locator('fieldset[data-field="when"] label', has_text="Earlier").click()
    # The picker shows once its range is set (dates.js is imported on first use).
    page.wait_for_selector(".when-earlier:not([hidden])")
    date_input = form.locator("input[name=felt_date]")
    assert date_input.get_attribute("max") == today.isoformat()
    assert date_input.get_attribute("min") == (today - timedelta(days=7)).isoformat()
    assert date_input.input_value() == today.isoformat()
    assert "in your time zone (America/New York)" in form.locator(".when-earlier").inner_text()
    check_a11y(page, "check-in-earlier")

    yesterday = today - timedelta(days=1)
    choose_earlier(page, yesterday, "21:00")
    form.locator('fieldset[data-field="bruising"] label', has_text="Small").click()
    earlier_id = check_in(page, pain=6, soreness=3, notes="Forgot last night")
    saved = page.locator("[data-saved]").inner_text()
    assert saved.startswith("Check-in saved for ")
    assert "9:00 PM" in saved or "21:00" in saved
    shot(page, "check-in-earlier-saved")

    entry = Entry.objects.get(pk=earlier_id)
    # 21:00 in New York, not in Berlin; placed by the same rule as any other check-in.
    assert entry.felt_at == datetime.combine(yesterday, time(21), tzinfo=NEW_YORK)
    assert (entry.local_date, entry.day, entry.pain, entry.bruising) == (
        yesterday,
        2,
        6,
        "small",
    )
    # The form is ready for the next check-in: now, no scores, bruising none, no notes.
    assert checked(page, "when") == ["now"]
    assert form.locator(".when-earlier").is_hidden()
    assert checked(page, "bruising") == ["none"]
    assert form.locator("textarea[name=notes]").input_value() == ""
    assert csp_violations(page) == []


def test_more_than_seven_days_back_or_a_time_to_come_is_refused_in_the_form(
    live_server, page, new_yorker
):
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    form = page.locator("form.checkin")
    choose(page, "pain", 4)
    choose(page, "soreness", 2)

    choose_earlier(page, ny_today() - timedelta(days=8), "10:00")
    form.locator("button[type=submit]").click()
    error = form.locator('[data-error="when"]')
    page.wait_for_function("() => document.querySelector('[data-error=when]').textContent")
    assert error.inner_text().startswith("A check-in can go back 7 days at most, to ")
    assert "Tell your clinic about earlier days at your next visit." in error.inner_text()
    assert page.evaluate("document.activeElement.name") == "felt_date"

    form.locator("input[name=felt_date]").fill((ny_today() + timedelta(days=1)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-error=when]').textContent.includes('not come')"
    )
    assert error.inner_text() == "That day has not come yet. Choose today or a day before."

    form.locator("input[name=felt_date]").fill(ny_today().isoformat())
    form.locator("input[name=felt_time]").fill("")
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-error=when]').textContent === 'Choose the time.'"
    )
    assert page.evaluate("document.activeElement.name") == "felt_time"
    assert outbox_ids(page) == []
    assert not Entry.objects.exists()


def test_an_earlier_check_in_made_offline_waits_in_the_outbox_and_is_sent(
    live_server, page, context, new_yorker
):
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")

    two_days_ago = ny_today() - timedelta(days=2)
    choose_earlier(page, two_days_ago, "08:15")
    entry_id = check_in(page, pain=3, soreness=1)
    saved = page.locator("[data-saved]").inner_text()
    assert saved.startswith("Check-in saved on this phone for ")
    assert "1 waiting to sync" in saved
    assert outbox_ids(page) == [entry_id]
    assert not Entry.objects.exists()

    context.set_offline(False)
    wait_until(lambda: Entry.objects.filter(pk=entry_id).exists())
    entry = Entry.objects.get(pk=entry_id)
    assert entry.felt_at == datetime.combine(two_days_ago, time(8, 15), tzinfo=NEW_YORK)
    assert (entry.local_date, entry.day) == (two_days_ago, 1)
    page.wait_for_function("() => document.getElementById('sync-status').dataset.waiting == 0")


def test_notes_show_a_counter_near_the_limit_and_say_it_only_at_marks(live_server, page):
    patient = PatientFactory(email="notes@example.org")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    notes = page.locator("textarea[name=notes]")
    counter = page.locator("[data-notes-count]")
    spoken = page.locator(".field [aria-live=polite]")

    notes.fill("a" * 4400)
    assert counter.inner_text() == ""
    assert counter.is_hidden()
    assert spoken.text_content() == ""

    notes.fill("a" * 4600)
    assert counter.inner_text() == "4,600 of 5,000 characters: 400 left."
    assert spoken.text_content() == "4,600 of 5,000 characters: 400 left."
    assert notes.get_attribute("aria-describedby") == counter.get_attribute("id")
    # One more key: the counter follows, the screen reader is not told again.
    notes.press("End")
    notes.press("b")
    assert counter.inner_text() == "4,601 of 5,000 characters: 399 left."
    assert spoken.text_content() == "4,600 of 5,000 characters: 400 left."

    notes.fill("a" * 5100)  # pasted: the browser keeps 5,000
    assert len(notes.input_value()) == 5000
    assert counter.inner_text() == "5,000 characters: notes cannot be longer."
    assert spoken.text_content() == "5,000 characters: notes cannot be longer."


def test_urgent_aftercare_is_always_in_view_with_the_clinics_phone_even_offline(
    live_server, page, context, serve_axe, settings, new_yorker
):
    settings.CLINIC_NAME = "Riverside Pain Clinic"
    settings.CLINIC_PHONE = "+44 20 7946 0000"
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare [data-clinic-phone]")
    wait_for_service_worker(page)

    urgent = page.locator(".aftercare [data-urgent]")
    assert urgent.is_visible()
    assert "call emergency services" in urgent.inner_text()
    assert page.locator(".aftercare details").get_attribute("open") is None
    call = urgent.locator("[data-clinic-phone]")
    assert call.is_visible()
    assert call.inner_text() == "+44 20 7946 0000"
    assert call.get_attribute("href") == "tel:+442079460000"
    assert "Call Riverside Pain Clinic: +44 20 7946 0000" in urgent.inner_text()
    # The collapsed section shows it can be opened: the disclosure marker is drawn.
    summary = page.locator(".aftercare details > summary")
    assert summary.evaluate("el => getComputedStyle(el).display") == "list-item"
    assert summary.evaluate("el => getComputedStyle(el).listStyleType") != "none"
    check_a11y(page, "aftercare-urgent")

    # Offline, from the phone's own copy.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    page.wait_for_selector(".aftercare [data-urgent] [data-clinic-phone]")
    assert page.locator("[data-clinic-phone]").first.get_attribute("href") == ("tel:+442079460000")


def test_without_a_clinic_phone_there_is_no_call_line(live_server, page, settings, new_yorker):
    settings.CLINIC_PHONE = ""
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare [data-urgent]")
    assert "call emergency services" in page.locator("[data-urgent]").inner_text()
    assert page.locator("[data-clinic-phone], a[href^='tel:']").count() == 0


def test_a_refused_check_in_is_explained_in_the_patients_words(live_server, page, new_yorker):
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    # What only a broken or tampered client could send: the server refuses it, field by field.
    page.evaluate(
        """async () => {
            const sync = await import("/sync.js");
            await sync.queue({felt_at: new Date().toISOString(), pain: 11, soreness: 3,
                              bruising: "none", iced: false, heated: false,
                              strenuous_activity: false, notes: "x".repeat(5001)});
            await sync.flush();
        }"""
    )
    card = page.locator("section.refused")
    card.wait_for()
    text = card.inner_text()
    assert "Pain must be a whole number from 0 to 10." in text
    assert "The notes are too long: they can be up to 5,000 characters." in text
    assert "Ensure this" not in text
    assert not Entry.objects.exists()


def test_signing_out_leaves_no_sync_status_in_the_top_bar(live_server, page, new_yorker):
    sign_in(page, live_server.url, new_yorker.email, PASSWORD)
    page.wait_for_function(
        "() => document.getElementById('sync-status').textContent === 'All synced'"
    )
    page.click("#sign-out")
    page.wait_for_selector("input[name=email]")
    page.wait_for_selector("#sign-out[hidden]", state="attached")
    assert page.locator("#sync-status").text_content() == ""
    assert page.locator(".topbar").inner_text().strip() == "Relief"


# --------------------------------------------------------------------------- a chart point


def test_tapping_a_chart_point_shows_its_values_as_text(live_server, page, serve_axe):
    physician = PhysicianFactory(email="dr.chart@example.org")
    patient = PatientFactory(email="chart@example.org", display_name="Carl Chart")
    link(physician, patient)
    visited = local_morning(5)
    make_visit(physician, patient, visited, baseline_pain=8)
    make_visit(physician, patient, visited - timedelta(days=40), baseline_pain=6)
    make_entry(patient, visited + timedelta(days=3), pain=4, soreness=2)
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.click("nav >> text=My recovery")
    page.wait_for_function("() => document.querySelectorAll('[data-chart=drawn]').length === 2")

    # The course chart says what it plots, and its dotted baselines have a legend entry.
    course = page.locator("section[aria-labelledby=course-chart-title]")
    assert "Your pain after each of your 2 injections" in course.inner_text()
    assert "Relief after each" not in course.inner_text()
    legend = course.locator(".legend").text_content()
    assert "Baseline of each visit (dotted)" in legend

    chart = page.locator("figure.chart").first
    line = chart.locator("[data-chart-point]")
    assert line.inner_text() == "Tap a point on the chart to see its values here."
    # The day-3 pain point of the latest visit's chart (the first trace's only point).
    chart.locator(".chart-plot").scroll_into_view_if_needed()
    box = chart.locator(".scatterlayer .trace").first.locator(".points path").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # A finger on a phone: plotly finds the point under it on the way down, then the tap.
    page.mouse.move(x, y)
    chart.locator(".hoverlayer .legend, .hoverlayer .hovertext").first.wait_for()
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => document.querySelector('[data-chart-point]').textContent.startsWith('Day 3')"
    )
    day = (visited + timedelta(days=3)).date()
    long_date = page.evaluate(
        "iso => import('/dates.js').then(d => d.formatDate(iso))", day.isoformat()
    )
    assert line.inner_text() == (
        f"Day 3: Pain 4 on {long_date} (1 entry, relief 50 %); Soreness 2."
    )
    assert line.get_attribute("aria-live") == "polite"
    check_a11y(page, "chart-point")
