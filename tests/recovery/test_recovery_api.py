"""Recovery endpoints against the database: numbers by hand, permissions, audit, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from django.db import connection

from accounts.models import User
from audit.models import AuditEvent
from recovery import cohort
from tests.factories import PatientFactory, link, local_morning, make_entry, make_visit

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, 1 + day, hour, tzinfo=UTC)


@pytest.fixture
def recovery_world(physician: User, patient: User) -> dict:
    """Berlin patient, visit 1 March 08:00Z (09:00 local), baseline 8.
    Day 0: pains 6 and 4 (mean 5, relief 37.5 %); day 1: 8 (0 %); day 3: 4 (50 %)."""
    link(physician, patient)
    visit = make_visit(physician, patient, at(0, 8), baseline_pain=8, post_injection_pain=2)
    make_entry(patient, at(0, 12), pain=6, soreness=2)
    make_entry(patient, at(0, 18), pain=4, soreness=4)
    make_entry(patient, at(1), pain=8, soreness=6, bruising="large")
    make_entry(patient, at(3), pain=4, soreness=2)
    return {"visit": visit}


def test_visit_recovery_numbers(recovery_world: dict, client_for, physician: User):
    visit = recovery_world["visit"]
    response = client_for(physician).get(f"/api/v1/visits/{visit.id}/recovery/")

    assert response.status_code == 200
    body = response.json()
    assert body["visit"] == str(visit.id)
    assert (body["baseline"], body["baseline_source"]) == (8.0, "recorded")
    assert [
        (
            d["day"],
            d["date"],
            d["pain"],
            d["soreness"],
            d["relief"],
            d["entries"],
            d["large_bruise"],
        )
        for d in body["days"]
    ] == [
        (0, "2026-03-01", 5.0, 3.0, 37.5, 2, False),
        (1, "2026-03-02", 8.0, 6.0, 0.0, 1, True),
        (3, "2026-03-04", 4.0, 2.0, 50.0, 1, False),
    ]
    summary = body["summary"]
    assert summary["immediate_relief"] == 75.0
    assert (summary["onset_day"], summary["responder"], summary["substantial_responder"]) == (
        0,
        True,
        True,
    )
    assert (summary["relief_days"], summary["longest_relief_run"]) == (1, 1)
    assert summary["latest_relief"] == 50.0
    assert [f["code"] for f in body["flags"]] == ["large_bruise", "not_logging"]
    assert AuditEvent.objects.filter(resource="recovery", action="read").count() == 1


def test_visit_chart_is_a_plotly_figure_with_pain_and_soreness(
    recovery_world: dict, client_for, patient: User
):
    visit = recovery_world["visit"]
    figure = client_for(patient).get(f"/api/v1/visits/{visit.id}/recovery/chart/").json()
    assert set(figure) == {"data", "layout"}
    names = [trace.get("name") for trace in figure["data"]]
    assert "Pain" in names and "Soreness" in names
    pain = next(t for t in figure["data"] if t.get("name") == "Pain")
    assert pain["x"][:4] == [0, 1, 2, 3]
    assert pain["y"][:4] == [5.0, 8.0, None, 4.0]


def test_course_lists_each_visit_in_order(physician, patient, client_for):
    link(physician, patient)
    first = make_visit(physician, patient, at(0, 8), baseline_pain=6)
    second = make_visit(physician, patient, at(10, 8), baseline_pain=6)
    make_entry(patient, at(4), pain=3)
    make_entry(patient, at(13), pain=6)
    body = client_for(physician).get(f"/api/v1/patients/{patient.pk}/course/").json()
    assert body["patient"] == str(patient.pk)
    assert [(v["visit_id"], v["visit_number"], v["latest_relief"]) for v in body["visits"]] == [
        (str(first.id), 1, 50.0),
        (str(second.id), 2, 0.0),
    ]
    chart = client_for(patient).get(f"/api/v1/patients/{patient.pk}/course/chart/").json()
    assert len([t for t in chart["data"] if t.get("mode") != "none"]) >= 2


@pytest.mark.parametrize(
    "path",
    ["/api/v1/visits/{visit}/recovery/", "/api/v1/visits/{visit}/recovery/chart/"],
)
def test_other_people_get_404_and_nothing_else(
    recovery_world, client_for, other_patient, other_physician, path
):
    url = path.format(visit=recovery_world["visit"].id)
    for user in (other_patient, other_physician):
        response = client_for(user).get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert AuditEvent.objects.filter(outcome="denied", resource="recovery").count() == 2


def test_cohort_is_for_physicians_only(patient: User, client_for):
    assert client_for(patient).get("/api/v1/cohort/").status_code == 403
    assert client_for(patient).get("/api/v1/cohort/chart/").status_code == 403


def test_cohort_rejects_unknown_filters(physician, client_for):
    response = client_for(physician).get("/api/v1/cohort/?condition=migraine")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["condition"]
    response = client_for(physician).get("/api/v1/cohort/?colour=red")
    assert list(response.json()["fields"]) == ["colour"]


def _cohort_practice(physician: User, other_physician: User) -> None:
    """Three of the physician's visits with baseline 10 (one with the fallback), and one of
    another physician's that must not count. Day 3 pains: 5, 6, 8 → relief 50, 40, 20."""
    start = local_morning(30)
    saline = {
        "body_region": "neck",
        "muscle": "Trapezius",
        "side": "left",
        "injectates": ["saline"],
        "volume_ml": "1.0",
    }
    for n, (pain3, baseline) in enumerate([(5, 10), (6, 10), (8, None)]):
        p = PatientFactory()
        link(physician, p)
        visit_at = start + timedelta(hours=n)
        if baseline is None:
            make_entry(p, visit_at - timedelta(days=2), pain=10)
        extra = {"sites": [saline]} if n == 0 else {}
        make_visit(physician, p, visit_at, baseline_pain=baseline, **extra)
        make_entry(p, visit_at + timedelta(days=3, hours=1), pain=pain3)
        make_entry(p, visit_at + timedelta(days=4, hours=1), pain=pain3)
    stranger = PatientFactory()
    link(other_physician, stranger)
    make_visit(other_physician, stranger, start, baseline_pain=10)
    make_entry(stranger, start + timedelta(days=3, hours=1), pain=0)


