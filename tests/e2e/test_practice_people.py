"""A practice's people and a patient's care team in real Chromium, on a desk (1280x800) and
on a phone (360x640): the administrator invites a physician, who joins with "I have an
invitation code"; a physician adds a colleague to a patient's care team, the colleague
then sees the patient, and the patient sees the change in the app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import CareLink, Invitation, Practice, Role, User
from tests.e2e.conftest import check_a11y, csp_violations, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, UserFactory, link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "tangerine-lantern-orbit-42"
VIEWPORTS = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 640}}


@pytest.fixture(params=list(VIEWPORTS))
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        viewport=VIEWPORTS[request.param], timezone_id="Europe/Berlin", locale="en-GB"
    )
    yield context
    context.close()


def _sign_out(page: Any) -> None:
    page.click("#sign-out")
    page.wait_for_selector("input[name=email]")


def test_the_admin_invites_a_physician_who_joins_with_the_code(
    live_server: Any, page: Any, serve_axe: None
) -> None:
    practice = Practice.objects.create(name="Northside Pain Clinic")
    admin = UserFactory(
        email="ada@northside.example", display_name="Ada Admin",
        role=Role.PRACTICE_ADMIN, practice=practice,
    )  # fmt: skip
    sign_in(page, live_server.url, admin.email, PASSWORD)
    page.wait_for_selector("h1:text('Northside Pain Clinic')")
    assert page.locator("#nav a").all_inner_texts() == ["Practice", "Settings"]
    assert page.locator("[data-member]").all_inner_texts() == [
        "Ada Admin · Practice administrator · ada@northside.example"
    ]
    check_a11y(page, "practice-people")

    form = page.locator("[data-practice-invite]")
    form.locator("input[name=display_name]").fill("Dr. New")
    form.locator("input[name=email]").fill("dr.new@example.org")
    form.locator("select[name=role]").select_option("physician")
    form.locator("button[type=submit]").click()
    code = page.wait_for_selector("[data-code]").inner_text()
    assert page.locator(".invitation p").first.inner_text() == (
        "Invitation for Dr. New (dr.new@example.org) as physician."
    )
    page.wait_for_selector("[data-open-invitations] li")
    assert (
        "Dr. New (dr.new@example.org) · Physician"
        in page.locator("[data-open-invitations]").inner_text()
    )
    check_a11y(page, "practice-invited")
    invitation = Invitation.objects.get(email="dr.new@example.org")
    assert (invitation.role, invitation.practice_id) == ("physician", practice.pk)

    _sign_out(page)
    page.click("text=I have an invitation code")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button:text('Create my account')")
    page.wait_for_selector("#sign-out:not([hidden])")
    page.wait_for_selector(".patients, h1")
    assert page.locator("#nav a").first.inner_text() == "Patients"
    doctor = User.objects.get(email="dr.new@example.org")
    assert (doctor.role, doctor.practice_id) == ("physician", practice.pk)

    _sign_out(page)
    sign_in(page, live_server.url, "dr.new@example.org", NEW_PASSWORD)
    assert page.locator("#nav a").first.inner_text() == "Patients"
    assert csp_violations(page) == []


def test_a_physician_adds_a_colleague_who_then_sees_the_patient(
    live_server: Any, page: Any, serve_axe: None
) -> None:
    hope = PhysicianFactory(email="dr.hope@example.org", display_name="Dr. Hope")
    cover = PhysicianFactory(
        email="dr.cover@example.org", display_name="Dr. Cover", practice=hope.practice
    )
    PhysicianFactory(display_name="Dr. Elsewhere")  # another practice: never offered
    patient = PatientFactory(email="pat@example.org", display_name="Pat Patient")
    link(hope, patient)

    sign_in(page, live_server.url, cover.email, PASSWORD)
    page.wait_for_selector(".patients, .empty, h1")
    assert page.locator("text=Pat Patient").count() == 0
    _sign_out(page)

    sign_in(page, live_server.url, hope.email, PASSWORD)
    page.click("text=Pat Patient")
    box = page.wait_for_selector("[data-care-team-box]")
    page.wait_for_selector("[data-care-team] li")
    assert page.locator("[data-care-team] li").all_inner_texts() == ["Dr. Hope (you)"]
    options = page.locator(".care-team-add select option").all_inner_texts()
    assert options == ["Dr. Cover"]
    check_a11y(page, "care-team")
    page.click("button:text('Add to care team')")
    page.wait_for_selector(f"[data-care-team] li[data-physician='{cover.pk}']")
    assert "Dr. Cover is on the care team." in box.inner_text()
    assert page.locator(".care-team-add").is_hidden()  # no colleague left to add
    check_a11y(page, "care-team-added")
    assert CareLink.objects.filter(physician=cover, patient=patient).exists()
    _sign_out(page)

    sign_in(page, live_server.url, cover.email, PASSWORD)
    page.click("text=Pat Patient")
    page.wait_for_selector("h1:text('Pat Patient')")
    _sign_out(page)

    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.goto(live_server.url + "/#/settings")
    page.wait_for_selector("[data-my-care-team]")
    assert page.locator("[data-my-care-team] li").all_inner_texts() == ["Dr. Cover", "Dr. Hope"]
    check_a11y(page, "your-care-team")
    page.goto(live_server.url + "/#/my-data")
    page.wait_for_selector("text=Dr. Hope added a physician to your care team")
    assert csp_violations(page) == []
