"""My data, as a patient's phone shows it: who saw their record (in words, refusals as
such, a page at a time), their check-ins and record as files (saved, or handed to the
phone's share sheet), and the printable report of each of their visits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from recovery.selectors import patient_today
from tests.e2e.conftest import check_a11y, csp_violations, shot, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, link, make_entry, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    """Pat, treated by Dr. Okafor (two visits, two check-ins); Dr. Other and Olive, who
    belong to another practice."""
    physician = PhysicianFactory(email="dr.okafor@example.org", display_name="Dr. Okafor")
    patient = PatientFactory(email="pat.mydata@example.org", display_name="Pat Mydata")
    other_physician = PhysicianFactory(email="dr.other@example.org", display_name="Dr. Other")
    other_patient = PatientFactory(email="olive@example.org", display_name="Olive Other")
    link(physician, patient)
    link(other_physician, other_patient)
    now = timezone.now()
    earlier = make_visit(physician, patient, now - timedelta(days=30), baseline_pain=8)
    latest = make_visit(physician, patient, now - timedelta(days=3), baseline_pain=7)
    make_entry(patient, now - timedelta(days=2), pain=5, notes='=SUM(A1) "quoted", ok')
    make_entry(patient, now - timedelta(days=1), pain=3)
    theirs = make_visit(other_physician, other_patient, now - timedelta(days=5))
    return {
        "physician": physician,
        "patient": patient,
        "other_physician": other_physician,
        "other_patient": other_patient,
        "earlier": earlier,
        "latest": latest,
        "theirs": theirs,
    }


def client(user: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def open_my_data(page: Any, base: str, patient: User) -> None:
    sign_in(page, base, patient.email, PASSWORD)
    page.click("nav >> text=My data")
    page.wait_for_selector("h1:text('My data')")
    page.wait_for_selector("[data-audit]")


def audit_lines(page: Any) -> list[str]:
    return page.locator("[data-audit] > li [data-line]").all_inner_texts()


def audit_times(page: Any) -> list[str]:
    return [t.get_attribute("datetime") for t in page.locator("[data-audit] > li time").all()]


def formatted(page: Any, at: datetime, zone: str) -> str:
    """The app's own formatting of a moment (dates.js), whatever locale it uses."""
    return page.evaluate(
        "async ([at, zone]) => (await import('/dates.js')).formatDateTime(at, zone)",
        [at.isoformat(), zone],
    )


def test_who_saw_my_data_in_words_with_refusals_shown_as_such(live_server, page, serve_axe, cast):
    patient = cast["patient"]
    # The physician reads Pat's check-ins; Olive and Dr. Other try and are refused.
    assert (
        client(cast["physician"]).get(f"/api/v1/entries/?patient={patient.pk}").status_code == 200
    )
    assert (
        client(cast["other_patient"]).get(f"/api/v1/patients/{patient.pk}/entries.csv").status_code
        == 404
    )
    assert client(cast["other_physician"]).get(f"/api/v1/patients/{patient.pk}/").status_code == 404

    open_my_data(page, live_server.url, patient)

    assert audit_lines(page) == [
        "Dr. Other was refused access to your details",
        "Another patient was refused access to your check-ins",
        "Dr. Okafor viewed your check-ins",
        "Dr. Okafor recorded a visit",
        "Dr. Okafor recorded a visit",
    ]
    rows = list(
        AuditEvent.objects.filter(patient=patient).exclude(actor=patient).order_by("-at", "-id")
    )
    items = page.locator("[data-audit] > li")
    for index, row in enumerate(rows):
        item = items.nth(index)
        time = item.locator("time")
        assert datetime.fromisoformat(time.get_attribute("datetime")) == row.at
        when = formatted(page, row.at, patient.timezone)
        assert item.inner_text() == f"{audit_lines(page)[index]} · {when}"
        assert item.get_attribute("data-outcome") == row.outcome
    assert [items.nth(i).get_attribute("class") for i in range(2)] == ["entry refused"] * 2
    # Olive's name is nowhere on Pat's screen.
    assert "Olive" not in page.locator("main").inner_text()
    check_a11y(page, "my-data")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # What Pat did, on request: the check-ins, and opening this screen (the visits list).
    page.click("text=Also show what I did myself")
    # (Pat's newest own rows depend on what the app read in the background meanwhile, so
    # the wait is for the row of this screen's visit list, wherever it is.)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-audit] [data-line]')]"
        ".some((line) => line.textContent === 'You viewed your visits')"
    )
    assert audit_lines(page)[-7:] == [
        "Dr. Other was refused access to your details",
        "Another patient was refused access to your check-ins",
        "Dr. Okafor viewed your check-ins",
        "You added a check-in",
        "You added a check-in",
        "Dr. Okafor recorded a visit",
        "Dr. Okafor recorded a visit",
    ]
    assert csp_violations(page) == []


