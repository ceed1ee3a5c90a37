"""Issue #18: the app's language and text size, chosen in Settings (every role) or on the
sign-in page, apply at once, offline too, survive a reload and reach the account.

The assertions on the account's stored language (``stored_language``) need the server's
``language`` field on the profile (the server side of #18); until it is there they are
skipped and only what the app sends is checked."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from tests.e2e.conftest import (
    csp_violations,
    shot,
    sign_in,
    wait_for_service_worker,
    wait_until,
)
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVER_KNOWS_LANGUAGE = any(f.name == "language" for f in User._meta.get_fields())
ME = "**/api/v1/auth/me/"


def stored_language(user: User) -> str | None:
    """The account's language on the server, or None while the server has no such field."""
    if not SERVER_KNOWS_LANGUAGE:
        return None
    user.refresh_from_db()
    return user.language  # type: ignore[attr-defined]


def language_patches(page: Any) -> list[dict[str, Any]]:
    """Records the bodies of PATCH /auth/me/ requests from now on."""
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: (
            sent.append(json.loads(request.post_data or "{}"))
            if request.method == "PATCH" and request.url.endswith("/api/v1/auth/me/")
            else None
        ),
    )
    return sent


def choose_language(page: Any, name: str) -> None:
    page.locator('fieldset[data-field="language"] label', has_text=name).click()


@pytest.fixture
def patient() -> User:
    physician = PhysicianFactory(email="dr.idioma@example.org")
    patient = PatientFactory(email="idioma@example.org", display_name="Lucía Idioma")
    link(physician, patient)
    make_visit(physician, patient, timezone.now() - timedelta(days=1), baseline_pain=6)
    return patient


def test_settings_switches_the_language_at_once_and_keeps_it(live_server, page, patient):
    sent = language_patches(page)
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("h1:text('Settings')")
    assert page.evaluate("document.documentElement.lang") == "en"
    # Each language's name is written in that language, and marked so.
    assert page.locator('fieldset[data-field="language"] span[lang="es"]').inner_text() == "Español"

    choose_language(page, "Español")
    page.wait_for_selector("h1:text('Ajustes')")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator("nav a").all_inner_texts() == [
        "Registrar",
        "Mi recuperación",
        "Mis datos",
        "Ajustes",
    ]
    assert page.locator("#sign-out").inner_text() == "Cerrar sesión"
    assert page.title() == "Ajustes · Relief"
    # The control that changed it keeps the focus, checked, in the redrawn screen.
    assert page.evaluate("document.activeElement.value") == "es"
    assert page.locator('input[name="language"][value="es"]').is_checked()

    # Saved to the account and on this device; the API is asked for Spanish from now on.
    wait_until(lambda: {"language": "es"} in sent)
    with page.expect_request("**/api/v1/auth/timezones/") as asked:
        page.reload()
    assert asked.value.headers["accept-language"] == "es"
    assert page.evaluate("localStorage.getItem('relief.language')") == "es"
    page.wait_for_function("() => localStorage.getItem('relief.language-pending') === null")
    if SERVER_KNOWS_LANGUAGE:
        assert stored_language(patient) == "es"

    # A reload starts in Spanish, the check-in screen included.
    page.goto(live_server.url + "/#/")
    page.reload()
    page.wait_for_selector("form.checkin")
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_selector("h1:text('¿Cómo se siente hoy, Lucía?')")
    assert page.locator("legend").first.inner_text() == "Dolor"
    assert page.locator(".scale-anchors").first.inner_text().split("\n") == [
        "0 Ningún dolor",
        "10 El dolor más fuerte imaginable",
    ]
    page.wait_for_selector(".aftercare h2:text('Cuidados para hoy')")
    assert page.locator(".skip-link").inner_text() == "Ir al contenido"
    assert page.locator("nav").get_attribute("aria-label") == "Principal"

    # And back: English as it was.
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("h1:text('Ajustes')")
    choose_language(page, "English")
    page.wait_for_selector("h1:text('Settings')")
    assert page.evaluate("document.documentElement.lang") == "en"
    wait_until(lambda: sent[-1:] == [{"language": "en"}])
    assert csp_violations(page) == []


