"""Signing out leaves nothing of the patient's on the device, warns first about check-ins
that have not been sent, and works offline: the server session is ended at the next chance."""

from __future__ import annotations

import pytest

from accounts.models import Session
from diary.models import Entry
from tests.e2e.conftest import (
    ROOT,
    check_a11y,
    check_in,
    outbox_ids,
    sign_in,
    wait_for_service_worker,
    wait_until,
)
from tests.factories import PASSWORD, PatientFactory

FRONTEND = ROOT / "frontend"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVICE_STATE = """async () => {
    const dbs = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
    const cached = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) cached.push(new URL(request.url).pathname);
    }
    return {localStorage: localStorage.length, sessionStorage: sessionStorage.length,
            databases: dbs, cached};
}"""


def test_sign_out_warns_about_unsent_check_ins_then_clears_the_device(
    live_server, page, context, serve_axe
):
    patient = PatientFactory(email="leaving@example.org", display_name="Lee Leaving")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    wait_for_service_worker(page)
    check_in(page, pain=4, soreness=3, notes="sent")
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    waiting = check_in(page, pain=5, soreness=3, notes="never sent")
    assert outbox_ids(page) == [waiting]
    before = page.evaluate(DEVICE_STATE)
    assert "relief" in before["databases"]
    # Back online, but check-ins cannot get through: one is still waiting at sign-out.
    page.route("**/api/v1/entries/*/", lambda route: route.abort("internetdisconnected"))
    context.set_offline(False)
    page.wait_for_function("() => navigator.onLine")
    page.click("#sign-out")
    dialog = page.locator("dialog[open]")
    assert "1 check-in has not reached the clinic yet" in dialog.inner_text()
    check_a11y(page, "sign-out-warning")
    dialog.get_by_role("button", name="Sign out and delete them").click()
    page.wait_for_selector("h1:text('Sign in to Relief')")
    check_a11y(page, "signed-out")

    after = page.evaluate(DEVICE_STATE)
    assert after["localStorage"] == 0
    assert after["sessionStorage"] == 0
    assert "relief" not in after["databases"]
    # The app's caches were emptied; the worker may cache public shell files again as the
    # page asks for them (the favicon), never anything from the API.
    shell = {"/"} | {
        "/" + p.relative_to(FRONTEND).as_posix() for p in FRONTEND.rglob("*") if p.is_file()
    }
    assert set(after["cached"]) <= shell
    assert len(after["cached"]) < len(before["cached"])

    # The refresh cookie is gone too: a reload does not sign anyone back in.
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    assert page.locator("h1").inner_text() == "Sign in to Relief"
    assert page.locator("#sign-out").is_hidden()
    refreshed = page.evaluate(
        "() => fetch('/api/v1/auth/token/refresh/', {method: 'POST', "
        "headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)"
    )
    assert refreshed in (400, 401)


def test_sign_out_works_offline_and_ends_the_session_once_back_online(
    live_server, page, context, serve_axe
):
    patient = PatientFactory(email="away@example.org", display_name="Avery Away")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    wait_for_service_worker(page)
    session = Session.objects.get(user=patient)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    check_in(page, pain=5, soreness=3, notes="made offline")

    # Offline: still warned about the waiting check-in, then signed out of the phone at once.
    page.click("#sign-out")
    dialog = page.locator("dialog[open]")
    assert "1 check-in has not reached the clinic yet" in dialog.inner_text()
    dialog.get_by_role("button", name="Sign out and delete them").click()
    page.wait_for_selector("h1:text('Sign in to Relief')")
    notice = page.locator(".message.info").inner_text()
    assert "ended as soon as this phone is back online" in notice
    check_a11y(page, "signed-out-offline")
    after = page.evaluate(DEVICE_STATE)
    assert "relief" not in after["databases"]
    # Nothing of the patient's: only the note that the server still has to be told.
    assert page.evaluate("() => Object.fromEntries(Object.entries(localStorage))") == {
        "relief.logout-pending": "1"
    }
    assert page.locator("#sign-out").is_hidden()
    session.refresh_from_db()
    assert session.revoked_at is None  # the server could not be told yet

    # Back online: the app ends the session before anything else; the cookie is spent.
    context.set_offline(False)
    wait_until(lambda: Session.objects.get(pk=session.pk).revoked_at is not None)
    page.wait_for_function("() => localStorage.length === 0")
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    assert page.locator("h1").inner_text() == "Sign in to Relief"
    refreshed = page.evaluate(
        "() => fetch('/api/v1/auth/token/refresh/', {method: 'POST', "
        "headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)"
    )
    assert refreshed in (400, 401)
    assert not Entry.objects.filter(notes="made offline").exists()


def test_a_pending_sign_out_is_sent_at_the_next_start(live_server, page, context):
    patient = PatientFactory(email="later@example.org", display_name="Lou Later")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    wait_for_service_worker(page)
    session = Session.objects.get(user=patient)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    page.click("#sign-out")
    page.wait_for_selector("h1:text('Sign in to Relief')")
    page.close()  # the app is closed while offline

    calls: list[str] = []
    page = context.new_page()
    page.on(
        "request", lambda r: "/api/v1/auth/" in r.url and calls.append(r.url.split("/auth/")[1])
    )
    context.set_offline(False)
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    wait_until(lambda: Session.objects.get(pk=session.pk).revoked_at is not None)
    page.wait_for_function("() => localStorage.length === 0")  # also delivers request events
    assert calls == ["logout/"]
    session.refresh_from_db()
    assert session.revoked_reason