def test_cohort_median_iqr_and_rates(physician, other_physician, client_for):
    _cohort_practice(physician, other_physician)
    body = client_for(physician).get("/api/v1/cohort/").json()
    day3 = body["days"][3]
    # Relief 20, 40, 50: median 40; linear quartiles 30 and 45.
    assert day3 == {"day": 3, "median": 40.0, "q1": 30.0, "q3": 45.0, "n": 3}
    assert body["days"][2] == {"day": 2, "median": None, "q1": None, "q3": None, "n": 0}
    assert len(body["days"]) == 29
    rates = body["rates"]
    assert (rates["n"], rates["responders"], rates["substantial_responders"]) == (3, 2, 1)
    assert rates["responder_rate"] == pytest.approx(66.7)
    saline = client_for(physician).get("/api/v1/cohort/?injectate=saline").json()
    assert saline["days"][3] == {"day": 3, "median": 50.0, "q1": 50.0, "q3": 50.0, "n": 1}
    chart = client_for(physician).get("/api/v1/cohort/chart/?injectate=saline").json()
    assert set(chart) == {"data", "layout"}


def test_cohort_sql_and_pandas_paths_give_identical_numbers(physician, other_physician):
    _cohort_practice(physician, other_physician)
    visits = cohort.cohort_visits(physician)
    pandas_curve, pandas_rates = cohort.cohort_portable(visits)
    if connection.vendor == "postgresql":
        sql_curve, sql_rates = cohort.cohort_sql(visits)
        pd.testing.assert_frame_equal(sql_curve, pandas_curve)
        assert sql_rates == pandas_rates
    assert pandas_curve.loc[3, ["median", "q1", "q3", "n"]].tolist() == [40.0, 30.0, 45.0, 3]
    assert (pandas_rates["n"], pandas_rates["responders"]) == (3, 2)


