"""Reminders in real Chromium: the patient's Settings > Reminders section, and the physician's
"Remind" on a patient's page (sent by the real worker, read back from a real SMTP server)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from reminders.models import Reminder, ReminderSettings
from tests.e2e.conftest import check_a11y, csp_violations, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_visit
from tests.worker import run_worker_once, smtp_inbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def care() -> tuple[User, User]:
    physician = PhysicianFactory(email="dr.okafor@example.org", display_name="Dr Okafor")
    patient = PatientFactory(email="remi@example.org", display_name="Remi Reminded")
    link(physician, patient)
    make_visit(physician, patient, timezone.now() - timedelta(days=2), baseline_pain=7)
    return physician, patient


def _section(page: Any) -> Any:
    return page.locator('[data-section="reminders"]')


def test_patient_sets_a_morning_reminder_moves_the_evening_one_and_turns_them_off(
    live_server: Any, page: Any, serve_axe: Any, care: tuple[User, User]
) -> None:
    _, patient = care
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.goto(live_server.url + "/#/settings")
    section = _section(page)
    section.locator("[data-next]").wait_for()

    assert section.locator("h2").inner_text() == "Reminders"
    assert section.get_by_label("Remind me to check in").is_checked()
    assert section.get_by_label("Evening reminder").input_value() == "19:00"
    assert not section.get_by_label("Also remind me in the morning").is_checked()
    assert section.get_by_label("Morning reminder").is_hidden()
    assert "Times are in your timezone (Europe/Berlin)." in section.inner_text()
    assert section.locator("[data-next]").inner_text().startswith("Next reminder: ")
    check_a11y(page, "settings-reminders")

    # A time the server refuses: the field says why, and has the focus.
    section.get_by_label("Evening reminder").fill("23:30")
    section.get_by_role("button", name="Save reminders").click()
    error = section.locator('[data-error-for="evening_time"]')
    error.wait_for()
    assert error.inner_text() == "Choose a time from 12:00 to 22:00."
    evening = section.get_by_label("Evening reminder")
    assert evening.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "evening_time"
    check_a11y(page, "settings-reminders-error")
    assert (
        not ReminderSettings.objects.filter(patient=patient).exclude(evening_time=time(19)).exists()
    )

    evening.fill("20:30")
    section.locator("label", has_text="Also remind me in the morning").click()
    section.get_by_label("Morning reminder").fill("07:45")
    section.get_by_role("button", name="Save reminders").click()
    section.locator(".message.success").wait_for()

    assert section.locator(".message.success").inner_text().startswith("Saved. Next reminder: ")
    assert error.count() == 0
    saved = ReminderSettings.objects.get(patient=patient)
    assert (saved.enabled, saved.evening_time, saved.morning_time) == (
        True,
        time(20, 30),
        time(7, 45),
    )
    assert Reminder.objects.filter(patient=patient, kind="morning", status="planned").exists()

    # After a reload the screen shows what was saved.
    page.reload()
    _section(page).locator("[data-next]").wait_for()
    section = _section(page)
    assert section.get_by_label("Evening reminder").input_value() == "20:30"
    assert section.get_by_label("Morning reminder").input_value() == "07:45"

    section.locator("label", has_text="Remind me to check in").click()
    assert section.get_by_label("Evening reminder").is_disabled()
    section.get_by_role("button", name="Save reminders").click()
    section.locator(".message.success").wait_for()

    assert section.locator(".message.success").inner_text() == "Saved. Reminders are off."
    assert ReminderSettings.objects.get(patient=patient).enabled is False
    assert not Reminder.objects.filter(
        patient=patient, status="planned", due_at__gt=timezone.now()
    ).exists()
    check_a11y(page, "settings-reminders-off")
    assert csp_violations(page) == []


def test_a_physician_has_no_reminder_section(
    live_server: Any, page: Any, care: tuple[User, User]
) -> None:
    physician, _ = care
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(live_server.url + "/#/settings")
    page.wait_for_selector("h1:text('Settings')")

    assert _section(page).count() == 0


def test_physician_reminds_a_patient_once_a_day_and_the_card_says_so(
    live_server: Any, page: Any, serve_axe: Any, settings: Any, care: tuple[User, User]
) -> None:
    physician, patient = care
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(f"{live_server.url}/#/patients/{patient.pk}")
    page.wait_for_selector("h1:text('Remi Reminded')")
    note = page.locator("[data-last-reminder]")
    assert note.inner_text() == "No reminder sent by a physician yet."
    check_a11y(page, "patient-remind")

    page.get_by_role("button", name="Remind").click()
    page.wait_for_function(
        "() => document.querySelector('[data-last-reminder]').textContent.startsWith('Reminded')"
    )

    reminder = Reminder.objects.get(patient=patient, kind="physician")
    # The browser's clock is in Berlin (the test context's zone).
    berlin = reminder.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert note.inner_text() == f"Reminded today at {berlin:%H:%M} by Dr Okafor."
    assert page.get_by_role("button", name="Remind").is_disabled()
    # Said to screen readers too (the live region is filled a moment later).
    page.wait_for_function(
        "() => document.querySelector('#announce').textContent"
        " === 'Reminder sent to Remi Reminded.'"
    )

    # The worker sends it: no phone has subscribed, so by e-mail.
    with smtp_inbox() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        run_worker_once()
    assert [e.rcpt_tos for e in inbox.messages] == [["remi@example.org"]]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel) == ("sent", "email")

    # The card says so after a reload too, and the button stays off for the day.
    page.reload()
    page.wait_for_selector("h1:text('Remi Reminded')")
    assert page.locator("[data-last-reminder]").inner_text() == (
        f"Reminded today at {berlin:%H:%M} by Dr Okafor."
    )
    assert page.get_by_role("button", name="Remind").is_disabled()
    check_a11y(page, "patient-reminded")
    assert csp_violations(page) == []


def test_a_remind_refused_for_today_says_when_the_next_is_allowed(
    live_server: Any, page: Any, care: tuple[User, User]
) -> None:
    physician, patient = care
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.goto(f"{live_server.url}/#/patients/{patient.pk}")
    page.wait_for_selector("h1:text('Remi Reminded')")
    # Another physician of the practice reminded the patient after this page was opened.
    colleague = PhysicianFactory(display_name="Dr Other", practice=physician.practice)
    link(colleague, patient)
    client = APIClient()
    client.force_authenticate(colleague)
    assert client.post(f"/api/v1/patients/{patient.pk}/remind/").status_code == 201

    page.get_by_role("button", name="Remind").click()
    refusal = page.locator(".form-status .message")
    refusal.wait_for()

    assert refusal.inner_text().startswith(
        "Remi Reminded has had a reminder today. You can send another from "
    )
    assert Reminder.objects.filter(patient=patient, kind="physician").count() == 1
