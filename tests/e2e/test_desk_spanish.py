"""A Spanish-speaking physician's desk (issue #18) in real Chromium: the patients table's
headers, a visit's flags and their acknowledgement in Spanish at a desk (1280 x 800), the
narrow list, the patient page, the practice view and the administrator's people without
horizontal scrolling at 320 px, and the patient invitation's language select defaulting to
the app's language and sent with the invitation.

The physician speaks Spanish: their account's `language` (which the app follows once
signed in) and the device's (localStorage `relief.language`, which start-up reads before
the profile), set before the first load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from accounts.models import Practice, Role
from recovery.models import FlagAcknowledgement
from tests.e2e.conftest import check_a11y, csp_violations, sign_in, wait_until
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    UserFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPANISH = "localStorage.setItem('relief.language', 'es');"


def spanish_page(browser: Any, serve_axe_for: Any, width: int, height: int) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        timezone_id="America/Chicago",
        locale="es-US",
    )
    context.add_init_script(SPANISH)
    serve_axe_for(context)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda msg: page.console_messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))
    yield page
    context.close()


@pytest.fixture
def desk(browser: Any, serve_axe_for: Any) -> Iterator[Any]:
    yield from spanish_page(browser, serve_axe_for, 1280, 800)


@pytest.fixture
def narrow(browser: Any, serve_axe_for: Any) -> Iterator[Any]:
    yield from spanish_page(browser, serve_axe_for, 320, 640)


@pytest.fixture
def bruised():  # type: ignore[no-untyped-def]
    """A visit 6 days ago (baseline 8) with a large bruise on day 5: one open flag; a
    second patient with no visit; a colleague who could join the care team."""
    physician = speaks_spanish(
        PhysicianFactory(email="dra.rios@example.org", display_name="Dra. Ríos")
    )
    # A colleague in the practice: the care team's "add a colleague" row is on the page.
    PhysicianFactory(
        email="dr.vega@example.org",
        display_name="Dr. Maximiliano Vega",
        practice=physician.practice,
    )
    patient = PatientFactory(email="bea@example.org", display_name="Beatriz Morales")
    other = PatientFactory(email="cy@example.org", display_name="Ciro Cano")
    link(physician, patient)
    link(physician, other)
    visit_at = local_morning(6)
    visit = make_visit(physician, patient, visit_at, baseline_pain=8)
    for day in range(0, 6):
        make_entry(
            patient,
            visit_at + timedelta(days=day, minutes=30),
            pain=3,
            soreness=1,
            bruising="large" if day == 5 else "none",
        )
    return physician, patient, visit


def speaks_spanish(user: Any) -> Any:
    """`user` with Spanish as their account's language (#18's User.language: on a branch
    without it, the device's language set by `spanish_page` stands alone)."""
    if any(field.name == "language" for field in user._meta.get_fields()):
        user.language = "es"
        user.save(update_fields=["language"])
    return user


def no_horizontal_scroll(page: Any) -> bool:
    """No scrolling sideways, and nothing visible cut off at the window's right edge (a box
    whose overflow is clipped would hide it from scrollWidth)."""
    return bool(
        page.evaluate(
            """() => document.documentElement.scrollWidth <= window.innerWidth
              && [...document.querySelectorAll("main *")].every((el) => {
                const box = el.getBoundingClientRect();
                return box.width === 0 || el.closest(".visually-hidden, .chart-plot, [hidden]")
                  || box.right <= window.innerWidth + 1;
              })"""
        )
    )


def test_desk_table_and_flag_acknowledgement_in_spanish(live_server, desk, bruised):  # type: ignore[no-untyped-def]
    page = desk
    physician, _patient, visit = bruised
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector("table.patients-table tbody tr")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.locator("h1").inner_text() == "Pacientes"
    headers = page.locator("table.patients-table thead th").all_inner_texts()
    assert [h.strip() for h in headers] == [
        "Nombre",
        "Días desde la visita",
        "Último registro",
        "Alivio más reciente",
        "Estado de respondedor",
        "Alertas abiertas",
    ]
    assert page.locator("label", has_text="Buscar por nombre").count() == 1
    assert page.locator("label", has_text="Solo alertas abiertas").count() == 1
    assert (
        page.locator(".desk [role=status]")
        .inner_text()
        .startswith("2 pacientes, primero quienes necesitan atención")
    )
    # Ciro has no visit: no flag, no check-in.
    ciro = page.locator("tr", has_text="Ciro Cano")
    assert ciro.locator("td[data-column=open_flags]").inner_text() == "Ninguna"
    assert ciro.locator("td[data-column=last_checkin]").inner_text() == "Aún sin registros"
    assert no_horizontal_scroll(page)
    check_a11y(page, "desk-es")
    # The longer Spanish headers still fit the narrowest desk width.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_selector("table.patients-table")
    assert no_horizontal_scroll(page)
    table = page.locator("table.patients-table").bounding_box()
    assert table is not None and table["x"] + table["width"] <= 1024
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_selector("table.patients-table")

    page.click("text=Beatriz Morales")
    page.wait_for_selector("h1:text('Beatriz Morales')")
    card = page.locator(f"article.visit[data-visit='{visit.pk}']")
    card.locator(".flag-history").wait_for()
    assert card.locator(".flags-heading").inner_text() == "Alertas: 1 abierta"
    opened = card.locator("[data-flag=large_bruise][data-state=open]")
    assert opened.locator("label").inner_text() == (
        "Nota (opcional; el paciente puede leerla en su expediente)"
    )
    assert page.get_by_role("heading", name="Equipo de atención").count() == 1
    assert page.get_by_role("heading", name="Registrar una visita").count() == 1
    assert page.get_by_role("button", name="Enviar recordatorio").count() == 1
    assert no_horizontal_scroll(page)

    opened.locator("textarea[name=note]").fill("Llamé: el moretón está desapareciendo.")
    opened.get_by_role("button", name="Marcar como revisada").click()
    acked = card.locator("[data-flag=large_bruise][data-state=acknowledged]")
    acked.wait_for()
    assert acked.locator(".flag-ack").inner_text().startswith("Revisada por Dra. Ríos, ")
    assert acked.locator(".flag-note").inner_text() == (
        "Nota: Llamé: el moretón está desapareciendo."
    )
    assert card.locator(".flags-heading").inner_text() == "Alertas: ninguna abierta"
    wait_until(lambda: FlagAcknowledgement.objects.count() == 1)
    assert FlagAcknowledgement.objects.get().note == "Llamé: el moretón está desapareciendo."
    # axe judges what is on screen: the page from its top, not half under the header.
    page.evaluate("() => window.scrollTo(0, 0)")
    check_a11y(page, "patient-es")
    page.set_viewport_size({"width": 1024, "height": 768})
    card.locator(".flag-history").wait_for()
    assert no_horizontal_scroll(page)
    assert csp_violations(page) == []