def test_a_language_chosen_offline_applies_at_once_and_reaches_the_server_later(
    live_server, page, context, patient
):
    sent = language_patches(page)
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector(".aftercare")
    wait_for_service_worker(page)
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("h1:text('Settings')")

    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    choose_language(page, "Español")
    page.wait_for_selector("h1:text('Ajustes')")
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_selector("[data-language-pending]")
    assert "cuando vuelva a tener conexión" in page.locator("[data-language-pending]").inner_text()
    assert page.locator("#sync-status").inner_text().startswith("Sin conexión")
    assert page.evaluate("localStorage.getItem('relief.language-pending')") == "1"

    # Still offline, a reload (from the service worker's cache) starts in Spanish. (Not
    # checked: that the server still has "en". Once in CI, on a loaded machine, it already
    # had "es" here: Chromium's offline emulation let a request through while the page was
    # offline. What the patient relies on is checked: applied at once, kept as pending,
    # sent and confirmed once online.)
    page.reload()
    page.wait_for_selector("h1:text('Ajustes')")
    assert page.evaluate("document.documentElement.lang") == "es"

    # Back online: the choice is sent, and the server's older "en" does not win.
    context.set_offline(False)
    wait_until(lambda: {"language": "es"} in sent)
    page.wait_for_function("() => localStorage.getItem('relief.language-pending') === null")
    if SERVER_KNOWS_LANGUAGE:
        assert stored_language(patient) == "es"
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    page.wait_for_selector("h1:text('Ajustes')")
    page.wait_for_timeout(500)  # the session is confirmed (profile read) meanwhile
    assert page.evaluate("document.documentElement.lang") == "es"