def _reads(patient: User, physician: User, start: datetime, count: int) -> list[datetime]:
    moments = [start + timedelta(minutes=m) for m in range(count)]
    for at in moments:
        AuditEvent.objects.create(
            at=at, actor=physician, actor_role="physician", action="read", resource="entry",
            object_id="", patient=patient, outcome="allowed",
        )  # fmt: skip
    return moments


def test_load_more_pages_through_the_list_without_repeating_a_row(
    live_server, page, serve_axe, cast
):
    patient, physician = cast["patient"], cast["physician"]
    start = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    _reads(patient, physician, start, 45)
    others = list(
        AuditEvent.objects.filter(patient=patient).exclude(actor=patient).order_by("-at", "-id")
    )
    assert len(others) == 47  # and the two visits

    open_my_data(page, live_server.url, patient)
    assert len(audit_lines(page)) == 20
    # Meanwhile Dr. Okafor reads Pat's check-ins again: a row at the top, after the first page.
    client(physician).get(f"/api/v1/entries/?patient={patient.pk}")

    more = page.get_by_role("button", name="Load more")
    more.click()
    page.wait_for_function("() => document.querySelectorAll('[data-audit] > li').length === 40")
    # Focus goes to the first new row, where reading carries on.
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('[data-audit] > li')].indexOf(document.activeElement)"
        )
        == 20
    )
    check_a11y(page, "my-data-more")
    more.click()
    page.wait_for_function("() => document.querySelectorAll('[data-audit] > li').length === 47")
    assert more.is_hidden()

    shown = [datetime.fromisoformat(t) for t in audit_times(page)]
    assert shown == [row.at for row in others]
    # The new row waits for the next visit to the screen.
    page.reload()
    page.wait_for_selector("[data-audit] > li")
    assert audit_lines(page)[0] == "Dr. Okafor viewed your check-ins"
    assert datetime.fromisoformat(audit_times(page)[0]) > others[0].at
    assert csp_violations(page) == []


def _server_csv(patient: User) -> bytes:
    response = client(patient).get(f"/api/v1/patients/{patient.pk}/entries.csv")
    return b"".join(response.streaming_content)


def _server_fhir(patient: User) -> dict[str, Any]:
    response = client(patient).get(f"/api/v1/patients/{patient.pk}/fhir/")
    return _comparable(json.loads(b"".join(response.streaming_content)))


def _comparable(bundle: dict[str, Any]) -> dict[str, Any]:
    # The bundle's own id and the moment it was made differ between two exports.
    return {k: v for k, v in bundle.items() if k not in {"id", "timestamp", "meta"}}


def test_downloads_save_the_servers_own_files(live_server, page, serve_axe, cast):
    patient = cast["patient"]
    open_my_data(page, live_server.url, patient)

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download my check-ins (CSV)").click()
    csv_file = csv_download.value
    assert csv_file.suggested_filename == f"relief-checkins-{patient_today(patient)}.csv"
    body = Path(csv_file.path()).read_bytes()
    assert body == _server_csv(patient)
    assert body.startswith(b"\xef\xbb\xbfentry_id,")
    assert b"'=SUM(A1)" in body
    page.wait_for_selector("text=is downloading")

    with page.expect_download() as fhir_download:
        page.get_by_role("button", name="Download my record (FHIR)").click()
    fhir_file = fhir_download.value
    assert fhir_file.suggested_filename == f"relief-record-{patient_today(patient)}.fhir.json"
    bundle = json.loads(Path(fhir_file.path()).read_bytes())
    assert bundle["resourceType"] == "Bundle"
    assert _comparable(bundle) == _server_fhir(patient)

    # Each download is an audited read of Pat's, the app's and the test's own alike.
    assert (
        list(
            AuditEvent.objects.filter(actor=patient, resource__startswith="export_")
            .order_by("id")
            .values_list("resource", "patient", "outcome")
        )
        == [("export_csv", patient.pk, "allowed")] * 2
        + [("export_fhir", patient.pk, "allowed")] * 2
    )
    check_a11y(page, "my-data-downloaded")
    assert csp_violations(page) == []