def test_narrow_list_patient_page_invitation_and_practice_in_spanish(live_server, narrow, bruised):  # type: ignore[no-untyped-def]
    page = narrow
    physician, patient, visit = bruised
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patients")
    assert page.locator("h1").inner_text() == "Pacientes"
    flags = page.locator(f'[data-patient="{patient.pk}"] ul.flags')
    assert flags.get_attribute("aria-label") == "1 alerta abierta"
    assert no_horizontal_scroll(page)

    page.click("text=Beatriz Morales")
    page.wait_for_selector("h1:text('Beatriz Morales')")
    page.locator(f"article.visit[data-visit='{visit.pk}'] .flag-history").wait_for()
    page.get_by_role("heading", name="Registros diarios").wait_for()
    page.get_by_label("Añadir a un colega").wait_for()
    assert no_horizontal_scroll(page)

    page.goto(f"{live_server.url}/#/invite")
    page.get_by_role("heading", name="Invitar a un paciente").wait_for()
    language = page.get_by_label("Idioma del paciente")
    assert language.input_value() == "es"  # the app's language, unless changed
    assert language.locator("option").all_inner_texts() == ["English", "Español"]
    assert no_horizontal_scroll(page)
    page.get_by_label("Nombre del paciente").fill("Diego Díaz")
    page.get_by_label("Correo electrónico del paciente").fill("diego@example.org")
    with page.expect_request(
        lambda r: r.url.endswith("/api/v1/invitations/") and r.method == "POST"
    ) as sent:
        page.get_by_role("button", name="Crear invitación").click()
    body = json.loads(sent.value.post_data or "{}")
    assert body == {"display_name": "Diego Díaz", "email": "diego@example.org", "language": "es"}

    page.goto(f"{live_server.url}/#/practice")
    page.get_by_role("heading", name="Consultorio").wait_for()
    page.wait_for_selector(".chart[data-chart=drawn], .chart[data-chart=failed], .error")
    assert page.locator("legend").first.inner_text() == "Pacientes incluidos"
    assert page.get_by_role("button", name="Descargar resultados (CSV)").count() == 1
    assert no_horizontal_scroll(page)
    check_a11y(page, "practice-es")


def test_people_in_spanish_at_320(live_server, narrow):  # type: ignore[no-untyped-def]
    """The administrator's people (roles, the invitation of a physician) in Spanish at
    320 px, without horizontal scrolling."""
    page = narrow
    practice = Practice.objects.create(name="Clínica Norte")
    admin = speaks_spanish(UserFactory(
        email="ana@norte.example", display_name="Ana Admin",
        role=Role.PRACTICE_ADMIN, practice=practice,
    ))  # fmt: skip
    sign_in(page, live_server.url, admin.email, PASSWORD)
    page.wait_for_selector("h1:text('Clínica Norte')")
    assert page.locator("[data-member]").all_inner_texts() == [
        "Ana Admin · Administrador del consultorio · ana@norte.example"
    ]
    assert page.get_by_role("heading", name="Invitar a un médico o a personal").count() == 1
    assert page.locator("select[name=role] option").all_inner_texts() == [
        "Médico",
        "Personal",
        "Administrador del consultorio",
    ]
    assert page.locator("[data-practice-invite] select[name=language]").count() == 0
    assert no_horizontal_scroll(page)
    form = page.locator("[data-practice-invite]")
    form.get_by_label("Nombre").fill("Dra. Nueva")
    form.get_by_label("Correo electrónico").fill("dra.nueva@example.org")
    form.locator("select[name=role]").select_option("physician")
    form.get_by_role("button", name="Crear invitación").click()
    page.wait_for_selector("[data-code]")
    assert page.locator(".invitation p").first.inner_text() == (
        "Invitación para Dra. Nueva (dra.nueva@example.org) como médico."
    )
    assert page.get_by_role("button", name="Copiar código").count() == 1
    assert (
        page.locator("[data-open-invitations] li")
        .inner_text()
        .startswith("Dra. Nueva (dra.nueva@example.org) · Médico · hasta el ")
    )
    assert no_horizontal_scroll(page)
