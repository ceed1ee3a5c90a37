"""Account recovery and settings in real Chromium: a forgotten password reset through the
mail (a local SMTP server), the password changed in settings, name and timezone changed in
settings."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.models import PasswordReset, Session, User
from diary.models import Entry
from tests.accounts.helpers import ME_URL, bearer
from tests.accounts.helpers import sign_in as api_sign_in
from tests.e2e.conftest import check_a11y, check_in, csp_violations, sign_in, wait_until
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, make_entry
from tests.worker import Inbox, smtp_inbox, start_worker, stop_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a brand new passphrase for spring"


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """A local SMTP server, and a real `relief worker` process (on this test's database)
    that sends the live server's mail to it."""
    settings.PUBLIC_URL = ""  # the link points where the request came: the live server
    with smtp_inbox() as (inbox, port):
        worker = start_worker(smtp_port=port, EMAIL_TIMEOUT="2", PUBLIC_URL="")
        yield inbox
        stop_worker(worker)


@pytest.fixture
def patient() -> User:
    return PatientFactory(email="pat.e2e@example.org", display_name="Pat Tester")


def _body(envelope: Any) -> str:
    message = email.message_from_bytes(envelope.content)
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")


def test_forgot_password_mail_reset_page_then_sign_in_with_the_new_one(
    live_server, page, serve_axe, inbox: Inbox, patient: User
):
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.click("text=Forgot password?")
    page.wait_for_selector("h1:text('Forgot your password?')")
    check_a11y(page, "reset-ask")

    page.fill("input[name=email]", "pat.e2e@example.org")
    page.click("button[type=submit]")
    sent = page.locator("[data-sent]")
    sent.wait_for()
    said = sent.inner_text()
    assert said.startswith("If an account exists for that email, we have sent a link to it.")
    # An address without an account is told the very same.
    page.fill("input[name=email]", "nobody@example.org")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('[data-sent]') !== null")
    assert page.locator("[data-sent]").inner_text() == said

    wait_until(lambda: len(inbox.messages) == 1)
    assert inbox.messages[0].rcpt_tos == ["pat.e2e@example.org"]
    [link] = re.findall(r"http://\S+", _body(inbox.messages[0]))
    assert link.startswith(f"{live_server.url}/#/reset?token=")

    page.goto(link)
    page.wait_for_selector("h1:text('Choose a new password')")
    hint = page.locator("form .hint").inner_text()
    assert hint.startswith("At least 15 characters")
    check_a11y(page, "reset-new-password")
    # The policy speaks through the page.
    page.fill("input[name=password]", "too short")
    page.click("button[type=submit]")
    page.wait_for_selector(".message.error")
    assert "too short" in page.locator(".message.error").inner_text()
    page.click("label:text('Show password')")
    assert page.locator("input[name=password]").get_attribute("type") == "text"

    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:text('Sign in to Relief')")
    assert page.locator(".message.info").inner_text() == (
        "Your password has been changed. Sign in with your new password."
    )
    assert page.input_value("input[name=email]") == "pat.e2e@example.org"
    assert "token" not in page.url
    assert PasswordReset.objects.get().used_at is not None
    wait_until(lambda: len(inbox.messages) == 2)
    assert "Your Relief password was changed" in inbox.messages[1].content.decode()

    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#sign-out:not([hidden])")
    assert csp_violations(page) == []


def test_a_spent_link_says_so_and_offers_a_new_one(live_server, page, inbox: Inbox, patient):
    page.goto(live_server.url + "/#/reset?token=not-a-real-token")
    page.wait_for_selector("h1:text('Choose a new password')")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    error = page.locator(".message.error")
    error.wait_for()
    assert error.inner_text().startswith("This link has expired or has already been used.")
    page.click("text=Ask for a new link")
    page.wait_for_selector("h1:text('Forgot your password?')")


def test_change_password_in_settings_keeps_this_phone_signed_in(
    live_server, page, serve_axe, inbox: Inbox, patient: User
):
    laptop = api_sign_in("pat.e2e@example.org", PASSWORD)
    sign_in(page, live_server.url, "pat.e2e@example.org", PASSWORD)
    page.click("nav >> text=Settings")
    page.wait_for_selector("[data-section=password] h2:text('Password')")
    check_a11y(page, "settings")

    page.fill("input[name=current_password]", "not my password, sorry")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.click("[data-section=password] button[type=submit]")
    error = page.locator("[data-section=password] .message.error")
    error.wait_for()
    assert error.inner_text() == "That is not your current password."
    assert page.evaluate("document.activeElement.name") == "current_password"

    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.click("[data-section=password] button[type=submit]")
    page.wait_for_selector("[data-changed]")
    assert (
        page.locator("[data-changed]")
        .inner_text()
        .startswith("Your password has been changed. You are still signed in here")
    )
    assert page.input_value("input[name=new_password]") == ""
    assert User.objects.get(pk=patient.pk).check_password(NEW_PASSWORD)
    # The laptop is signed out; this phone is not, even after a reload (its refresh cookie).
    assert bearer(laptop["access"]).get(ME_URL).status_code == 401
    assert Session.objects.filter(revoked_at__isnull=True).count() == 1
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    page.wait_for_selector("#sign-out:not([hidden])")
    page.wait_for_selector("[data-section=password]")
    assert Session.objects.filter(revoked_at__isnull=True).count() == 1
    assert csp_violations(page) == []


def test_change_name_and_timezone_in_settings(live_server, page, serve_axe, patient: User):
    before = make_entry(patient, datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    assert before.local_date.isoformat() == "2026-03-04"  # 00:30 in Berlin
    sign_in(page, live_server.url, "pat.e2e@example.org", PASSWORD)
    page.click("nav >> text=Settings")
    section = page.locator("[data-section=profile]")
    section.locator("h2:text('Your name and timezone')").wait_for()
    assert page.input_value("input[name=display_name]") == "Pat Tester"
    assert page.input_value("select[name=timezone]") == "Europe/Berlin"
    assert section.locator("[data-timezone-hint]").inner_text() == (
        "If you move to another timezone, check-ins you have already saved keep the day "
        "they were logged on. New check-ins use the new timezone."
    )
    # This browser is in Berlin, as is the profile: nothing to offer.
    assert section.locator("text=Use this phone's timezone").is_hidden()

    page.fill("input[name=display_name]", "Robin Moved")
    page.select_option("select[name=timezone]", "America/Los_Angeles")
    assert section.locator("text=Use this phone's timezone").is_visible()
    page.click("[data-section=profile] button[type=submit]")
    page.wait_for_selector("[data-saved-profile]")
    check_a11y(page, "settings-saved")

    stored = User.objects.get(pk=patient.pk)
    assert (stored.display_name, stored.timezone) == ("Robin Moved", "America/Los_Angeles")
    # The profile on the device follows (the check-in screen reads it).
    profile = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("relief");
            req.onsuccess = () => {
                const get = req.result.transaction("meta").objectStore("meta").get("user");
                get.onsuccess = () => { req.result.close(); resolve(get.result.value); };
                get.onerror = () => reject(get.error);
            };
        })"""
    )
    assert (profile["display_name"], profile["timezone"]) == ("Robin Moved", "America/Los_Angeles")
    page.click("nav >> text=Check in")
    page.wait_for_selector("h1:text('How are you today, Robin?')")

    # A check-in now is dated in Los Angeles; the one before keeps its Berlin date.
    entry_id = check_in(page, pain=3, soreness=2)
    entry = Entry.objects.get(pk=entry_id)
    assert entry.local_date == entry.felt_at.astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert Entry.objects.get(pk=before.pk).local_date.isoformat() == "2026-03-04"
    assert csp_violations(page) == []


def test_a_physician_changes_their_name_in_settings(live_server, page):
    doctor = PhysicianFactory(email="dr.set@example.org", display_name="Dr. Ada")
    sign_in(page, live_server.url, "dr.set@example.org", PASSWORD)
    page.click("nav >> text=Settings")
    page.wait_for_selector("[data-section=profile]")
    assert page.locator("[data-timezone-hint]").count() == 0
    page.fill("input[name=display_name]", "Dr. Ada Okafor")
    page.click("[data-section=profile] button[type=submit]")
    page.wait_for_selector("[data-saved-profile]")
    assert User.objects.get(pk=doctor.pk).display_name == "Dr. Ada Okafor"
