"""The Practice page in real Chromium: "My patients / The practice" changes the numbers, the
switch works from the keyboard, and the outcomes export downloads the CSV; axe clean at a
desk (1280x800) and on a phone (360x640)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import check_a11y, csp_violations, sign_in
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)
from tests.interop.test_practice_outcomes import HEADER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINE = "1 visit judged: 100 % responded (≥ 30 %), 100 % substantially (≥ 50 %)."
PRACTICE = "2 visits judged: 50 % responded (≥ 30 %), 50 % substantially (≥ 50 %)."


@pytest.fixture
def two_physicians():  # type: ignore[no-untyped-def]
    """Dr. Mine's patient: baseline 10, days 3-4 pain 5 (50 %). The colleague's: baseline
    10, days 3-4 pain 8 (20 %). Both visits 30 days ago, so both are judged. A physician
    of another practice has a patient at 100 % who must count nowhere."""
    mine = PhysicianFactory(email="dr.mine@example.org", display_name="Dr. Mine")
    colleague = PhysicianFactory(email="dr.col@example.org", practice=mine.practice)
    stranger = PhysicianFactory(email="dr.far@example.org")
    start = local_morning(30)
    for n, (doctor, pain, name) in enumerate(
        [(mine, 5, "Ann Own"), (colleague, 8, "Cal Colleague"), (stranger, 0, "Far Away")]
    ):
        patient = PatientFactory(display_name=name)
        link(doctor, patient)
        visit_at = start + timedelta(hours=n)
        make_visit(doctor, patient, visit_at, baseline_pain=10)
        for day in (3, 4):
            make_entry(patient, visit_at + timedelta(days=day, hours=1), pain=pain)
    return mine


def _summary(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(".summary").inner_text()


@pytest.mark.parametrize("size", [(1280, 800), (360, 640)], ids=["desk", "phone"])
def test_scope_switch_changes_the_numbers_and_the_export_downloads(
    live_server, page, serve_axe, two_physicians, size
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server.url, two_physicians.email, PASSWORD)
    page.click("nav >> text=Practice")
    page.wait_for_selector("[data-chart=drawn] .main-svg", timeout=20000)
    assert _summary(page) == MINE
    # When the (kept) answer's data was read, as a time of day in the reader's locale.
    as_of = page.locator(".as-of").inner_text()
    assert re.fullmatch(
        r"Figures as of \d{1,2}:\d{2}( [AP]M)?\.",
        as_of,
    ), as_of
    assert page.locator("input[name=scope][value=mine]").is_checked()
    hint = page.locator("fieldset[data-field=scope] .hint").inner_text()
    assert "aggregates only" in hint
    check_a11y(page, f"practice-mine-{size[0]}")

    # The keyboard: focus the checked radio, an arrow key moves to "The practice".
    page.focus("input[name=scope][value=mine]")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "text => document.querySelector('.summary')?.textContent === text",
        arg=PRACTICE,
        timeout=20000,
    )
    assert page.locator("input[name=scope][value=practice]").is_checked()
    page.wait_for_selector("[data-chart=drawn] .main-svg", timeout=20000)
    check_a11y(page, f"practice-practice-{size[0]}")

    # Back with a click on the label: the physician's own numbers again.
    page.click("fieldset[data-field=scope] label >> text=My patients")
    page.wait_for_function(
        "text => document.querySelector('.summary')?.textContent === text", arg=MINE
    )

    with page.expect_download() as download:
        page.click("button[data-download=practice-outcomes]")
    file = download.value
    assert file.suggested_filename.startswith("relief-practice-outcomes-")
    text = Path(file.path()).read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == HEADER
    # The practice's two visits (the stranger's is not there), and no name.
    assert len(lines) == 1 + 2 + 1
    for name in ("Ann", "Cal", "Far", "Dr. Mine", "example.org"):
        assert name not in text
    page.wait_for_selector("text=is downloading")
    check_a11y(page, f"practice-downloaded-{size[0]}")
    assert csp_violations(page) == []
