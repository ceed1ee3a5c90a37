"""The cohort's answer is kept (issue #19): served again until COHORT_MAX_AGE seconds after
its data was read, with ``as_of`` saying when; recomputed by the worker while asked for;
never served older than the bound; kept per scope, whose and filters; and the kept numbers
are the computed ones to the last bit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from core import periodic
from recovery import cohort
from recovery.models import KeptCohort
from tests.factories import (
    PatientFactory,
    PhysicianFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)

pytestmark = pytest.mark.django_db


def treated(
    physician: User, pain: int, *, condition: str = "myofascial_pain", baseline: int = 10
) -> User:
    """A patient of ``physician``: a visit 30 days ago, day 3 at ``pain``."""
    patient = PatientFactory()
    link(physician, patient)
    visit_at = local_morning(30)
    make_visit(physician, patient, visit_at, baseline_pain=baseline, condition=condition)
    make_entry(patient, visit_at + timedelta(days=3, hours=1), pain=pain)
    return patient


def ask(client_for, user: User, query: str = "") -> dict:  # type: ignore[no-untyped-def]
    response = client_for(user).get(f"/api/v1/cohort/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def day3(body: dict) -> dict:
    return body["days"][3]


def older(seconds: float, **lookup: object) -> None:
    KeptCohort.objects.filter(**lookup).update(
        computed_at=F("computed_at") - timedelta(seconds=seconds)
    )


def test_an_answer_is_served_again_until_it_is_too_old(physician, client_for, settings):
    settings.COHORT_MAX_AGE = 300
    treated(physician, 5)  # 50 %
    first = ask(client_for, physician)
    assert day3(first) == {"day": 3, "median": 50.0, "q1": 50.0, "q3": 50.0, "n": 1}
    row = KeptCohort.objects.get()
    assert (row.key, row.scope, row.physician_id, row.practice_id) == (
        f"mine:{physician.pk}:body_region=|condition=|injectate=",
        "mine",
        physician.pk,
        None,
    )
    assert row.computed_at == datetime.fromisoformat(first["as_of"])

    treated(physician, 8)  # 20 %: not in the kept answer, which says when it was read
    assert ask(client_for, physician) == first

    older(301)  # past the bound: computed afresh, never served
    fresh = ask(client_for, physician)
    assert day3(fresh) == {"day": 3, "median": 35.0, "q1": 27.5, "q3": 42.5, "n": 2}
    assert datetime.fromisoformat(fresh["as_of"]) > datetime.fromisoformat(first["as_of"])
    assert KeptCohort.objects.get().computed_at == datetime.fromisoformat(fresh["as_of"])


def test_the_kept_answer_is_the_computed_one_to_the_last_bit(physician, settings):
    settings.COHORT_MAX_AGE = 300
    # Baseline 7: reliefs 85.71..., 71.42..., 42.85..., 28.57...: quartiles with every bit
    # of a double in use, which a rounding or a lossy store would change.
    for pain in (1, 2, 4, 5):
        treated(physician, pain, baseline=7)
    computed = cohort.cohort(physician)
    cohort.served(physician)  # computes and keeps
    kept = cohort.served(physician)  # read back from the kept row
    assert KeptCohort.objects.count() == 1
    q1 = kept["curve"]["q1"][3]
    assert q1 != round(q1, 6)
    pd.testing.assert_frame_equal(kept["curve"], computed["curve"], check_exact=True)
    assert kept["rates"] == computed["rates"]
    assert kept["curve"]["median"].isna().sum() == 28  # the unlogged days stay unknown
    assert kept["rates"]["responder_rate"] == 75.0  # 28.57 % is under 30


def test_answers_are_kept_per_scope_whose_and_filters(physician, client_for, settings):
    settings.COHORT_MAX_AGE = 300
    colleague = PhysicianFactory(practice=physician.practice)
    treated(physician, 5)
    treated(colleague, 8, condition="tension_headache")

    mine = ask(client_for, physician)
    theirs = ask(client_for, colleague)
    practice = ask(client_for, physician, "?scope=practice")
    headache = ask(client_for, physician, "?scope=practice&condition=tension_headache")

    assert day3(mine)["median"] == 50.0
    assert day3(theirs)["median"] == 20.0  # not the physician's kept answer
    assert day3(practice)["n"] == 2
    assert day3(headache) == {"day": 3, "median": 20.0, "q1": 20.0, "q3": 20.0, "n": 1}
    assert sorted(KeptCohort.objects.values_list("scope", "physician", "practice"), key=str) == (
        sorted(
            [
                ("mine", colleague.pk, None),
                ("mine", physician.pk, None),
                ("practice", None, physician.practice_id),
                ("practice", None, physician.practice_id),
            ],
            key=str,
        )
    )
    # The colleague's practice answer is the one kept for the practice.
    assert ask(client_for, colleague, "?scope=practice") == practice


def test_the_worker_refreshes_what_is_asked_for_and_forgets_the_rest(
    physician, client_for, settings
):
    settings.COHORT_MAX_AGE = 300
    assert "cohort-refresh" in [job.name for job in periodic.jobs()]
    colleague = PhysicianFactory(practice=physician.practice)
    treated(physician, 5)
    treated(colleague, 5)
    ask(client_for, physician)
    ask(client_for, physician, "?scope=practice")
    ask(client_for, colleague)
    treated(physician, 8)  # new data for the physician's and the practice's answers
    now = timezone.now()
    older(100, scope="mine", physician=physician)  # younger than half the bound: left
    older(200, scope="practice")  # due
    older(200, scope="mine", physician=colleague)
    KeptCohort.objects.filter(physician=colleague).update(requested_at=now - timedelta(days=8))
    before = dict(KeptCohort.objects.values_list("key", "computed_at"))

    asked = KeptCohort.objects.get(scope="practice").requested_at

    assert cohort.cohort_refresh_job(now=now) == 1

    rows = {row.scope: row for row in KeptCohort.objects.all()}
    assert rows["practice"].requested_at == asked  # the worker is not a request
    assert set(rows) == {"mine", "practice"}  # the colleague's, unasked for a week, is gone
    assert rows["mine"].computed_at == before[rows["mine"].key]
    assert rows["practice"].computed_at > now
    assert rows["practice"].curve[3]["n"] == 3  # the new visit is in
    # What the worker kept is what the practice's physicians are now served.
    served = ask(client_for, colleague, "?scope=practice")
    assert datetime.fromisoformat(served["as_of"]) == rows["practice"].computed_at
    assert day3(served)["n"] == 3


def test_an_answer_not_asked_for_in_two_hours_is_left_to_age(physician, client_for, settings):
    settings.COHORT_MAX_AGE = 300
    treated(physician, 5)
    ask(client_for, physician)
    now = timezone.now()
    older(200)
    KeptCohort.objects.update(requested_at=now - timedelta(hours=3))
    before = KeptCohort.objects.get().computed_at

    assert cohort.cohort_refresh_job(now=now) == 0
    assert KeptCohort.objects.get().computed_at == before


def test_no_answer_is_kept_with_max_age_zero(physician, client_for, settings):
    settings.COHORT_MAX_AGE = 0
    treated(physician, 5)
    first = ask(client_for, physician)
    treated(physician, 8)
    second = ask(client_for, physician)
    assert KeptCohort.objects.count() == 0
    assert day3(first)["n"] == 1 and day3(second)["n"] == 2
    assert datetime.fromisoformat(second["as_of"]) > datetime.fromisoformat(first["as_of"])


def test_the_chart_is_drawn_from_the_kept_answer(physician, client_for, settings):
    settings.COHORT_MAX_AGE = 300
    treated(physician, 5)
    client = client_for(physician)
    before = client.get("/api/v1/cohort/chart/").json()
    treated(physician, 8)
    assert client.get("/api/v1/cohort/chart/").json() == before
    older(301)
    assert client.get("/api/v1/cohort/chart/").json() != before
