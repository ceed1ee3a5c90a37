"""Reminders as notifications, in real Chromium.

- The service worker's ``push`` handler is driven with the DevTools protocol
  (``ServiceWorker.deliverPushMessage``: what a push service's message becomes in the
  browser) and shows a notification. Chromium shows it through the desktop's notification
  service on D-Bus, which the test runs (tests/push/desktop_notifications.py); the test taps
  it there as a person does (``ActionInvoked`` "default"), so Chromium dispatches a trusted
  ``notificationclick`` and the handler may focus the app's window, or open a new one.
- The offer comes after a first check-in that reached the clinic, never on first open, and
  "Not now" is remembered.
- Turning reminders on subscribes this phone with the server's key and stores it; a push
  sent by the server (``push_send``) reaches the test's push service, which checks its VAPID
  signature, decrypts it and hands it to the browser; turning them off removes it again.
  Headless Chromium cannot register with a real push service (that needs Google's FCM), so
  in that one test ``PushManager.subscribe`` hands back a subscription whose endpoint and keys
  are a phone of the test's push service: everything after it is the real thing.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from push.models import PushSubscription
from push.services import push_send
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    check_a11y,
    check_in,
    csp_violations,
    sign_in,
    wait_for_service_worker,
)
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link
from tests.push.desktop_notifications import NotificationServer, start_notification_server
from tests.push.push_service import PushService, start_push_service, use_vapid_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REMINDER = {
    "title": "Time for your check-in",
    "body": "How is your pain this evening? It takes a few seconds.",
    "url": "/#/",
    "tag": "relief-reminder",
}
OFFER = ".push-offer"
WHY = "Get a reminder on the evenings after your injection if you haven't logged yet."


@pytest.fixture
def server_key(settings: Any) -> str:
    return use_vapid_key(settings, ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def patient():  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.push@example.org", display_name="Dr. Okafor")
    patient = PatientFactory(email="pat.push@example.org", display_name="Pat Push")
    link(physician, patient)
    return patient


class Worker:
    """The app's service worker as the DevTools protocol sees it: its registration (to
    deliver pushes to), and DevTools' record of its push events and notifications."""

    def __init__(self, context: Any, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.cdp = context.new_cdp_session(page)
        self.registrations: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.delivered = 0
        self.cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: self.registrations.extend(event["registrations"]),
        )
        self.cdp.on(
            "BackgroundService.backgroundServiceEventReceived",
            lambda event: self.events.append(event["backgroundServiceEvent"]),
        )
        self.cdp.send("ServiceWorker.enable")
        for service in ("pushMessaging", "notifications"):
            self.cdp.send("BackgroundService.startObserving", {"service": service})
            self.cdp.send(
                "BackgroundService.setRecording", {"shouldRecord": True, "service": service}
            )
        self.registration_id = self._wait(
            lambda: next(
                (
                    r["registrationId"]
                    for r in self.registrations
                    if r["scopeURL"] == origin + "/" and not r["isDeleted"]
                ),
                None,
            ),
            "the service worker's registration",
        )

    def _wait(self, find: Any, what: str) -> Any:
        """DevTools events arrive while Playwright waits: poll for what they bring."""
        deadline = time.monotonic() + 15
        while (found := find()) is None and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        assert found is not None, f"{what}: not seen"
        return found

    def deliver(self, message: dict[str, Any] | str) -> None:
        data = message if isinstance(message, str) else json.dumps(message)
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.registration_id, "data": data},
        )
        self.delivered += 1

    def pushes_handled(self) -> list[str]:
        """The outcome of each push event delivered, once all have completed (the handler's
        waitUntil promise settled): "Success" when it showed its notification."""
        return self._wait(
            lambda: (
                done
                if len(
                    done := [
                        next(m["value"] for m in e["eventMetadata"] if m["key"] == "Status")
                        for e in self.events
                        if e["eventName"] == "Push event completed"
                    ]
                )
                == self.delivered
                else None
            ),
            f"{self.delivered} push events completed",
        )

    def notifications(self) -> list[dict[str, Any]]:
        """The service worker's notifications, read once its push events have completed (a
        read while one is being shown can lose it from the list: Chromium drops what it
        has stored but not yet displayed)."""
        assert set(self.pushes_handled()) == {"Success"}
        return self.page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.ready;
                return (await registration.getNotifications()).map((n) => ({
                    title: n.title, body: n.body, tag: n.tag, url: n.data?.url }));
            }"""
        )


def _lines(element: Any) -> list[str]:
    return [line for line in element.inner_text().splitlines() if line.strip()]


def _signed_in(live_server: Any, context: Any, page: Any, email: str) -> Worker:
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url, email, PASSWORD)
    wait_for_service_worker(page)
    return Worker(context, page, live_server.url)


@pytest.fixture
def desktop() -> Iterator[NotificationServer]:
    if shutil.which("dbus-daemon") is None:
        message = "dbus-daemon is missing: apt-get install dbus-daemon"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the notification tap test, but {message}")
        pytest.skip(message)
    server = start_notification_server()
    yield server
    server.stop()


@pytest.fixture
def phone_browser(browser: Any, desktop: NotificationServer, tmp_path: Any) -> Iterator[Any]:
    """Chromium with a profile of its own (a notification is clicked through the profile
    that showed it, which a throwaway context is not) and the desktop's notifications."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": desktop.address},
        viewport={"width": 360, "height": 640},
        timezone_id="Europe/Berlin",
        locale="en-GB",
    )
    yield context
    context.close()


