"""A patient's phone draws today's check-in before the server has confirmed the session, and
a check-in made in that moment is kept for that patient and sent once the session is back."""

from __future__ import annotations

import pytest

from diary.models import Entry
from tests.e2e.conftest import (
    check_in,
    csp_violations,
    outbox_ids,
    sign_in,
    wait_for_service_worker,
)
from tests.factories import PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORAGE = "() => Object.fromEntries(Object.entries(localStorage))"


def test_check_in_is_usable_before_the_session_refresh_answers(live_server, page, context):
    patient = PatientFactory(email="quick@example.org", display_name="Quinn Quick")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    wait_for_service_worker(page)
    # All the device remembers outside IndexedDB: the role and the language, no name, id or
    # token.
    assert page.evaluate(STORAGE) == {"relief.role": "patient", "relief.language": "en"}

    # The next start: the refresh (the session's round trip) is held back.
    held = []
    page.route("**/api/v1/auth/token/refresh/", lambda route: held.append(route))
    page.reload()
    page.wait_for_selector("form.checkin")
    for _ in range(200):  # Playwright hands routed requests over while the page is waited on
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1  # still unanswered: the form did not wait for it
    page.wait_for_function("() => document.querySelector('h1').textContent.includes('Quinn')")

    entry_id = check_in(page, pain=2, soreness=1, notes="before the session was back")
    assert "waiting to sync" in page.locator("[data-saved]").inner_text()
    assert outbox_ids(page) == [entry_id]
    assert not Entry.objects.exists()

    # The session is confirmed: the check-in made meanwhile is the patient's and is sent.
    held[0].continue_()
    page.unroute("**/api/v1/auth/token/refresh/")
    page.wait_for_function(
        "() => document.getElementById('sync-status').dataset.waiting == 0", timeout=20000
    )
    entry = Entry.objects.get()
    assert (str(entry.id), entry.patient_id, entry.notes) == (
        entry_id,
        patient.id,
        "before the session was back",
    )
    assert outbox_ids(page) == []
    assert csp_violations(page) == []


# What the page asked for before the check-in form was usable (the app's own mark). The
# page's icon is left out: the browser fetches it when it likes (before the form on a
# loaded machine, after it otherwise), and it never holds up the first screen.
REQUESTED_BEFORE_USABLE = """() => {
    const usable = performance.getEntriesByName("relief:view:/")[0].startTime;
    return performance.getEntriesByType("resource")
        .filter((entry) => entry.startTime < usable)
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => !path.startsWith("/icons/"));
}"""


def test_a_repeat_start_requests_only_the_check_in_form_before_it_is_usable(live_server, page):
    """Sending, the session and the aftercare card are imported once the form is drawn: on
    a slow phone each module request holds up the first screen."""
    patient = PatientFactory(email="again@example.org")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    wait_for_service_worker(page)
    page.reload()
    page.wait_for_selector("form.checkin")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'true'")
    early = page.evaluate(REQUESTED_BEFORE_USABLE)
    shell = ["/styles.css", "/prefs.js", "/i18n.js", "/locales/en.json", "/app.js",
             "/device.js", "/dom.js", "/views/checkin.js", "/views/form.js",
             "/format.js"]  # fmt: skip
    assert sorted(early) == sorted(shell)
    # ...and they do load once it is.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.endsWith('/sync.js'))"
    )
    assert csp_violations(page) == []


def test_a_stale_marker_without_a_stored_profile_shows_sign_in(live_server, page):
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.evaluate("() => localStorage.setItem('relief.role', 'patient')")
    page.reload()
    page.wait_for_selector("h1:text('Sign in to Relief')")
    assert page.locator("#sign-out").is_hidden()
    assert page.evaluate(STORAGE) == {}
