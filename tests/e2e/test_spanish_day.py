"""A patient's day and a physician's triage in Spanish, in real Chromium (#18), with a
screenshot of every step in test-artifacts/spanish-*.png.

The patient (a phone, 360 x 640, its browser in Spanish, the account in Spanish): the
sign-in screen, the check-in with the validated Spanish pain anchors, a check-in saved,
the aftercare card (which names the bruise "moretón"), recovery, settings and the largest
text size chosen there. The
physician (a desk, 1280 x 800): the patients table (relief is "alivio"), a patient's page
with an open flag, and acknowledging it with a note. On every screen: <html lang="es">,
axe clean, and no English left: no sentence of the English catalog (its words between
placeholders, where the Spanish differs) and no English day or month name is on the
screen."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from typing import Any

import pytest

from diary.models import Entry
from recovery.models import FlagAcknowledgement
from tests.e2e.conftest import (
    ARTIFACTS,
    ROOT,
    check_a11y,
    check_in,
    csp_violations,
    language_context,
    settle,
    sign_in,
    speaking,
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

LOCALES = ROOT / "frontend" / "locales"
ENGLISH_DATES = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
    r"|January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)


@cache
def english_sentences() -> tuple[str, ...]:
    """The English catalog's words that should never show in Spanish: each message's runs
    of text between placeholders, of two words or more, where the Spanish message differs."""
    en = json.loads((LOCALES / "en.json").read_text())
    es = json.loads((LOCALES / "es.json").read_text())
    found = set()
    for key, message in en.items():
        forms = message.values() if isinstance(message, dict) else [message]
        spanish = es.get(key)
        spanish_forms = spanish.values() if isinstance(spanish, dict) else [spanish]
        for form in forms:
            if form in spanish_forms:
                continue
            for run in re.split(r"\{\w+\}", form):
                run = run.strip(" .,:;·\u2013-")
                if len(re.findall(r"[A-Za-z]{2,}", run)) >= 2:
                    found.add(run)
    return tuple(sorted(found))


def english_left(page: Any) -> list[str]:
    """English on the screen: catalog sentences and day or month names."""
    text = page.locator("body").inner_text()
    left = [sentence for sentence in english_sentences() if sentence in text]
    left += sorted({m.group(0) for m in ENGLISH_DATES.finditer(text)})
    return left


def step(page: Any, name: str) -> None:
    """The screen as it settles, in Spanish, with no English and no sideways scrolling;
    kept as test-artifacts/spanish-<name>.png."""
    settle(page)
    assert page.evaluate("document.documentElement.lang") == "es", name
    assert english_left(page) == [], f"{name}: English on the screen"
    wide = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1], f"{name}: the page scrolls sideways ({wide[0]} > {wide[1]} px)"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"spanish-{name}.png"), full_page=True)


@pytest.fixture
def bruised():  # type: ignore[no-untyped-def]
    """A Spanish-speaking patient four days after trigger point injections (baseline 8),
    with a large bruise reported yesterday (an open flag), and her physician, also in
    Spanish."""
    physician = PhysicianFactory(
        email="dra.faro@example.org", display_name="Dra. Elena Faro", timezone="Europe/Berlin"
    )
    patient = PatientFactory(email="lucia@example.org", display_name="Lucía Benítez")
    link(physician, patient)
    visit_at = local_morning(4)
    visit = make_visit(physician, patient, visit_at, baseline_pain=8)
    for day in range(4):
        make_entry(
            patient,
            visit_at + timedelta(days=day, minutes=30),
            pain=6 - day,
            soreness=2,
            bruising="large" if day == 3 else "none",
        )
    return speaking(physician, "es"), speaking(patient, "es"), visit


def test_a_patients_day_in_spanish(live_server, browser, bruised):  # type: ignore[no-untyped-def]
    _physician, patient, _visit = bruised
    # A phone whose browser is in Spanish, where nobody has signed in yet.
    context = language_context(
        browser, "es", viewport={"width": 360, "height": 640}, remember_language=False
    )
    page = context.new_page()
    page.console_messages = []
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))
    try:
        page.goto(live_server.url + "/")
        page.wait_for_selector("input[name=email]")
        step(page, "patient-01-sign-in")
        check_a11y(page, "spanish-patient-sign-in")

        sign_in(page, live_server.url, patient.email, PASSWORD)
        page.wait_for_selector("form.checkin")
        page.wait_for_selector(".aftercare")
        pain = page.locator('fieldset[data-field="pain"]').inner_text()
        assert "Ningún dolor" in pain and "El dolor más fuerte imaginable" in pain, pain
        assert "Lucía" in page.locator("main h1").inner_text()
        step(page, "patient-02-check-in")
        check_a11y(page, "spanish-patient-check-in")

        entry_id = check_in(page, pain=3, soreness=2, notes="Hoy me siento mejor.")
        wait_until(lambda: Entry.objects.filter(pk=entry_id).exists())
        saved = Entry.objects.get(pk=entry_id)
        assert (saved.patient_id, saved.pain, saved.soreness, saved.notes) == (
            patient.pk,
            3,
            2,
            "Hoy me siento mejor.",
        )
        step(page, "patient-03-checked-in")

        aftercare = page.locator(".aftercare")
        # Yesterday's large bruise: the card asks her to contact the clinic, in her words.
        assert "moretón" in aftercare.inner_text().lower()
        aftercare.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "spanish-patient-04-aftercare.png"))

        page.locator("#nav a").nth(1).click()
        page.wait_for_selector("[data-chart=drawn]")
        page.wait_for_selector(f'[data-entry="{entry_id}"]')
        step(page, "patient-05-recovery")
        check_a11y(page, "spanish-patient-recovery")

        page.locator("#nav a").nth(3).click()
        page.wait_for_selector("[data-section=password]")
        step(page, "patient-06-settings")
        check_a11y(page, "spanish-patient-settings")

        # The largest text size, chosen in settings, applies at once and stays on the phone.
        page.locator('fieldset[data-field="text_size"] input[value="3"] + label').click()
        page.wait_for_selector("html[data-text-size='3']")
        assert page.evaluate("localStorage.getItem('relief.text-size')") == "3"
        page.locator("#nav a").nth(0).click()
        page.wait_for_selector("form.checkin")
        step(page, "patient-07-check-in-largest-text")
        assert csp_violations(page) == []
    finally:
        context.close()


def test_a_physicians_triage_in_spanish(live_server, browser, bruised):  # type: ignore[no-untyped-def]
    physician, patient, visit = bruised
    context = language_context(browser, "es", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.console_messages = []
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))
    try:
        sign_in(page, live_server.url, physician.email, PASSWORD)
        page.wait_for_selector("table.patients-table tbody tr")
        relief = page.locator("th[data-column=latest_relief]").inner_text()
        assert "alivio" in relief.lower(), relief
        step(page, "physician-01-patients")
        check_a11y(page, "spanish-physician-patients")

        page.click(f"text={patient.display_name}")
        card = page.locator(f"article.visit[data-visit='{visit.pk}']")
        card.locator(".flag-history").wait_for()
        opened = card.locator("[data-flag=large_bruise][data-state=open]")
        assert opened.count() == 1
        assert "moretón" in opened.inner_text().lower()
        step(page, "physician-02-patient-flag")
        check_a11y(page, "spanish-physician-patient-flag")

        opened.locator("textarea[name=note]").fill("Llamé: el moretón está bajando.")
        opened.locator("form.flag-acknowledge button[type=submit]").click()
        acked = card.locator("[data-flag=large_bruise][data-state=acknowledged]")
        acked.wait_for()
        assert "Llamé: el moretón está bajando." in acked.locator(".flag-note").inner_text()
        assert acked.locator("form.flag-acknowledge").count() == 0
        wait_until(lambda: FlagAcknowledgement.objects.count() == 1)
        row = FlagAcknowledgement.objects.get()
        assert (row.visit_id, row.code, row.physician_id, row.note) == (
            visit.pk,
            "large_bruise",
            physician.pk,
            "Llamé: el moretón está bajando.",
        )
        # axe judges what is on the screen: from the top, as the full-page screenshot.
        page.evaluate("() => scrollTo(0, 0)")
        step(page, "physician-03-acknowledged")
        check_a11y(page, "spanish-physician-acknowledged")
        assert csp_violations(page) == []
    finally:
        context.close()
