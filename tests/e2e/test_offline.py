"""Offline check-ins: the IndexedDB outbox, reloads without network, lossy networks and
access tokens that expire while the phone is offline."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import Entry
from tests.e2e.conftest import (
    check_a11y,
    check_in,
    csp_violations,
    outbox_ids,
    shot,
    sign_in,
    wait_for_service_worker,
    wait_until,
)
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient_after_visit():  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.offline@example.org")
    patient = PatientFactory(email="offline.pat@example.org", display_name="Olga Offline")
    link(physician, patient)
    make_visit(physician, patient, timezone.now() - timedelta(days=2), baseline_pain=6)
    return patient


def waiting_count(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#sync-status").get_attribute("data-waiting") or 0)


def make_offline_check_ins(page, context, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    ids = []
    for i in range(n):
        ids.append(check_in(page, pain=i % 11, soreness=(i + 2) % 11, notes=f"offline {i}"))
        assert "waiting to sync" in page.locator("[data-saved]").inner_text()
    page.wait_for_function(f"() => document.getElementById('sync-status').dataset.waiting == {n}")
    assert f"{n} waiting to sync" in page.locator("#sync-status").inner_text()
    assert sorted(outbox_ids(page)) == sorted(ids)
    return ids


def test_offline_check_ins_survive_a_reload_and_reach_the_server_once(
    live_server, page, context, serve_axe, patient_after_visit
):
    sign_in(page, live_server.url, patient_after_visit.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    wait_for_service_worker(page)

    ids = make_offline_check_ins(page, context, 5)
    shot(page, "offline-waiting")
    assert Entry.objects.count() == 0

    # The app shell comes from the service worker's cache; the outbox from IndexedDB.
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    page.wait_for_selector("form.checkin")
    page.wait_for_function("() => document.getElementById('sync-status').dataset.waiting == 5")
    assert "Offline" in page.locator("#sync-status").inner_text()
    check_a11y(page, "offline-check-in")

    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('sync-status').dataset.waiting == 0", timeout=20000
    )
    assert outbox_ids(page) == []
    entries = Entry.objects.filter(patient=patient_after_visit)
    assert sorted(str(e.id) for e in entries) == sorted(ids)
    assert sorted(e.notes for e in entries) == [f"offline {i}" for i in range(5)]
    assert all(e.version == 1 for e in entries)
    assert csp_violations(page) == []


def test_a_lossy_network_still_delivers_each_check_in_exactly_once(
    live_server, page, context, patient_after_visit
):
    sign_in(page, live_server.url, patient_after_visit.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    ids = make_offline_check_ins(page, context, 5)

    rng = random.Random(5)
    outcomes: list[str] = []

    methods: list[str] = []

    def lossy(route):  # type: ignore[no-untyped-def]
        # The outbox goes as one POST /entries/sync/ (the pattern matches sync/ too).
        if route.request.method not in ("PUT", "POST"):
            route.continue_()
            return
        methods.append(route.request.method)
        roll = rng.random()
        if roll < 0.35:
            outcomes.append("lost before the server")
            route.abort("connectionreset")
        elif roll < 0.7:
            # The server stores it, but the answer never reaches the phone.
            route.fetch()
            outcomes.append("answer lost")
            route.abort("connectionreset")
        else:
            outcomes.append("delivered")
            route.continue_()

    page.route("**/api/v1/entries/*/", lossy)
    context.set_offline(False)
    # Each `online` event (as after a network change) starts a sync; keep nudging until done.
    wait_until(
        lambda: (
            page.evaluate("() => { dispatchEvent(new Event('online')); }") is None
            and waiting_count(page) == 0
        ),
        timeout=45,
        step=0.5,
    )
    assert outbox_ids(page) == []
    assert "lost before the server" in outcomes or "answer lost" in outcomes
    assert set(methods) == {"POST"}, methods  # the batch path carried the whole outbox
    entries = Entry.objects.filter(patient=patient_after_visit)
    assert entries.count() == 5
    assert sorted(str(e.id) for e in entries) == sorted(ids)
    assert all(e.version == 1 for e in entries)


def test_access_token_expiring_while_offline_is_refreshed_and_sync_completes(
    live_server, page, context, settings, patient_after_visit
):
    settings.ACCESS_TOKEN_LIFETIME = timedelta(seconds=2)
    sign_in(page, live_server.url, patient_after_visit.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    ids = make_offline_check_ins(page, context, 2)
    page.wait_for_timeout(2500)  # the access token in memory has now expired

    refreshes: list[int] = []
    page.on(
        "response",
        lambda r: "/auth/token/refresh/" in r.url and refreshes.append(r.status),
    )
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('sync-status').dataset.waiting == 0", timeout=20000
    )
    assert 200 in refreshes
    assert 401 not in refreshes  # single-flight: never two refreshes of one token
    assert sorted(str(e.id) for e in Entry.objects.all()) == sorted(ids)
    assert outbox_ids(page) == []


def test_an_ended_session_keeps_the_outbox_and_asks_to_sign_in_again(
    live_server, page, context, patient_after_visit
):
    sign_in(page, live_server.url, patient_after_visit.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    ids = make_offline_check_ins(page, context, 2)
    # The session ends elsewhere (e.g. signed out on another device) while offline.
    from accounts.models import Session

    Session.objects.filter(user=patient_after_visit).update(revoked_at=timezone.now())
    context.set_offline(False)
    page.wait_for_selector("h1:text('Sign in to Relief')", timeout=20000)
    assert "Sign in again to send 2 waiting check-ins" in page.locator(".message.info").inner_text()
    assert sorted(outbox_ids(page)) == sorted(ids)
    assert Entry.objects.count() == 0

    page.fill("input[name=password]", PASSWORD)  # the email is remembered
    page.click("button[type=submit]")
    page.wait_for_selector("form.checkin")
    wait_until(lambda: outbox_ids(page) == [])
    assert sorted(str(e.id) for e in Entry.objects.all()) == sorted(ids)


def test_a_refresh_answer_lost_on_the_way_does_not_sign_the_patient_out(
    live_server, page, context, settings, patient_after_visit
):
    """The phone sends a refresh, the server rotates the token, and the answer (with the new
    cookie) never arrives. The spent token is all the phone has: presenting it again must
    neither sign the patient out nor be taken for token theft."""
    from rest_framework.test import APIClient

    from accounts.models import RefreshToken, SecurityEvent, Session
    from tests.accounts.helpers import REFRESH_URL

    # Short enough to wait out here, long enough that the reload below comes within it and
    # the app has to wait for Retry-After before the server can tell a lost answer.
    settings.REFRESH_REUSE_GRACE_SECONDS = 5
    sign_in(page, live_server.url, patient_after_visit.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    held = [c for c in context.cookies() if c["name"] == settings.REFRESH_COOKIE_NAME]
    assert len(held) == 1

    # The phone's refresh reaches the server, which rotates; the answer is lost on the way.
    lost = APIClient().post(REFRESH_URL, {"refresh": held[0]["value"]}, format="json")
    assert lost.status_code == 200

    refreshes: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: (
            "/auth/token/refresh/" in r.url
            and refreshes.append((r.status, r.headers.get("retry-after")))
        ),
    )
    page.reload()  # start-up refreshes the session with the spent token: all the phone has
    page.wait_for_selector("form.checkin")
    entry_id = check_in(page, pain=3, soreness=2, notes="after a lost answer")
    wait_until(lambda: Entry.objects.filter(id=entry_id).exists())
    assert outbox_ids(page) == []
    assert page.locator("form.checkin").count() == 1  # still signed in
    assert len(refreshes) >= 2 and refreshes[-1] == (200, None)
    assert all(status == 401 and retry for status, retry in refreshes[:-1])
    session = Session.objects.get(user=patient_after_visit)
    assert session.revoked_at is None
    kinds = list(SecurityEvent.objects.values_list("kind", flat=True))
    assert kinds == [SecurityEvent.Kind.REFRESH_RECOVERED]  # and no theft alarm
    # The token whose answer was lost is spent; exactly one token of the session is live.
    assert RefreshToken.objects.filter(session=session, used_at__isnull=True).count() == 1
