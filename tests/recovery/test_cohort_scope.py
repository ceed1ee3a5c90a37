"""The cohort's two scopes: "mine" (the physician's own patients) and "practice" (every
patient of the practice's physicians, aggregates only). Numbers by hand, refusals, audit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from tests.factories import (
    PatientFactory,
    PhysicianFactory,
    UserFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)

pytestmark = pytest.mark.django_db

EMPTY_DAY = {"median": None, "q1": None, "q3": None, "n": 0}


@pytest.fixture
def colleague(physician: User) -> User:
    return PhysicianFactory(email="dr.colleague@example.org", practice=physician.practice)


@pytest.fixture
def practice_world(physician: User, colleague: User, other_physician: User) -> dict:
    """One visit each, 30 days ago (so every response window is closed), neck pain unless
    said otherwise. Relief = 100 x (1 - pain / baseline).

    - A: care team physician + colleague, baseline 10, day 3 pain 5 → 50 %.
    - B: physician, baseline 10, day 3 pain 6 → 40 %.
    - C: colleague, low back pain, baseline 8, day 3 pain 6 → 25 %, day 5 pain 2 → 75 %.
    - D: other_physician (another practice), baseline 10, day 3 pain 0 → 100 %: never counts.
    """
    start = local_morning(30)
    plan = [
        ("A", (physician, colleague), 10, {3: 5}, "neck_pain"),
        ("B", (physician,), 10, {3: 6}, "neck_pain"),
        ("C", (colleague,), 8, {3: 6, 5: 2}, "low_back_pain"),
        ("D", (other_physician,), 10, {3: 0}, "neck_pain"),
    ]
    patients = {}
    for n, (name, team, baseline, pains, condition) in enumerate(plan):
        patient = PatientFactory(display_name=f"Patient {name}")
        for member in team:
            link(member, patient)
        visit_at = start + timedelta(hours=n)
        make_visit(team[0], patient, visit_at, baseline_pain=baseline, condition=condition)
        for day, pain in pains.items():
            make_entry(patient, visit_at + timedelta(days=day, hours=1), pain=pain)
        patients[name] = patient
    return patients


def _cohort(client_for, user: User, query: str = "") -> dict:
    response = client_for(user).get(f"/api/v1/cohort/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _rates(n: int, responders: int, substantial: int) -> dict:
    return {
        "n": n,
        "responders": responders,
        "substantial_responders": substantial,
        "responder_rate": round(100.0 * responders / n, 1),
        "substantial_responder_rate": round(100.0 * substantial / n, 1),
        "excluded_no_baseline": 0,
        "excluded_open_window": 0,
    }


def _days(**known: dict) -> list[dict]:
    return [{"day": day, **known.get(f"d{day}", EMPTY_DAY)} for day in range(29)]


NO_FILTERS = {"condition": None, "injectate": None, "body_region": None}


def test_mine_is_the_default_and_counts_only_the_physicians_patients(
    practice_world, physician, client_for
):
    before = timezone.now()
    body = _cohort(client_for, physician)
    as_of = body.pop("as_of")
    assert before <= datetime.fromisoformat(as_of) <= timezone.now()
    # A 50, B 40: median 45, linear quartiles 42.5 and 47.5.
    assert body == {
        "scope": "mine",
        "filters": NO_FILTERS,
        "days": _days(d3={"median": 45.0, "q1": 42.5, "q3": 47.5, "n": 2}),
        "rates": _rates(2, 2, 1),
    }
    # The same question: the kept answer, the same data read at the same time.
    assert _cohort(client_for, physician, "?scope=mine") == {**body, "as_of": as_of}


def test_colleagues_mine_includes_a_shared_patient(practice_world, colleague, client_for):
    body = _cohort(client_for, colleague)
    # A 50 (shared care team), C 25 then 75 on day 5. Quartiles 31.25 and 43.75, shown
    # to 1 decimal (half away from zero).
    assert body["days"] == _days(
        d3={"median": 37.5, "q1": 31.3, "q3": 43.8, "n": 2},
        d5={"median": 75.0, "q1": 75.0, "q3": 75.0, "n": 1},
    )
    assert body["rates"] == _rates(2, 2, 2)


def test_practice_scope_counts_every_patient_of_the_practice_once(
    practice_world, physician, colleague, client_for
):
    body = _cohort(client_for, physician, "?scope=practice")
    as_of = body.pop("as_of")
    assert datetime.fromisoformat(as_of) <= timezone.now()
    # Day 3: 25, 40, 50 → median 40, q1 25 + 0.5 x 15 = 32.5, q3 40 + 0.5 x 10 = 45. A is
    # on two physicians' care teams and counts once; D (another practice) not at all.
    # Responders (best of days 3-14 ≥ 30): A 50, B 40, C 75 → 3/3; ≥ 50: A, C → 2/3.
    assert body == {
        "scope": "practice",
        "filters": NO_FILTERS,
        "days": _days(
            d3={"median": 40.0, "q1": 32.5, "q3": 45.0, "n": 3},
            d5={"median": 75.0, "q1": 75.0, "q3": 75.0, "n": 1},
        ),
        "rates": _rates(3, 3, 2),
    }
    # Every physician of the practice reads the same practice numbers (the answer kept
    # for the practice: the same data, read at the same time).
    assert _cohort(client_for, colleague, "?scope=practice") == {**body, "as_of": as_of}


def test_practice_scope_of_another_practice_sees_only_its_own(
    practice_world, other_physician, client_for
):
    body = _cohort(client_for, other_physician, "?scope=practice")
    assert body["days"] == _days(d3={"median": 100.0, "q1": 100.0, "q3": 100.0, "n": 1})
    assert body["rates"] == _rates(1, 1, 1)


def test_filters_apply_to_the_practice_scope(practice_world, physician, client_for):
    body = _cohort(client_for, physician, "?scope=practice&condition=low_back_pain")
    assert body["filters"] == {**NO_FILTERS, "condition": "low_back_pain"}
    assert body["days"] == _days(
        d3={"median": 25.0, "q1": 25.0, "q3": 25.0, "n": 1},
        d5={"median": 75.0, "q1": 75.0, "q3": 75.0, "n": 1},
    )
    body = _cohort(client_for, physician, "?scope=practice&condition=neck_pain")
    assert body["days"][3] == {"day": 3, "median": 45.0, "q1": 42.5, "q3": 47.5, "n": 2}


def test_practice_answer_and_chart_carry_no_patient(practice_world, physician, client_for):
    client = client_for(physician)
    texts = [
        client.get("/api/v1/cohort/?scope=practice").content.decode(),
        client.get("/api/v1/cohort/chart/?scope=practice").content.decode(),
    ]
    chart = client.get("/api/v1/cohort/chart/?scope=practice").json()
    median = next(trace for trace in chart["data"] if trace["name"] == "Median relief")
    assert median["customdata"][3] == [3, 32.5, 45.0]
    for text in texts:
        for patient in practice_world.values():
            assert str(patient.pk) not in text
            assert patient.display_name not in text
            assert patient.email not in text
        for visit_id in practice_world["A"].visits.values_list("id", flat=True):
            assert str(visit_id) not in text


def test_practice_admin_reads_the_practice_scope_only(practice_world, physician, client_for):
    admin = UserFactory(role=Role.PRACTICE_ADMIN, practice=physician.practice)
    body = _cohort(client_for, admin, "?scope=practice")
    assert body["days"][3] == {"day": 3, "median": 40.0, "q1": 32.5, "q3": 45.0, "n": 3}
    assert body["rates"] == _rates(3, 3, 2)
    chart = client_for(admin).get("/api/v1/cohort/chart/?scope=practice")
    assert chart.status_code == 200
    for query in ("", "?scope=mine"):
        response = client_for(admin).get(f"/api/v1/cohort/{query}")
        assert response.status_code == 403
        assert response.json() == {
            "code": "permission_denied",
            "detail": "A practice administrator has no patients of their own: ask for "
            "scope=practice.",
        }
    denied = AuditEvent.objects.filter(actor=admin, outcome="denied", resource="cohort")
    assert denied.count() == 2


def test_staff_and_patients_may_not_read_the_cohort(practice_world, physician, client_for):
    staff = UserFactory(role=Role.STAFF, practice=physician.practice)
    for user in (staff, practice_world["A"]):
        for url in ("/api/v1/cohort/?scope=practice", "/api/v1/cohort/chart/?scope=practice"):
            response = client_for(user).get(url)
            assert response.status_code == 403
            assert set(response.json()) == {"code", "detail"}
    assert client_for(None).get("/api/v1/cohort/?scope=practice").status_code == 401


def test_practice_scope_without_a_practice_is_a_400_naming_scope(client_for):
    loner = PhysicianFactory(practice=None)
    response = client_for(loner).get("/api/v1/cohort/?scope=practice")
    assert response.status_code == 400
    assert response.json() == {
        "code": "no_practice",
        "detail": "You belong to no practice: ask for scope=mine.",
        "fields": {"scope": ["You belong to no practice: ask for scope=mine."]},
    }
    assert _cohort(client_for, loner)["rates"]["n"] == 0
    assert not AuditEvent.objects.filter(actor=loner, object_id__gt="").exists()


def test_bad_scope_is_a_400_naming_scope(physician, client_for):
    for query in ("?scope=everyone", "?scope="):
        response = client_for(physician).get(f"/api/v1/cohort/{query}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["scope"]


def test_practice_scope_is_audited_naming_the_practice(practice_world, physician, client_for):
    before = AuditEvent.objects.count()
    client = client_for(physician)
    client.get("/api/v1/cohort/?scope=practice")
    client.get("/api/v1/cohort/chart/")
    rows = set(
        AuditEvent.objects.order_by("at", "id")[before:].values_list(
            "actor", "action", "resource", "patient", "object_id"
        )
    )
    assert AuditEvent.objects.count() == before + 2
    assert rows == {
        (physician.pk, "read", "cohort", None, str(physician.practice_id)),
        (physician.pk, "read", "cohort", None, ""),
    }
