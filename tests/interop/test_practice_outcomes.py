"""The practice outcomes export: header, a row by hand, pseudonymity, scope, refusals, audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from accounts.models import Role, User
from audit.models import AuditEvent
from interop import practice_export
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

URL = "/api/v1/practice/outcomes.csv"
HEADER = (
    "patient_key,visit_number,visit_month,condition,sites,muscles,body_regions,injectates,"
    "cpt_code,baseline,baseline_source,relief_day_0,relief_day_1,relief_day_2,relief_day_3,"
    "relief_day_4,relief_day_5,relief_day_6,relief_day_7,relief_day_8,relief_day_9,"
    "relief_day_10,relief_day_11,relief_day_12,relief_day_13,relief_day_14,"
    "response_window_closed,responder,substantial_responder"
)


def _site(muscle: str, side: str, injectates: list[str], region: str = "neck") -> dict:
    return {
        "body_region": region,
        "muscle": muscle,
        "side": side,
        "injectates": injectates,
        "volume_ml": "1.0",
    }


@pytest.fixture
def colleague(physician: User) -> User:
    return PhysicianFactory(email="dr.colleague@example.org", practice=physician.practice)


@pytest.fixture
def world(physician: User, colleague: User, other_physician: User) -> dict:
    """Patient A (care team: physician + colleague), two visits:

    1. 40 days ago, neck pain, baseline 8 recorded; sites: upper trapezius left
       (lidocaine) and levator scapulae bilateral (lidocaine + saline) = 3 muscles → 20553.
       Day 0 pain 4 → 50 %; day 3 pains 6 and 5 (mean 5.5) → 31.25 → "31.3"; day 5 pain 4
       → 50 %. Best of days 3-14: 50 → responder, substantial responder. Closed.
       Days 17 and 18 (pains 6 and 4) are past day 14: not in the file, but they are the
       7 days before visit 2.
    2. 20 days ago (day 20 of visit 1), low back pain, by the colleague, no recorded
       baseline: mean of days 17-18 = 5 (prior_entries); one site → 20552. Day 4 pain 4
       → 20 %: not a responder. Closed (day 14 is over).

    Patient B (physician), 2 days ago, baseline 0 recorded: no relief, responder unknown;
    a muscle typed as a formula. Patient D of another practice: never in the file.
    """
    a = PatientFactory(email="anna.a@example.org", display_name="Anna Alpha")
    link(physician, a)
    link(colleague, a)
    first = local_morning(40)
    make_visit(
        physician,
        a,
        first,
        baseline_pain=8,
        notes="Secret note about Anna",
        sites=[
            _site("Upper  trapezius", "left", ["lidocaine"]),
            _site("Levator scapulae", "bilateral", ["lidocaine", "saline"]),
        ],
    )
    for day, pain in ((0, 4), (3, 6), (3, 5), (5, 4), (17, 6), (18, 4)):
        make_entry(a, first + timedelta(days=day, hours=1), pain=pain, notes="call 555-0100")
    second = local_morning(20)
    make_visit(
        colleague,
        a,
        second,
        condition="low_back_pain",
        sites=[_site("Quadratus lumborum", "right", ["magnesium"], region="low_back")],
    )
    make_entry(a, second + timedelta(days=4, hours=1), pain=4)

    b = PatientFactory(email="bert.b@example.org", display_name="Bert Beta")
    link(physician, b)
    recent = local_morning(2)
    make_visit(
        physician, b, recent, baseline_pain=0, sites=[_site("=HYPERLINK(1)", "midline", ["saline"])]
    )
    make_entry(b, recent + timedelta(days=1, hours=1), pain=3)

    d = PatientFactory(email="dora.d@example.org", display_name="Dora Delta")
    link(other_physician, d)
    make_visit(other_physician, d, first, baseline_pain=9)
    make_entry(d, first + timedelta(days=3, hours=1), pain=1)
    return {"a": a, "b": b, "d": d, "dates": (first, second, recent)}


def _get(client, user: User | None):  # type: ignore[no-untyped-def]
    return client(user).get(URL)


def _body(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    assert response.streaming
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return raw.decode("utf-8-sig")


def test_outcomes_header_and_rows_by_hand(world, physician, client_for):
    response = _get(client_for, physician)
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="relief-practice-outcomes-'
    )
    text = _body(response)
    lines = text.split("\r\n")
    assert lines[0] == HEADER
    assert lines[-1] == ""
    rows = list(csv.reader(io.StringIO(text)))[1:]
    practice = physician.practice
    key_a = practice_export.patient_key(practice, world["a"].pk)
    key_b = practice_export.patient_key(practice, world["b"].pk)
    first, second, recent = (moment.strftime("%Y-%m") for moment in world["dates"])
    blank9 = [""] * 9
    assert rows == [
        [
            key_a, "1", first, "neck_pain", "2",
            "Upper trapezius (left); Levator scapulae (bilateral)", "neck",
            "lidocaine; saline", "20553", "8", "recorded",
            "50", "", "", "31.3", "", "50", *blank9,
            "true", "true", "true",
        ],
        [
            key_a, "2", second, "low_back_pain", "1",
            "Quadratus lumborum (right)", "low_back", "magnesium", "20552", "5",
            "prior_entries",
            "", "", "", "", "20", "", *blank9,
            "true", "false", "false",
        ],
        [
            key_b, "1", recent, "neck_pain", "1",
            "'=HYPERLINK(1) (midline)", "neck", "saline", "20552", "0", "recorded",
            *[""] * 15,
            "false", "", "",
        ],
    ]  # fmt: skip
    assert len(key_a) == 16 and key_a != key_b
    assert str(world["a"].pk).replace("-", "") not in key_a


def test_outcomes_carry_no_name_email_id_note_or_other_practice(world, physician, client_for):
    text = _body(_get(client_for, physician))
    forbidden = ["Anna", "Bert", "Dora", "example.org", "Secret", "555-0100", "Europe/Berlin"]
    for user in (world["a"], world["b"], world["d"], physician):
        forbidden += [str(user.pk), str(user.pk).replace("-", ""), user.display_name]
    forbidden += [str(pk) for pk in world["a"].visits.values_list("id", flat=True)]
    for word in forbidden:
        assert word not in text
    # Patient D's one visit (another practice) is not a row: A's two and B's one are.
    assert len(text.split("\r\n")) == 1 + 3 + 1
    assert practice_export.patient_key(physician.practice, world["d"].pk) not in text


def test_every_member_allowed_gets_the_same_file_and_keys_differ_by_practice(
    world, physician, colleague, other_physician, client_for
):
    mine = _body(_get(client_for, physician))
    assert _body(_get(client_for, colleague)) == mine
    admin = UserFactory(role=Role.PRACTICE_ADMIN, practice=physician.practice)
    assert _body(_get(client_for, admin)) == mine
    theirs = list(csv.reader(io.StringIO(_body(_get(client_for, other_physician)))))
    assert len(theirs) == 2
    assert theirs[1][0] == practice_export.patient_key(other_physician.practice, world["d"].pk)
    assert theirs[1][0] != practice_export.patient_key(physician.practice, world["d"].pk)


def test_outcomes_refusals(world, physician, client_for):
    staff = UserFactory(role=Role.STAFF, practice=physician.practice)
    for user, status in ((world["a"], 403), (staff, 403), (None, 401)):
        response = _get(client_for, user)
        assert response.status_code == status
        assert not response.streaming
        assert set(response.json()) == {"code", "detail"}
    loner = PhysicianFactory(practice=None)
    response = _get(client_for, loner)
    assert response.status_code == 403
    assert response.json() == {"code": "no_practice", "detail": "You belong to no practice."}
    # Refusals are recorded as denials (the audit mixin's rule), never as a read.
    outcomes = AuditEvent.objects.filter(resource="practice_export").values_list(
        "actor", "outcome", "patient"
    )
    assert sorted(outcomes, key=str) == sorted(
        [(user.pk, "denied", None) for user in (world["a"], staff, loner)], key=str
    )


def test_outcomes_export_is_a_read_of_each_patient_in_it(world, physician, client_for):
    """Each patient in the file (A and B, not D of another practice) has a row naming the
    practice, so their "who saw my data" lists the download."""
    _body(_get(client_for, physician))
    rows = set(
        AuditEvent.objects.filter(resource="practice_export").values_list(
            "actor", "action", "patient", "object_id", "outcome"
        )
    )
    practice = str(physician.practice_id)
    assert rows == {
        (physician.pk, "read", world["a"].pk, practice, "allowed"),
        (physician.pk, "read", world["b"].pk, practice, "allowed"),
    }


def test_outcomes_read_a_constant_number_of_queries(
    world, physician, client_for, django_assert_max_num_queries
):
    client = client_for(physician)
    with django_assert_max_num_queries(20) as few:
        _body(client.get(URL))
    for n in range(6):
        patient = PatientFactory()
        link(physician, patient)
        make_visit(physician, patient, local_morning(10 + n), baseline_pain=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _body(client.get(URL))


def test_batches_of_any_size_write_the_same_file(world, physician):
    """Visits are read a batch at a time: one visit per batch (three batches here) gives
    the file the default batch (one batch) gives."""
    whole = "".join(practice_export.stream_outcomes(physician.practice))
    assert "".join(practice_export.stream_outcomes(physician.practice, batch=1)) == whole
    assert "".join(practice_export.stream_outcomes(physician.practice, batch=2)) == whole
    assert len(whole.split("\r\n")) == 5
