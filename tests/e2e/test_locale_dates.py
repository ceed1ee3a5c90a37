"""Dates in the reader's own locale, in real Chromium launched in en-US and in en-GB: the
same day reads 12/5/2026 to the one and 05/12/2026 to the other (short form), and
"Sat, Dec 5, 2026" or "Sat, 5 Dec 2026" (long form), on the same screens."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.e2e.conftest import shot, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_entry, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def ambiguous_day() -> date:
    """A recent past day that a reader could take for another: its day of the month is a
    month number too, and not its own (5 December: 12/5 or 5/12)."""
    today = timezone.now().astimezone(BERLIN).date()
    for back in range(10, 80):
        day = today - timedelta(days=back)
        if day.day <= 12 and day.day != day.month:
            return day
    raise AssertionError("no such day in 70 days")


@pytest.fixture
def patient_with_an_ambiguous_visit():  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.locale@example.org")
    patient = PatientFactory(email="locale@example.org", display_name="Lou Cale")
    link(physician, patient)
    day = ambiguous_day()
    make_visit(physician, patient, datetime.combine(day, time(9), tzinfo=BERLIN), baseline_pain=7)
    make_entry(patient, datetime.combine(day, time(18, 30), tzinfo=BERLIN), pain=5, soreness=4)
    recent = timezone.now() - timedelta(days=3)
    make_visit(physician, patient, recent, baseline_pain=6)
    return patient, day


@pytest.mark.parametrize(
    ("locale", "short", "long", "entry"),
    [
        (
            "en-US",
            "{d.month}/{d.day}/{d.year}",
            "{weekday}, {month} {d.day}, {d.year}",
            "{weekday}, {month} {d.day}, {d.year}, 6:30 PM",
        ),
        (
            "en-GB",
            "{d.day:02}/{d.month:02}/{d.year}",
            "{weekday}, {d.day} {month} {d.year}",
            "{weekday}, {d.day} {month} {d.year}, 18:30",
        ),
    ],
)
def test_the_same_day_reads_in_each_readers_own_format(
    live_server: Any,
    browser: Any,
    patient_with_an_ambiguous_visit: Any,
    locale: str,
    short: str,
    long: str,
    entry: str,
) -> None:
    patient, day = patient_with_an_ambiguous_visit
    names = {"d": day, "weekday": WEEKDAYS[day.weekday()], "month": MONTHS[day.month - 1]}
    short_text, long_text, entry_text = (
        short.format(**names),
        long.format(**names),
        entry.format(**names),
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, timezone_id="Europe/Berlin", locale=locale
    )
    page = context.new_page()
    try:
        assert page.evaluate("navigator.language") == locale
        sign_in(page, live_server.url, patient.email, PASSWORD)
        page.click("nav >> text=My recovery")
        page.wait_for_function("() => document.querySelectorAll('[data-chart=drawn]').length === 2")
        course = page.locator("section[aria-labelledby=course-chart-title]")
        # Short form: the course chart's legend names the visit by its date.
        assert f"Visit 1 ({short_text})" in course.locator(".legend").text_content()
        # Long form: the earlier visit's report line and the check-in of that evening.
        assert f"{long_text} · Neck pain" in course.locator(".visit-report-list").inner_text()
        rows = page.locator("[data-entry]").all_inner_texts()
        assert any(row.startswith(entry_text) for row in rows), rows
        # Nowhere the other reader's form, nor ISO.
        text = page.locator("main").inner_text()
        assert day.isoformat() not in text
        shot(page, f"dates-{locale}")
    finally:
        context.close()
