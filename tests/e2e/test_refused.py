"""Check-ins the server refuses: the patient sees why, corrects one and sends it again, and
discards another. Made real with a phone clock set two hours ahead (the server refuses a
check-in more than 10 minutes in the future)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diary.models import Entry
from tests.e2e.conftest import check_a11y, choose, outbox_ids, sign_in, wait_until
from tests.factories import PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FUTURE = "Its time is later than now: this phone's clock may be set wrong."


def submit_check_in(page, pain: int, notes: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form.checkin").last
    choose(page, "pain", pain)
    choose(page, "soreness", 1)
    form.locator("textarea[name=notes]").fill(notes)
    form.locator("button[type=submit]").click()


def test_patient_corrects_one_refused_check_in_and_discards_another(live_server, page, serve_axe):
    patient = PatientFactory(email="clock@example.org", display_name="Cleo Clock")
    page.clock.install(time=datetime.now(UTC))
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector(".aftercare")

    # The phone's clock is two hours fast: both check-ins are refused.
    page.clock.set_system_time(datetime.now(UTC) + timedelta(hours=2))
    submit_check_in(page, pain=4, notes="first, clock wrong")
    page.wait_for_selector(".refused li[data-refused]")
    page.wait_for_selector("[data-saved].error")
    assert "did not accept this check-in" in page.locator("[data-saved]").inner_text()
    submit_check_in(page, pain=7, notes="second, clock wrong")
    page.wait_for_function("() => document.querySelectorAll('li[data-refused]').length === 2")
    card = page.locator("section.refused")
    assert "Not accepted by the clinic" in card.inner_text()
    assert card.inner_text().count(FUTURE) == 2
    status = page.locator("#sync-status")
    page.wait_for_function("() => document.getElementById('sync-status').dataset.refused == 2")
    assert "2 not accepted" in status.inner_text()
    assert not Entry.objects.exists()
    check_a11y(page, "refused-check-ins")

    # The clock is put right; the first is corrected (pain 4 -> 6) and sent again.
    page.clock.set_system_time(datetime.now(UTC))
    first_id = (
        page.locator("li[data-refused]")
        .filter(has_text="first, clock wrong")
        .get_attribute("data-refused")
    )
    first = page.locator(f'[data-refused="{first_id}"]')
    first.get_by_role("button", name="Correct and send again").click()
    edit = first.locator("form.checkin")
    assert "sent with the current time" in first.inner_text()
    assert edit.locator('fieldset[data-field="pain"] input:checked').get_attribute("value") == "4"
    edit.locator('fieldset[data-field="pain"] label').nth(6).click()
    check_a11y(page, "refused-check-in-edit")
    edit.locator("button[type=submit]").click()
    page.wait_for_function("() => document.querySelectorAll('li[data-refused]').length === 1")
    wait_until(lambda: Entry.objects.count() == 1)
    sent = Entry.objects.get()
    assert (sent.pain, sent.notes) == (6, "first, clock wrong")

    # The second is discarded, after a confirmation.
    second = page.locator("li[data-refused]").filter(has_text="second, clock wrong")
    second.get_by_role("button", name="Discard").click()
    dialog = page.locator("dialog[open]")
    assert "will be deleted from this phone" in dialog.inner_text()
    dialog.get_by_role("button", name="Discard it").click()
    page.wait_for_selector("section.refused", state="detached")
    assert outbox_ids(page) == []
    page.wait_for_function("() => document.getElementById('sync-status').dataset.waiting == 0")
    assert "All synced" in status.inner_text()
    assert Entry.objects.count() == 1
