from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import PatientFactory, link, make_entry, make_visit

pytestmark = pytest.mark.django_db


def utc(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def diary(physician: User, patient: User, other_patient: User, other_physician: User) -> dict:
    link(physician, patient)
    link(other_physician, other_patient)
    visit = make_visit(physician, patient, utc(3, 8))
    entries = [make_entry(patient, utc(d), pain=d % 10) for d in (1, 4, 6, 9)]
    make_entry(other_patient, utc(5), notes="olive private")
    return {"visit": visit, "entries": entries}


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["id"] for row in response.json()["results"]]


def test_patient_lists_own_entries_newest_first(patient: User, client_for, diary: dict):
    response = client_for(patient).get("/api/v1/entries/")
    assert response.status_code == 200
    assert ids(response) == [str(e.id) for e in reversed(diary["entries"])]
    assert "olive private" not in response.content.decode()


def test_physician_reads_own_patients_entries_only(physician: User, client_for, diary: dict):
    response = client_for(physician).get("/api/v1/entries/")
    assert response.json()["count"] == 4
    audit = AuditEvent.objects.filter(action="list", resource="entry")
    assert list(audit.values_list("patient", flat=True)) == [diary["entries"][0].patient_id]


def test_other_physician_sees_nothing_of_this_patient(
    other_physician: User, patient: User, client_for, diary: dict
):
    response = client_for(other_physician).get(f"/api/v1/entries/?patient={patient.pk}")
    assert response.json()["count"] == 0
    entry = diary["entries"][0]
    detail = client_for(other_physician).get(f"/api/v1/entries/{entry.id}/")
    assert detail.status_code == 404
    assert detail.json() == {"code": "not_found", "detail": "Not found."}


def test_filters_by_local_date_range_and_visit(patient: User, client_for, diary: dict):
    client = client_for(patient)
    e = diary["entries"]
    assert ids(client.get("/api/v1/entries/?from=2026-03-04&to=2026-03-06")) == [
        str(e[2].id),
        str(e[1].id),
    ]
    assert ids(client.get(f"/api/v1/entries/?visit={diary['visit'].id}")) == [
        str(x.id) for x in reversed(e[1:])
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=yesterday", "from"), ("to=2026-13-01", "to"), ("visit=nope", "visit")],
)
def test_bad_filters_are_400_naming_the_filter(patient, client_for, diary, query, field):
    response = client_for(patient).get(f"/api/v1/entries/?{query}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_pagination_caps_the_page_size_at_100(patient: User, client_for):
    for day in range(1, 4):
        for hour in range(0, 24, 1):
            make_entry(patient, datetime(2026, 2, day, hour, tzinfo=UTC))
    client = client_for(patient)
    assert len(client.get("/api/v1/entries/?page_size=500").json()["results"]) == 72
    for hour in range(24):
        make_entry(patient, datetime(2026, 2, 10, hour, tzinfo=UTC))
        make_entry(patient, datetime(2026, 2, 11, hour, tzinfo=UTC))
    body = client.get("/api/v1/entries/?page_size=500").json()
    assert (body["count"], len(body["results"])) == (120, 100)
    assert len(client.get("/api/v1/entries/").json()["results"]) == 30


def test_entry_list_uses_a_constant_number_of_queries(
    physician: User, client_for, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for _ in range(n):
            someone = PatientFactory()
            link(physician, someone)
            make_visit(physician, someone, utc(1, 8))
            for d in (2, 3):
                make_entry(someone, utc(d))

    client = client_for(physician)
    add(2)
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/entries/")
    add(15)
    with django_assert_max_num_queries(6) as many:
        assert len(client.get("/api/v1/entries/").json()["results"]) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_rows_equal_what_the_entry_serializer_and_drfs_json_renderer_write(
    patient: User, client_for, diary: dict
):
    """The list builds rows without serializer instances and renders them with orjson; the
    bytes must mean exactly what EntrySerializer + DRF's stdlib JSONRenderer would send."""
    import json

    from rest_framework.renderers import JSONRenderer

    from diary.models import Entry
    from diary.serializers import EntrySerializer

    make_entry(patient, utc(10, 23), notes='Ünïcode \u2028 "quoted" é\n', pain=0)
    response = client_for(patient).get("/api/v1/entries/?page_size=100")
    stored = Entry.objects.filter(patient=patient).order_by("-felt_at", "-recorded_at", "id")
    expected = json.loads(JSONRenderer().render(EntrySerializer(stored, many=True).data))
    assert response.json()["results"] == expected
    assert any(row["visit"] for row in expected) and any(row["visit"] is None for row in expected)
    assert all(row["felt_at"].endswith("Z") for row in response.json()["results"])