def test_the_sign_in_page_follows_the_browser_and_offers_a_switch(live_server, browser, patient):
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="es-ES")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.wait_for_selector("html[data-ready=true]")
        assert page.locator("h1").inner_text() == "Iniciar sesión en Relief"
        assert page.evaluate("document.documentElement.lang") == "es"
        assert page.locator("label").first.inner_text() == "Correo electrónico"
        assert page.title() == "Iniciar sesión en Relief · Relief"
        pressed = page.locator(".language-switch button[aria-pressed=true]")
        assert pressed.inner_text() == "Español"
        assert pressed.get_attribute("lang") == "es"

        page.click(".language-switch button[lang=en]")
        page.wait_for_selector("h1:text('Sign in to Relief')")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate("document.activeElement.getAttribute('lang')") == "en"
        # The invitation page says the same in the language chosen.
        page.click("a[href='#/accept']")
        page.wait_for_selector("h1:text('Join your clinic on Relief')")
        page.reload()
        page.wait_for_selector("h1:text('Join your clinic on Relief')")

        # Signed in, the language picked is kept, and becomes the account's.
        sent = language_patches(page)
        page.click("a[href='#/']")
        page.wait_for_selector("h1:text('Sign in to Relief')")
        page.fill("input[name=email]", patient.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("form.checkin")
        page.wait_for_selector("h1:text('How are you today, Lucía?')")
        wait_until(lambda: {"language": "en"} in sent)
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


def test_text_size_scales_the_page_and_reflows_in_spanish_at_320_px(live_server, page, patient):
    sign_in(page, live_server.url, patient.email, PASSWORD)
    root_size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    standard = page.evaluate(root_size)
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("h1:text('Settings')")
    page.locator('fieldset[data-field="text_size"] label', has_text="Largest").click()
    assert page.evaluate("document.documentElement.dataset.textSize") == "3"
    assert page.evaluate(root_size) == pytest.approx(standard * 1.375, abs=0.1)
    page.locator('fieldset[data-field="text_size"] label', has_text="Large").first.click()
    assert page.evaluate(root_size) == pytest.approx(standard * 1.1875, abs=0.1)
    page.locator('fieldset[data-field="text_size"] label', has_text="Largest").click()
    choose_language(page, "Español")
    page.wait_for_selector("h1:text('Ajustes')")

    # The narrowest phone, the largest text, the longer language: nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/#/")
    page.reload()
    page.wait_for_selector("form.checkin")
    page.wait_for_selector(".aftercare")
    assert page.evaluate("document.documentElement.dataset.textSize") == "3"
    assert page.evaluate(root_size) == pytest.approx(standard * 1.375, abs=0.1)
    wide = page.evaluate(
        """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"""
    )
    assert wide[0] <= wide[1], wide
    # Nothing sticks out of the screen either (content clipped rather than scrolled).
    outside = page.evaluate(
        """() => [...document.querySelectorAll('main *, header *, nav *')]
            .filter((el) => el.getClientRects().length && !el.closest('.visually-hidden'))
            .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5)
            .map((el) => el.tagName + '.' + el.className + ': ' + el.textContent.slice(0, 40))"""
    )
    assert outside == []
    shot(page, "es-320-largest-checkin")
    for path, heading in (("/#/settings", "Ajustes"), ("/#/my-data", "Mis datos")):
        page.goto(live_server.url + path)
        page.wait_for_selector(f"h1:text('{heading}')")
        wide = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide[0] <= wide[1], (path, wide)
        shot(page, f"es-320-largest-{heading}")


def test_an_account_made_from_a_spanish_browser_is_made_in_spanish(live_server, browser):
    from accounts.invitations import invitation_create

    physician = PhysicianFactory(email="dr.invita@example.org")
    issued = invitation_create(
        physician=physician, email="nueva@example.org", display_name="Nueva Paciente"
    )
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="es-US")
    try:
        page = context.new_page()
        accepted: list[dict[str, Any]] = []
        page.on(
            "request",
            lambda request: (
                accepted.append(json.loads(request.post_data or "{}"))
                if request.url.endswith("/api/v1/invitations/accept/")
                else None
            ),
        )
        page.goto(f"{live_server.url}/#/accept?code={issued.code}")
        page.wait_for_selector("h1:text('Únase a su clínica en Relief')")
        page.fill("input[name=password]", "una contraseña larga de varias palabras")
        page.click("form button[type=submit]")
        page.wait_for_selector("#sign-out:not([hidden])")
        page.wait_for_selector("form.checkin")
        assert accepted[0]["language"] == "es"
        assert page.locator("h1").inner_text() == "¿Cómo se siente hoy, Nueva?"
        assert page.locator("#sign-out").inner_text() == "Cerrar sesión"
        user = User.objects.get(email="nueva@example.org")
        if SERVER_KNOWS_LANGUAGE:
            assert stored_language(user) == "es"
    finally:
        context.close()


def test_a_physician_has_the_same_settings(live_server, page):
    physician = PhysicianFactory(email="dr.ajustes@example.org")
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("h1:text('Settings')")
    choose_language(page, "Español")
    page.wait_for_selector("h1:text('Ajustes')")
    assert page.locator("nav a").all_inner_texts() == [
        "Pacientes",
        "Consultorio",
        "Invitar",
        "Ajustes",
    ]
    assert page.locator("[data-section=profile] h2").inner_text() == "Su nombre y zona horaria"
    page.locator('fieldset[data-field="text_size"] label', has_text="Grande").first.click()
    assert page.evaluate("document.documentElement.dataset.textSize") == "2"
    page.reload()
    page.wait_for_selector("h1:text('Ajustes')")
    assert page.evaluate("document.documentElement.dataset.textSize") == "2"
    if SERVER_KNOWS_LANGUAGE:
        wait_until(lambda: stored_language(physician) == "es")