def test_a_push_shows_a_notification_that_leads_to_the_app(
    live_server: Any, context: Any, page: Any, patient: Any
) -> None:
    worker = _signed_in(live_server, context, page, patient.email)

    worker.deliver(REMINDER)
    # Only the app's own pages open from a notification, whatever a payload says.
    worker.deliver({**REMINDER, "tag": "elsewhere", "url": "https://evil.example/"})
    worker.deliver("not json")  # still a notification that says what to do

    shown = sorted(worker.notifications(), key=lambda n: n["tag"])
    assert shown == [
        {**REMINDER, "tag": "elsewhere", "url": live_server.url + "/#/"},
        {
            "title": "Relief",
            "body": "How are you today? Your check-in takes a few seconds.",
            "tag": "relief",
            "url": live_server.url + "/#/",
        },
        {**REMINDER, "url": live_server.url + "/#/"},
    ]
    assert csp_violations(page) == []


def test_tapping_a_notification_opens_the_check_in(
    live_server: Any, phone_browser: Any, desktop: NotificationServer, patient: Any
) -> None:
    page = phone_browser.pages[0]
    worker = _signed_in(live_server, phone_browser, page, patient.email)
    page.click("nav >> text=Settings")
    page.wait_for_selector("h1:text('Settings')")
    worker.deliver(REMINDER)
    worker.deliver({**REMINDER, "title": "Elsewhere", "tag": "x", "url": "https://evil.example/"})
    assert worker.pushes_handled() == ["Success", "Success"]
    # What the desktop shows (Chromium adds the site's name above the body).
    on_screen = {n.summary: n for n in desktop.wait_for(2)}
    assert {title: n.body.splitlines() for title, n in on_screen.items()} == {
        title: [live_server.url.removeprefix("http://"), "", REMINDER["body"]]
        for title in (REMINDER["title"], "Elsewhere")
    }

    # Relief is open on Settings and the patient taps the reminder: today's check-in, and
    # the notification goes away.
    reminder = on_screen[REMINDER["title"]]
    desktop.tap(reminder)
    page.wait_for_url(live_server.url + "/#/")
    page.wait_for_selector("form.checkin")
    assert page.locator("h1").inner_text() == "How are you today, Pat?"
    desktop.wait_for_closed(reminder)

    # Relief is closed: a tap opens it on the check-in (never the payload's other site),
    # still signed in.
    page.close()
    with phone_browser.expect_page() as new_window:
        desktop.tap(on_screen["Elsewhere"])
    opened = new_window.value
    opened.wait_for_selector("form.checkin")
    assert opened.url == live_server.url + "/#/"
    opened.wait_for_function(
        "() => document.querySelector('h1').textContent === 'How are you today, Pat?'"
    )


def test_reminders_are_offered_after_the_first_check_in_not_on_first_open(
    live_server: Any, context: Any, page: Any, serve_axe: None, server_key: str, patient: Any
) -> None:
    _signed_in(live_server, context, page, patient.email)
    page.wait_for_selector("form.checkin")
    assert page.locator(OFFER).count() == 0  # first open: nothing is asked

    check_in(page, pain=4, soreness=3)

    offer = page.wait_for_selector(OFFER)
    assert _lines(offer)[:2] == ["Reminders on this phone", WHY]
    check_a11y(page, "push-offer")

    page.click(f"{OFFER} >> text=Not now")
    page.wait_for_selector(OFFER, state="detached")
    assert page.evaluate("localStorage.getItem('relief.push')") == "declined"
    assert page.evaluate("Notification.permission") == "granted"  # granted by the test only

    check_in(page, pain=3, soreness=2)
    page.wait_for_function(
        "() => document.getElementById('announce').textContent.startsWith('Check-in saved')"
    )
    assert page.locator(OFFER).count() == 0
    assert PushSubscription.objects.count() == 0
    assert csp_violations(page) == []


