"""The physician's desk table: the patient list sorted by each column, filtered to open
flags and by condition (GET /api/v1/patients/)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import User
from audit.models import AuditEvent
from recovery.patients import open_flags, sort_rows
from tests.factories import PatientFactory, link, local_morning, make_entry, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(physician: User) -> dict[str, User]:
    """Five patients with hand-chosen values (baseline 8 for every visit):

    name   visit (condition)        check-ins            latest relief  responder
    Ada    10 days ago (neck)       days 0-8, pain 2     75 %           substantial
    Bob    10 days ago (neck)       days 0-8, pain 5     37.5 %         responding
    Cal    2 days ago (low back)    days 0-1, pain 6     25 %           not (yet) responding
    Mia    none                     none                 -              -
    Zed    10 days ago (low back)   days 0-9, pain 8     0 %            not responding
    Ada and Bob tie on days since the visit and on the last check-in; only Zed has flags
    (soreness 8 from day 3, no relief by day 7)."""
    people = {
        name: PatientFactory(display_name=f"{name} {suffix}")
        for name, suffix in (
            ("Ada", "Calm"),
            ("Bob", "Calm"),
            ("Cal", "Recent"),
            ("Mia", "Fresh"),
            ("Zed", "Worried"),
        )
    }
    for p in people.values():
        link(physician, p)
    ten_ago, two_ago = local_morning(10), local_morning(2)
    make_visit(physician, people["Ada"], ten_ago, baseline_pain=8)
    make_visit(physician, people["Bob"], ten_ago, baseline_pain=8)
    make_visit(physician, people["Zed"], ten_ago, baseline_pain=8, condition="low_back_pain")
    make_visit(physician, people["Cal"], two_ago, baseline_pain=8, condition="low_back_pain")
    for day in range(0, 10):
        at = ten_ago + timedelta(days=day, hours=1)
        if day <= 8:
            make_entry(people["Ada"], at, pain=2, soreness=1)
            make_entry(people["Bob"], at, pain=5, soreness=1)
        make_entry(people["Zed"], at, pain=8, soreness=8 if day >= 3 else 4)
    for day in range(0, 2):
        make_entry(people["Cal"], two_ago + timedelta(days=day, hours=2), pain=6, soreness=1)
    return people


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [row["display_name"].split()[0] for row in response.json()["results"]]


def test_the_rows_carry_the_values_the_columns_show(physician: User, desk, client_for):
    rows = {
        r["display_name"].split()[0]: r
        for r in client_for(physician).get("/api/v1/patients/?ordering=name").json()["results"]
    }
    table = {
        name: (
            (r["latest"] or {}).get("days_since_visit"),
            (r["latest"] or {}).get("latest_relief"),
            (r["latest"] or {}).get("responder"),
            (r["latest"] or {}).get("substantial_responder"),
            len(r["flags"]),
        )
        for name, r in rows.items()
    }
    assert table == {
        "Ada": (10, 75.0, True, True, 0),
        "Bob": (10, 37.5, True, False, 0),
        "Cal": (2, 25.0, False, False, 0),
        "Mia": (None, None, None, None, 0),
        "Zed": (10, 0.0, False, False, len(rows["Zed"]["flags"])),
    }
    assert {"soreness_severe", "no_response"} <= {f["code"] for f in rows["Zed"]["flags"]}
    assert rows["Ada"]["last_checkin_at"] == rows["Bob"]["last_checkin_at"]
    assert rows["Ada"]["last_checkin_at"] < rows["Zed"]["last_checkin_at"]
    assert rows["Zed"]["last_checkin_at"] < rows["Cal"]["last_checkin_at"]
    assert rows["Mia"]["last_checkin_at"] is None


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Ada", "Bob", "Cal", "Mia", "Zed"]),
        ("-name", ["Zed", "Mia", "Cal", "Bob", "Ada"]),
        # ties (Ada, Bob, Zed all on day 10) by name in both directions; Mia (no visit) last
        ("days_since_visit", ["Cal", "Ada", "Bob", "Zed", "Mia"]),
        ("-days_since_visit", ["Ada", "Bob", "Zed", "Cal", "Mia"]),
        ("last_checkin", ["Ada", "Bob", "Zed", "Cal", "Mia"]),
        ("-last_checkin", ["Cal", "Zed", "Ada", "Bob", "Mia"]),
        ("latest_relief", ["Zed", "Cal", "Bob", "Ada", "Mia"]),
        ("-latest_relief", ["Ada", "Bob", "Cal", "Zed", "Mia"]),
        # not responding < responding < substantial; no visit (Mia) last
        ("responder", ["Cal", "Zed", "Bob", "Ada", "Mia"]),
        ("-responder", ["Ada", "Bob", "Cal", "Zed", "Mia"]),
        # no flags is a count of 0, not a missing value
        ("open_flags", ["Ada", "Bob", "Cal", "Mia", "Zed"]),
        ("-open_flags", ["Zed", "Ada", "Bob", "Cal", "Mia"]),
        ("attention", ["Zed", "Cal", "Bob", "Ada", "Mia"]),
    ],
)
def test_sorted_by_each_column_nulls_last_ties_by_name(
    physician: User, desk, client_for, ordering: str, expected: list[str]
):
    client = client_for(physician)
    assert names(client.get(f"/api/v1/patients/?ordering={ordering}")) == expected


def test_filtered_to_open_flags_and_by_condition(physician: User, desk, client_for):
    client = client_for(physician)

    assert names(client.get("/api/v1/patients/?open_flags=true")) == ["Zed"]
    assert names(client.get("/api/v1/patients/?open_flags=false&ordering=name")) == [
        "Ada",
        "Bob",
        "Cal",
        "Mia",
    ]
    assert names(client.get("/api/v1/patients/?condition=low_back_pain&ordering=name")) == [
        "Cal",
        "Zed",
    ]
    assert names(client.get("/api/v1/patients/?condition=low_back_pain&open_flags=true")) == ["Zed"]
    assert names(client.get("/api/v1/patients/?condition=fibromyalgia")) == []
    # the audit names exactly the patients listed
    listed = AuditEvent.objects.filter(action="list", resource="patient", patient__isnull=False)
    assert set(listed.values_list("patient", flat=True)) == {
        desk[n].pk for n in ("Ada", "Bob", "Cal", "Mia", "Zed")
    }
    first = listed.order_by("id").first()
    assert first is not None and first.patient_id == desk["Zed"].pk


def test_condition_is_the_latest_visits(physician: User, desk, client_for):
    """Cal's earlier neck visit does not make Cal a neck patient: the latest visit counts."""
    make_visit(physician, desk["Cal"], local_morning(30), baseline_pain=8, condition="neck_pain")
    client = client_for(physician)
    assert names(client.get("/api/v1/patients/?condition=neck_pain&ordering=name")) == [
        "Ada",
        "Bob",
    ]


