"""Every number a request carries is bounded: too long or too large is a 400 naming it.

Python refuses int() of more than 4,300 digits, so `page=999…` was a 500; orjson refuses a
JSON number beyond a double with one error for the whole body; and a version past the
PostgreSQL column's 2**31 - 1 reached the database. Each input is tried here at 4,301 digits
and just past its bound, and the database is checked to be untouched.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from core.api import INT_MAX, INT_PATTERN, is_positive_int
from core.parsers import TOO_LARGE, loads
from diary.models import Entry
from tests.factories import link, make_entry
from treatments.models import Visit

pytestmark = pytest.mark.django_db

HUGE = "9" * 4301
ENTRY = {"felt_at": "2026-01-10T12:00:00Z", "pain": 3, "soreness": 2}


def _range_message(field: str) -> dict:
    message = f"Must be a whole number from 1 to {INT_MAX}."
    return {
        "code": "validation_error",
        "detail": f"Invalid input: {field}.",
        "fields": {field: [message]},
    }


IF_MATCH_REFUSED = {
    "code": "validation_error",
    "detail": "Invalid input: version.",
    "fields": {"version": [f"If-Match must be a version number from 1 to {INT_MAX}."]},
}


@pytest.fixture
def entry(patient: User) -> Entry:
    return make_entry(patient, datetime(2026, 1, 10, 12, tzinfo=UTC), pain=3, soreness=2)


def _unchanged(entry: Entry) -> None:
    entry.refresh_from_db()
    assert (entry.version, entry.pain, entry.deleted_at) == (1, 3, None)
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("value", [HUGE, "0" * 4300 + "1" * 11, str(INT_MAX + 1), "0", "-1"])
@pytest.mark.parametrize(
    ("role", "path", "field"),
    [
        ("patient", "/api/v1/entries/?page={}", "page"),
        ("patient", "/api/v1/entries/?page_size={}", "page_size"),
        ("physician", "/api/v1/visits/?page={}", "page"),
        ("physician", "/api/v1/visits/?page_size={}", "page_size"),
        ("patient", "/api/v1/audit/?page={}", "page"),
        ("patient", "/api/v1/audit/?page_size={}", "page_size"),
    ],
)
def test_page_numbers_out_of_range_are_a_400_naming_them(
    patient, physician, client_for, value, role, path, field
):
    client = client_for(patient if role == "patient" else physician)
    response = client.get(path.format(value))
    assert (response.status_code, response.json()) == (400, _range_message(field))
    assert not AuditEvent.objects.filter(action="list").exists()


@pytest.mark.parametrize("field", ["page", "page_size"])
def test_the_patient_list_refuses_long_page_numbers_naming_them(
    physician: User, physician_client: APIClient, field: str
):
    response = physician_client.get(f"/api/v1/patients/?{field}={HUGE}")
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"Invalid input: {field}.",
        "fields": {field: ["String value too large."]},
    }
    too_large = physician_client.get(f"/api/v1/patients/?{field}={INT_MAX + 1}")
    assert too_large.status_code == 400
    assert too_large.json()["fields"] == {
        field: [f"Ensure this value is less than or equal to {INT_MAX}."]
    }


def test_the_largest_page_is_taken_and_past_the_end_is_a_404_naming_page(
    patient: User, patient_client: APIClient, entry: Entry
):
    response = patient_client.get(f"/api/v1/entries/?page={INT_MAX}&page_size={INT_MAX}")
    assert response.status_code == 404
    assert response.json() == {
        "code": "no_such_page",
        "detail": "There is no such page.",
        "fields": {"page": ["There is no such page."]},
    }
    first = patient_client.get(f"/api/v1/entries/?page=1&page_size={INT_MAX}")
    assert first.status_code == 200
    assert [row["id"] for row in first.json()["results"]] == [str(entry.pk)]


@pytest.mark.parametrize("value", [HUGE, str(INT_MAX + 1), "0"])
def test_a_delete_version_out_of_range_is_a_400(
    patient_client: APIClient, entry: Entry, value: str
):
    response = patient_client.delete(f"/api/v1/entries/{entry.pk}/?version={value}")
    assert (response.status_code, response.json()) == (400, _range_message("version"))
    _unchanged(entry)


@pytest.mark.parametrize(
    "header",
    [f'"{HUGE}"', f'W/"{HUGE}"', HUGE, f'"{INT_MAX + 1}"', '"0"', '"01"', "", '"3', "*"],
)
@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
def test_if_match_out_of_range_or_malformed_is_a_400_naming_version(
    patient_client: APIClient, entry: Entry, method: str, header: str
):
    target = "/api/v1/entries/" if method == "post" else f"/api/v1/entries/{entry.pk}/"
    data = {"post": {**ENTRY, "id": str(entry.pk)}, "put": ENTRY, "patch": {"pain": 5}}
    args = (data[method],) if method in data else ()
    kwargs = {"format": "json"} if args else {}
    response = getattr(patient_client, method)(target, *args, HTTP_IF_MATCH=header, **kwargs)
    assert (response.status_code, response.json()) == (400, IF_MATCH_REFUSED)
    _unchanged(entry)


@pytest.mark.parametrize("header", [f'"{INT_MAX}"', f'W/"{INT_MAX}"', str(INT_MAX)])
def test_the_largest_if_match_is_taken_and_answered_as_stale(
    patient_client: APIClient, entry: Entry, header: str
):
    response = patient_client.patch(
        f"/api/v1/entries/{entry.pk}/", {"pain": 5}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 412
    assert response.json()["code"] == "version_mismatch"
    assert response.json()["version"] == 1
    _unchanged(entry)


def _raw(client: APIClient, method: str, path: str, text: str):  # type: ignore[no-untyped-def]
    return client.generic(method, path, text, content_type="application/json")


@pytest.mark.parametrize("number", [HUGE, "-" + HUGE, "1e400", str(INT_MAX + 1), str(2**70)])
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_body_version_out_of_range_is_a_400_naming_version(
    patient_client: APIClient, entry: Entry, method: str, number: str
):
    text = f'{{"felt_at": "2026-01-10T12:00:00Z", "pain": 3, "soreness": 2, "version": {number}}}'
    response = _raw(patient_client, method, f"/api/v1/entries/{entry.pk}/", text)
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input: version.",
        "fields": {"version": [_body_message(number)]},
    }
    _unchanged(entry)


def _body_message(number: str) -> str:
    if number in (str(INT_MAX + 1),):
        return f"Ensure this value is less than or equal to {INT_MAX}."
    if number == str(2**70):
        return "Must be an integer."  # orjson reads integers past 2**64 as floats
    return "Out of range: too many digits."


@pytest.mark.parametrize("number", [HUGE, str(INT_MAX + 1)])
def test_a_sync_item_version_out_of_range_is_invalid_naming_version(
    patient_client: APIClient, entry: Entry, number: str
):
    text = (
        f'{{"entries": [{{"id": "{entry.pk}", "felt_at": "2026-01-10T12:00:00Z", '
        f'"pain": 3, "soreness": 2, "version": {number}}}]}}'
    )
    response = _raw(patient_client, "POST", "/api/v1/entries/sync/", text)
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": str(entry.pk),
                "status": "invalid",
                "fields": {"version": [_body_message(number)]},
            }
        ]
    }
    _unchanged(entry)


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ('"baseline_pain": {}', "baseline_pain"),
        ('"post_injection_pain": {}', "post_injection_pain"),
        ('"sites": [{{"volume_ml": {}}}]', "sites.0.volume_ml"),
    ],
)
def test_a_visit_number_of_4301_digits_is_a_400_naming_it(
    physician: User, patient: User, physician_client: APIClient, template: str, field: str
):
    link(physician, patient)
    text = "{" + template.format(HUGE) + "}"
    response = _raw(physician_client, "POST", "/api/v1/visits/", text)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"][field] == ["Out of range: too many digits."]
    assert not Visit.objects.exists()


def test_a_new_entry_with_a_4301_digit_pain_is_a_400_naming_pain(
    patient: User, patient_client: APIClient
):
    entry_id = uuid.uuid4()
    text = f'{{"felt_at": "2026-01-10T12:00:00Z", "pain": {HUGE}, "soreness": 2}}'
    response = _raw(patient_client, "PUT", f"/api/v1/entries/{entry_id}/", text)
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "validation_error",
            "detail": "Invalid input: pain.",
            "fields": {"pain": ["Out of range: too many digits."]},
        },
    )
    assert not Entry.objects.exists()


def test_other_malformed_json_is_still_a_parse_error(patient_client: APIClient):
    for text in (f'{{"pain": {HUGE}, "notes": "\\ud800"}}', f"[{HUGE}, NaN]", f"{{{HUGE}"):
        response = _raw(patient_client, "PUT", f"/api/v1/entries/{uuid.uuid4()}/", text)
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"
    assert not Entry.objects.exists()


def test_the_fallback_parser_reads_what_orjson_reads():
    text = f'{{"a": [1, -2.5, 1e10, {2**64}, {HUGE}], "b": {{"c": "\\u00e9"}}, "d": null}}'
    assert loads(text) == {
        "a": [1, -2.5, 1e10, float(2**64), TOO_LARGE],
        "b": {"c": "é"},
        "d": None,
    }


@pytest.mark.parametrize(
    "number",
    [
        *(1, 9, 10, 999_999_999, 10**9, 1_999_999_999, 2 * 10**9, 2_147_483_599, INT_MAX - 1),
        *(INT_MAX, INT_MAX + 1, 2_147_483_650, 2_147_490_000, 2_150_000_000, 3 * 10**9, 0),
    ],
)
def test_the_documented_number_pattern_is_exactly_1_to_int_max(number: int):
    within = 1 <= number <= INT_MAX
    assert bool(re.fullmatch(INT_PATTERN, str(number))) is within
    assert is_positive_int(str(number)) is within


@pytest.mark.parametrize(
    ("volume", "status", "stored"),
    [
        (0.1 * 3, 201, "0.3"),
        (19.9, 201, "19.9"),
        (0.35, 400, "Ensure that there are no more than 1 decimal places."),
        (0.30001, 400, "Ensure that there are no more than 4 digits in total."),
    ],
)
def test_a_volume_is_taken_in_steps_of_a_tenth_as_the_schema_says(
    physician: User, patient: User, physician_client: APIClient, volume, status, stored
):
    """The schema says multipleOf 0.1; 0.1 * 3 (0.30000000000000004 in any client's
    floating point) is that step, 0.35 is not."""
    link(physician, patient)
    site = {"body_region": "neck", "muscle": "Trapezius", "side": "left",
            "injectates": ["saline"], "volume_ml": volume}  # fmt: skip
    body = {"patient": str(patient.pk), "performed_at": "2026-03-02T15:00:00Z",
            "condition": "myofascial_pain", "sites": [site]}  # fmt: skip
    response = physician_client.post("/api/v1/visits/", body, format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["fields"] == {"sites.0.volume_ml": [stored]}
        assert not Visit.objects.exists()
    else:
        assert response.json()["sites"][0]["volume_ml"] == float(stored)
        assert str(Visit.objects.get().sites.get().volume_ml) == stored