def test_recovery_reads_use_a_constant_number_of_queries(
    physician, patient, client_for, django_assert_max_num_queries
):
    link(physician, patient)
    visit = make_visit(physician, patient, at(0, 8), baseline_pain=8)
    client = client_for(physician)
    urls = [f"/api/v1/visits/{visit.id}/recovery/", f"/api/v1/patients/{patient.pk}/course/"]
    make_entry(patient, at(0, 12), pain=4)
    # Each answer is computed here (new check-ins make new inputs), two of the queries to
    # look up whether it was kept; the same number for 1 check-in as for 41.
    with django_assert_max_num_queries(18) as few:
        for url in urls:
            client.get(url)
    for day in range(20):
        make_entry(patient, at(day), pain=4)
        make_entry(patient, at(day, 15), pain=5)
    with django_assert_max_num_queries(18) as many:
        for url in urls:
            client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_recovery_and_course_are_recomputed_exactly_when_their_inputs_change(
    physician, patient, client_for, monkeypatch
):
    from recovery import analytics

    runs: list[str] = []
    real_report, real_course = analytics.visit_report, analytics.course_reports
    monkeypatch.setattr(
        analytics, "visit_report", lambda *a: runs.append("visit") or real_report(*a)
    )
    monkeypatch.setattr(
        analytics, "course_reports", lambda *a: runs.append("course") or real_course(*a)
    )
    link(physician, patient)
    visit = make_visit(physician, patient, at(0, 8), baseline_pain=8)
    make_entry(patient, at(1), pain=4)
    client = client_for(physician)
    recovery_url = f"/api/v1/visits/{visit.id}/recovery/"
    course_url = f"/api/v1/patients/{patient.pk}/course/"

    def computed(url: str) -> tuple[dict, bool]:
        runs.clear()
        body = client.get(url).json()
        return body, bool(runs)

    first, ran = computed(recovery_url)
    assert ran
    course, ran = computed(course_url)
    assert ran
    assert computed(recovery_url) == (first, False)  # same inputs: nothing recomputed
    assert computed(course_url) == (course, False)

    make_entry(patient, at(2), pain=2)
    again, ran = computed(recovery_url)
    assert ran and len(again["days"]) == len(first["days"]) + 1
    changed, ran = computed(course_url)
    assert ran and changed != course

    visit.baseline_pain = 6
    visit.save()
    rebased, ran = computed(recovery_url)
    assert ran and rebased["baseline"] == 6.0


def test_the_reports_read_the_kept_tallies_not_the_check_ins(
    recovery_world: dict, physician: User, patient: User, client_for
):
    """The visit's recovery, the course and the patient list compute from ``PatientDay``
    (issue #19): the only statement on the raw check-ins is the small fingerprint that says
    whether a kept answer is still current, never the rows themselves."""
    from django.test.utils import CaptureQueriesContext

    from recovery import reports

    reports._KEPT.clear()
    client = client_for(physician)
    urls = [
        f"/api/v1/visits/{recovery_world['visit'].id}/recovery/",
        f"/api/v1/patients/{patient.pk}/course/",
        "/api/v1/patients/",
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        sql = [q["sql"] for q in queries.captured_queries]
        assert any('"diary_patientday"' in s for s in sql), url
        on_entries = [s for s in sql if 'FROM "diary_entry"' in s]
        # The fingerprint (COUNT, SUM(version), MAX(updated_at)) and, in the list, the last
        # check-in's time: aggregates, no check-in's pain or soreness.
        assert all('"diary_entry"."pain"' not in s for s in on_entries), (url, on_entries)
    # And the numbers are the hand-computed ones of the fixture (days 0, 1 and 3).
    days = client.get(urls[0]).json()["days"]
    assert [(d["day"], d["pain"], d["entries"], d["large_bruise"]) for d in days] == [
        (0, 5.0, 2, False),
        (1, 8.0, 1, True),
        (3, 4.0, 1, False),
    ]