# A phone's share sheet: Chromium on Linux has none, so the page gets one that keeps what it
# is handed. Like Chrome on Android, it takes CSV files but not JSON ones.
SHARE_SHEET = """
window.__shared = [];
Object.defineProperty(navigator, "canShare", {
  configurable: true,
  value: (data) => Array.isArray(data?.files) && data.files.every((f) => f.type === "text/csv"),
});
Object.defineProperty(navigator, "share", {
  configurable: true,
  value: async (data) => {
    for (const f of data.files) {
      const bytes = Array.from(new Uint8Array(await f.arrayBuffer()));
      window.__shared.push({ name: f.name, type: f.type, title: data.title, bytes });
    }
  },
});
"""


def test_on_a_phone_the_file_goes_to_the_share_sheet_when_it_takes_it(live_server, browser, cast):
    patient = cast["patient"]
    phone = browser.new_context(
        viewport={"width": 360, "height": 640},
        timezone_id="Europe/Berlin",
        locale="en-GB",
        has_touch=True,
        is_mobile=True,
    )
    try:
        phone.add_init_script(SHARE_SHEET)
        page = phone.new_page()
        open_my_data(page, live_server.url, patient)
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")

        page.get_by_role("button", name="Download my check-ins (CSV)").click()
        page.wait_for_function("() => window.__shared.length === 1")
        [shared] = page.evaluate("window.__shared")
        name = f"relief-checkins-{patient_today(patient)}.csv"
        assert (shared["name"], shared["type"], shared["title"]) == (name, "text/csv", name)
        assert bytes(shared["bytes"]) == _server_csv(patient)
        page.wait_for_selector(f"text={name} was shared.")

        # The sheet does not take a FHIR (JSON) file: it is saved instead.
        with page.expect_download() as fhir_download:
            page.get_by_role("button", name="Download my record (FHIR)").click()
        bundle = json.loads(Path(fhir_download.value.path()).read_bytes())
        assert _comparable(bundle) == _server_fhir(patient)
        assert page.evaluate("window.__shared.length") == 1
        shot(page, "my-data-shared")
    finally:
        phone.close()


def is_report_page(response: Any) -> bool:
    return "/reports/visits/" in response.url and response.request.resource_type == "document"


def test_print_report_opens_the_report_of_my_own_visit(live_server, page, context, serve_axe, cast):
    patient, latest, earlier = cast["patient"], cast["latest"], cast["earlier"]
    open_my_data(page, live_server.url, patient)
    visits = page.locator(".visit-report-list > li[data-visit]")
    assert [visits.nth(i).get_attribute("data-visit") for i in range(visits.count())] == [
        str(latest.pk),
        str(earlier.pk),
    ]

    item = page.locator(f'li[data-visit="{earlier.pk}"]')
    with (
        context.expect_event("response", is_report_page) as report_info,
        context.expect_page() as new_page_info,
    ):
        item.get_by_role("button", name="Print report").click()
    report = new_page_info.value
    assert report_info.value.status == 200
    assert report_info.value.frame.page == report
    assert f"/reports/visits/{earlier.pk}/?token=" in report_info.value.url
    report.wait_for_load_state("load")
    assert report.locator("h1").inner_text() == "Pat Mydata"
    report.wait_for_function("() => !location.search.includes('token')")
    report.close()

    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.action, row.patient, row.object_id, row.outcome) == (
        patient, "read", patient, str(earlier.pk), "allowed"
    )  # fmt: skip
    # On the list, with the visit's date.
    page.click("text=Also show what I did myself")
    date = page.evaluate(
        "async (d) => (await import('/dates.js')).formatDate(d)", earlier.local_date.isoformat()
    )
    page.wait_for_function(
        "text => [...document.querySelectorAll('[data-audit] [data-line]')]"
        ".some((el) => el.textContent === text)",
        arg=f"You opened the report of your visit of {date}",
    )
    # Another patient's visit has no report for Pat: the API says 404 and the link is refused.
    status = page.evaluate(
        """async (id) => {
            const api = await import('/api.js');
            const r = await api.request(`/api/v1/visits/${id}/report-link/`, {method: 'POST', body: {}});
            return r.status;
        }""",
        str(cast["theirs"].pk),
    )
    assert status == 404
    assert csp_violations(page) == []
