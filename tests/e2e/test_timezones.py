"""Timezones in real Chromium: every name the API accepts is one its Intl knows, every name
Chromium reports for a device is one the API accepts, and a stored name the browser does
not know (a row from before migration 0007) no longer takes the physician's screens down."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from importlib import resources

import pytest
from django.utils import timezone

from accounts.care_apis import InvitationAcceptSerializer
from accounts.models import User
from tests.e2e.conftest import sign_in, wait_until
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_entry, make_visit

pytestmark = pytest.mark.browser

THROWS = """names => names.filter(name => {
  try { new Intl.DateTimeFormat("en", { timeZone: name }); return false; }
  catch (error) { return true; }
})"""


def _candidates() -> list[str]:
    """Every name a client could send: what this machine's zoneinfo lists (``localtime``
    and ``posixrules`` on Debian, ``posix/…`` and ``right/…`` on some systems) and every
    zone and link of IANA's data."""
    names = set(zoneinfo.available_timezones())
    data = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text()
    for line in data.splitlines():
        if line.startswith("Z "):
            names.add(line.split()[1])
        elif line.startswith("L "):
            names.add(line.split()[2])
    names |= {"localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC"}
    return sorted(names)


def _accepted(name: str) -> str | None:
    """What the API would store for ``name`` (None when it refuses it)."""
    serializer = InvitationAcceptSerializer(
        data={"code": "c", "password": "a long and private passphrase", "timezone": name}
    )
    serializer.is_valid()
    return (
        serializer.validated_data.get("timezone") if "timezone" not in serializer.errors else None
    )


def test_every_accepted_timezone_is_known_to_chromium(page):  # type: ignore[no-untyped-def]
    accepted = {name: _accepted(name) for name in _candidates()}
    sent = sorted(name for name, stored in accepted.items() if stored is not None)
    stored = sorted({stored for stored in accepted.values() if stored is not None})
    assert len(stored) > 400  # the check is not vacuous: every zone.tab location

    assert page.evaluate(THROWS, sent) == []
    assert page.evaluate(THROWS, stored) == []


def test_every_zone_chromium_reports_for_a_device_is_accepted(page):  # type: ignore[no-untyped-def]
    """signin.js sends ``Intl.DateTimeFormat().resolvedOptions().timeZone``: CLDR's names,
    such as Asia/Calcutta, which the API must take (and store as Asia/Kolkata)."""
    stored = sorted({s for s in map(_accepted, _candidates()) if s is not None})
    reported = page.evaluate(
        """names => names.map(name =>
             new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone)""",
        stored,
    )
    assert "Asia/Calcutta" in reported
    assert [name for name in reported if _accepted(name) is None] == []


@pytest.mark.django_db(transaction=True)
def test_a_stored_zone_the_browser_does_not_know_breaks_no_screen(live_server, page):  # type: ignore[no-untyped-def]
    physician = PhysicianFactory(email="dr.zone@example.org", display_name="Dr. Zone")
    odd = PatientFactory(email="odd@example.org", display_name="Olga Odd")
    plain = PatientFactory(email="plain@example.org", display_name="Paul Plain")
    now = timezone.now()
    for patient in (odd, plain):
        link(physician, patient)
        make_visit(physician, patient, now - timedelta(days=4), baseline_pain=7)
        make_entry(patient, now - timedelta(days=1), pain=3, soreness=2, notes="Fine")
    # As a row stored before migration 0007 could hold it (the old validator took it).
    User.objects.filter(pk=odd.pk).update(timezone="localtime")

    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patient")
    wait_until(lambda: page.locator(".patient").count() == 2)
    rows = page.locator(".patient").all_inner_texts()
    assert all("last check-in" in row for row in rows), rows
    page.click("text=Olga Odd")
    page.wait_for_selector("h1:text('Olga Odd')")
    page.wait_for_selector(".entry-notes:text('Fine')")
    page.click("#sign-out")
    page.wait_for_selector("input[name=email]")

    sign_in(page, live_server.url, odd.email, PASSWORD)
    page.click("nav >> text=My recovery")
    page.wait_for_selector("h1:text('My recovery')")
    page.wait_for_selector(".entry-notes:text('Fine')")
    errors = [m for m in page.console_messages if m.startswith(("pageerror", "error"))]
    assert errors == []