def test_no_offer_when_the_clinic_sends_no_notifications(
    live_server: Any, context: Any, page: Any, settings: Any, patient: Any
) -> None:
    settings.VAPID_PRIVATE_KEY = ""
    _signed_in(live_server, context, page, patient.email)
    check_in(page, pain=4, soreness=3)
    page.wait_for_function(
        "() => document.getElementById('announce').textContent.startsWith('Check-in saved')"
    )
    page.click("nav >> text=Settings")
    page.wait_for_selector("h1:text('Settings')")
    assert page.locator(OFFER).count() == 0
    assert page.locator(".settings-notifications").count() == 0


# A stand-in for the browser's registration with its push service (see the module's doc):
# the subscription is a phone of the test's push service, and the key the app subscribes
# with is kept for the test to compare with the server's.
SUBSCRIBE = """
(() => {
  const phone = %s;
  const b64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  globalThis.subscribedWith = [];
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey).buffer;
    globalThis.subscribedWith.push({ userVisibleOnly: options.userVisibleOnly, key: b64url(key) });
    current = {
      endpoint: phone.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: options.userVisibleOnly, applicationServerKey: key },
      toJSON: () => ({ endpoint: phone.endpoint, expirationTime: null, keys: phone.keys }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def test_turning_reminders_on_subscribes_this_phone_and_a_push_reaches_it(
    live_server: Any,
    context: Any,
    page: Any,
    serve_axe: None,
    server_key: str,
    push_service: PushService,
    patient: Any,
) -> None:
    phone = push_service.phone("phone")
    context.add_init_script(SUBSCRIBE % json.dumps(phone.subscription_json()))
    worker = _signed_in(live_server, context, page, patient.email)
    check_in(page, pain=5, soreness=4)
    page.click(f"{OFFER} >> text=Turn on reminders")
    page.wait_for_selector(f"{OFFER} .message.success")
    assert page.locator(f"{OFFER} .message").inner_text() == (
        "Reminders are on for this phone. You can turn them off in Settings."
    )
    assert page.evaluate("globalThis.subscribedWith") == [
        {"userVisibleOnly": True, "key": server_key}
    ]
    subscription = PushSubscription.objects.get()
    assert (subscription.user_id, subscription.endpoint) == (patient.pk, phone.endpoint)
    assert {"p256dh": subscription.p256dh, "auth": subscription.auth} == phone.keys

    # The server's reminder, through the push service, to the phone.
    assert push_send(user=patient, **REMINDER) == 1
    assert push_service.problems == []
    [delivery] = push_service.deliveries
    assert delivery.message == REMINDER
    assert delivery.vapid_key == server_key
    worker.deliver(delivery.message)
    assert worker.notifications() == [{**REMINDER, "url": live_server.url + "/#/"}]

    page.click("nav >> text=Settings")
    section = page.wait_for_selector(".settings-notifications")
    assert _lines(section)[:2] == [
        "Notifications",
        "Reminders come to this phone as notifications.",
    ]
    check_a11y(page, "settings-notifications-on")
    page.click(".settings-notifications >> text=Turn off notifications")
    page.wait_for_selector(".settings-notifications [data-push-state=off]")
    assert page.locator(".settings-notifications .message").inner_text() == (
        "Notifications are off for this phone."
    )
    assert PushSubscription.objects.count() == 0
    assert csp_violations(page) == []


def test_a_phone_that_cannot_subscribe_says_so_and_reminders_go_by_mail(
    live_server: Any, context: Any, page: Any, server_key: str, patient: Any
) -> None:
    """Headless Chromium has no push service: what a patient sees when theirs fails."""
    _signed_in(live_server, context, page, patient.email)
    check_in(page, pain=5, soreness=4)
    page.click(f"{OFFER} >> text=Turn on reminders")
    page.wait_for_selector(f"{OFFER} .message.info")
    assert page.locator(f"{OFFER} .message").inner_text() == (
        "This phone could not turn on notifications just now, so reminders will come by "
        "e-mail. You can try again in Settings."
    )
    assert PushSubscription.objects.count() == 0


def test_physicians_have_no_notification_settings(
    live_server: Any, context: Any, page: Any, server_key: str
) -> None:
    physician = PhysicianFactory(email="dr.settings@example.org")
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.click("nav >> text=Settings")
    page.wait_for_selector("h1:text('Settings')")
    assert page.locator(".settings-notifications").count() == 0
