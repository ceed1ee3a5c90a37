"""Acknowledging a flag in real Chromium (issue #17), at a desk (1280 x 800) and on a phone
(360 x 640): the physician acknowledges an open flag with a note; its state shows at once
and after a reload; the database holds the acknowledgement. A resolved flag says when and
why, with its first words folded away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recovery.models import FlagAcknowledgement
from tests.e2e.conftest import check_a11y, csp_violations, shot, sign_in, wait_until
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


@pytest.fixture
def bruised():  # type: ignore[no-untyped-def]
    """A visit 6 days ago (baseline 8). Large bruising on day 1, then none on days 2 and 3:
    resolved on day 3. Large bruising again on day 5: a new flag, open."""
    physician = PhysicianFactory(email="dr.ack@example.org", display_name="Dr. Ack")
    patient = PatientFactory(email="bea@example.org", display_name="Bea Bruise")
    link(physician, patient)
    visit_at = local_morning(6)  # 09:00 local: day + 30 min never crosses a midnight
    visit = make_visit(physician, patient, visit_at, baseline_pain=8)
    for day in range(0, 6):
        make_entry(
            patient,
            visit_at + timedelta(days=day, minutes=30),
            pain=3,
            soreness=1,
            bruising="large" if day in (1, 5) else "none",
        )
    return physician, patient, visit


@pytest.mark.parametrize("size", [(1280, 800), (360, 640)], ids=["desk", "phone"])
def test_physician_acknowledges_a_flag_with_a_note(live_server, page, serve_axe, bruised, size):  # type: ignore[no-untyped-def]
    physician, _patient, visit = bruised
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector(".patients, .patients-table")
    page.click("text=Bea Bruise")
    page.wait_for_selector("h1:text('Bea Bruise')")
    card = page.locator(f"article.visit[data-visit='{visit.pk}']")
    card.locator(".flag-history").wait_for()

    resolved = card.locator("[data-flag=large_bruise][data-state=resolved]")
    opened = card.locator("[data-flag=large_bruise][data-state=open]")
    assert resolved.count() == 1 and opened.count() == 1
    assert resolved.locator(".flag-resolution").inner_text().startswith("Resolved on ")
    assert "no large bruising on days 2 and 3" in resolved.locator(".flag-resolution").inner_text()
    assert not resolved.locator(".flag-was p").is_visible()  # folded away: history
    assert card.locator(".flags-heading").inner_text() == "Flags: 1 open"
    check_a11y(page, f"flags-{size[0]}")
    card.locator(".flag-history").scroll_into_view_if_needed()
    shot(page, f"flags-open-{size[0]}")

    opened.locator("textarea[name=note]").fill("Called: bruise fading, no pain.")
    opened.locator("button", has_text="Acknowledge").click()

    acked = card.locator("[data-flag=large_bruise][data-state=acknowledged]")
    acked.wait_for()
    assert acked.locator(".flag-ack").inner_text().startswith("Acknowledged by Dr. Ack, ")
    assert acked.locator(".flag-note").inner_text() == "Note: Called: bruise fading, no pain."
    assert acked.locator("button", has_text="Acknowledge").count() == 0
    assert card.locator(".flags-heading").inner_text() == "Flags: none open"
    wait_until(lambda: FlagAcknowledgement.objects.count() == 1)
    row = FlagAcknowledgement.objects.get()
    assert (row.visit_id, row.code, row.raised_day, row.physician_id, row.note) == (
        visit.pk,
        "large_bruise",
        5,
        physician.pk,
        "Called: bruise fading, no pain.",
    )
    card.locator(".flag-history").scroll_into_view_if_needed()
    shot(page, f"flag-acknowledged-{size[0]}")
    # No horizontal scrolling at this width.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    page.reload()
    card = page.locator(f"article.visit[data-visit='{visit.pk}']")
    card.locator(".flag-history").wait_for()
    acked = card.locator("[data-flag=large_bruise][data-state=acknowledged]")
    assert acked.count() == 1
    assert acked.locator(".flag-note").inner_text() == "Note: Called: bruise fading, no pain."
    assert card.locator("[data-flag=large_bruise][data-state=resolved]").count() == 1
    check_a11y(page, f"flags-acknowledged-{size[0]}")
    assert csp_violations(page) == []