def test_filters_see_only_the_physicians_own_patients(
    physician: User, other_physician: User, desk, client_for
):
    stranger = PatientFactory(display_name="Sam Stranger")
    link(other_physician, stranger)
    make_visit(other_physician, stranger, local_morning(10), condition="low_back_pain")
    assert names(
        client_for(physician).get("/api/v1/patients/?condition=low_back_pain&ordering=name")
    ) == ["Cal", "Zed"]
    # Sam logged nothing: flagged
    assert names(client_for(other_physician).get("/api/v1/patients/?open_flags=true")) == ["Sam"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=worst", "ordering"),
        ("ordering=--name", "ordering"),
        ("ordering=", "ordering"),
        ("open_flags=maybe", "open_flags"),
        ("open_flags=null", "open_flags"),
        ("open_flags=1", "open_flags"),
        ("open_flags=", "open_flags"),
        ("condition=gout", "condition"),
        ("condition=", "condition"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(
    physician: User, client_for, query: str, field: str
):
    response = client_for(physician).get(f"/api/v1/patients/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]
    assert not AuditEvent.objects.filter(action="list").exists()


def _row(name: str, flags: list[dict[str, str]]) -> dict[str, object]:
    return {"id": name, "display_name": name, "email": "", "latest": None, "flags": flags}


def test_only_open_flags_count_and_a_flag_without_a_state_is_open():
    """Flag states come from the flags work: an acknowledged or resolved flag is not open;
    a flag from before states (no ``state``) is."""
    old = _row("old", [{"code": "not_logging"}])
    handled = _row(
        "handled",
        [{"code": "soreness_severe", "state": "acknowledged"}, {"code": "x", "state": "resolved"}],
    )
    mixed = _row(
        "mixed",
        [
            {"code": "soreness_severe", "state": "acknowledged"},
            {"code": "not_logging", "state": "open"},
        ],
    )
    worst = _row("worst", [{"code": "soreness_severe", "state": "open"}])

    assert [len(open_flags(r)) for r in (old, handled, mixed, worst)] == [1, 0, 1, 1]
    # one open flag each: the worst open one breaks the tie (soreness_severe > not_logging)
    assert [r["id"] for r in sort_rows([worst, handled, mixed, old], "-open_flags")] == [
        "worst",
        "mixed",
        "old",
        "handled",
    ]
