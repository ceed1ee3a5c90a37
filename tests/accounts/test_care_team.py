"""A patient's care team: physicians of one practice. A physician on the team adds or
removes a colleague (audited with the patient); a physician sees the patient only while on
the team; the patient sees their team."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.care_team import care_link
from accounts.models import CareLink, Practice, Role, User
from audit.models import AuditEvent
from tests.factories import PatientFactory, PhysicianFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def practice(physician: User) -> Practice:
    assert physician.practice is not None
    physician.practice.name = "Northside Pain Clinic"
    physician.practice.save()
    return physician.practice


@pytest.fixture
def colleague(practice: Practice) -> User:
    return PhysicianFactory(
        email="dr.cover@example.org", display_name="Dr. Cover", practice=practice
    )


@pytest.fixture
def team(physician: User, patient: User) -> User:
    care_link(physician=physician, patient=patient)
    return patient


def _url(patient: User, physician: User | None = None) -> str:
    base = f"/api/v1/patients/{patient.pk}/care-team/"
    return base if physician is None else f"{base}{physician.pk}/"


def _team(practice: Practice, *physicians: User) -> dict[str, Any]:
    return {
        "practice": {"id": str(practice.pk), "name": practice.name},
        "physicians": [{"id": str(p.pk), "display_name": p.display_name} for p in physicians],
    }


def _events(patient: User) -> list[tuple[Any, ...]]:
    return list(
        AuditEvent.objects.filter(resource="care_team")
        .order_by("at", "id")
        .values_list("actor_id", "action", "patient_id", "object_id", "outcome")
    )


def test_a_physician_adds_a_colleague_who_then_sees_the_patient(
    physician: User, colleague: User, team: User, practice: Practice, client_for: Any
) -> None:
    patient = team
    assert client_for(colleague).get(f"/api/v1/patients/{patient.pk}/").status_code == 404

    response = client_for(physician).post(
        _url(patient), {"physician": str(colleague.pk)}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json() == _team(practice, colleague, physician)  # by name: Cover, Hope
    assert set(CareLink.objects.filter(patient=patient).values_list("physician", flat=True)) == {
        physician.pk, colleague.pk,
    }  # fmt: skip
    assert _events(patient) == [(physician.pk, "create", patient.pk, str(colleague.pk), "allowed")]
    assert client_for(colleague).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    # Adding them again changes nothing and records nothing new.
    again = client_for(physician).post(
        _url(patient), {"physician": str(colleague.pk)}, format="json"
    )
    assert (again.status_code, again.json()) == (200, _team(practice, colleague, physician))
    assert len(_events(patient)) == 1


def test_the_physician_and_the_patient_read_the_team(
    physician: User, colleague: User, team: User, practice: Practice, client_for: Any
) -> None:
    care_link(physician=colleague, patient=team)

    as_physician = client_for(physician).get(_url(team))
    as_patient = client_for(team).get("/api/v1/me/care-team/")

    assert (as_physician.status_code, as_physician.json()) == (
        200, _team(practice, colleague, physician),
    )  # fmt: skip
    assert (as_patient.status_code, as_patient.json()) == (
        200,
        {
            "practice": "Northside Pain Clinic",
            "physicians": [{"display_name": "Dr. Cover"}, {"display_name": "Dr. Hope"}],
        },
    )


def test_a_patient_with_no_team_sees_an_empty_one(patient: User, client_for: Any) -> None:
    response = client_for(patient).get("/api/v1/me/care-team/")
    assert (response.status_code, response.json()) == (200, {"practice": None, "physicians": []})


def test_removing_a_colleague_ends_their_access_at_once(
    physician: User, colleague: User, team: User, client_for: Any
) -> None:
    care_link(physician=colleague, patient=team)
    assert client_for(colleague).get(f"/api/v1/patients/{team.pk}/").status_code == 200

    response = client_for(physician).delete(_url(team, colleague))

    assert response.status_code == 204
    assert list(CareLink.objects.filter(patient=team).values_list("physician", flat=True)) == [
        physician.pk
    ]
    assert _events(team) == [(physician.pk, "delete", team.pk, str(colleague.pk), "allowed")]
    assert client_for(colleague).get(f"/api/v1/patients/{team.pk}/").status_code == 404
    assert client_for(colleague).get(_url(team)).status_code == 404


def test_the_last_physician_is_never_removed(physician: User, team: User, client_for: Any) -> None:
    response = client_for(physician).delete(_url(team, physician))

    assert response.status_code == 400
    assert response.json() == {
        "code": "last_physician",
        "detail": "A patient's care team keeps at least one physician.",
        "fields": {"physician": ["A patient's care team keeps at least one physician."]},
    }
    assert CareLink.objects.filter(patient=team, physician=physician).exists()
    assert _events(team) == []


def test_removing_someone_not_on_the_team_is_a_404(
    physician: User, colleague: User, team: User, client_for: Any
) -> None:
    response = client_for(physician).delete(_url(team, colleague))
    assert response.status_code == 404
    assert CareLink.objects.filter(patient=team).count() == 1


def test_a_physician_of_another_practice_or_a_non_physician_is_a_400_naming_physician(
    physician: User, practice: Practice, team: User, patient: User, client_for: Any
) -> None:
    foreign = PhysicianFactory(display_name="Dr. Far")
    staff = UserFactory(role=Role.STAFF, practice=practice)
    admin = UserFactory(role=Role.PRACTICE_ADMIN, practice=practice)
    other_patient = PatientFactory()
    for candidate in (foreign.pk, staff.pk, admin.pk, other_patient.pk, team.pk, practice.pk):
        response = client_for(physician).post(
            _url(team), {"physician": str(candidate)}, format="json"
        )
        assert response.status_code == 400, (candidate, response.content)
        assert response.json()["fields"] == {
            "physician": ["Not a physician of this patient's practice."]
        }
    for bad in ("", "not-a-uuid", None):
        response = client_for(physician).post(_url(team), {"physician": bad}, format="json")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["physician"]
    assert CareLink.objects.filter(patient=team).count() == 1
    assert _events(team) == []


def test_a_physician_not_on_the_team_gets_a_404_that_is_audited_with_the_patient(
    colleague: User, team: User, client_for: Any
) -> None:
    for method, url, data in (
        ("get", _url(team), None),
        ("post", _url(team), {"physician": str(colleague.pk)}),
        ("delete", _url(team, colleague), None),
    ):
        response = getattr(client_for(colleague), method)(url, data, format="json")
        assert response.status_code == 404
        assert str(team.pk) not in response.content.decode()
    assert [(a, o, p) for a, _, p, _, o in _events(team)] == [(colleague.pk, "denied", team.pk)] * 3
    assert not CareLink.objects.filter(physician=colleague).exists()


def test_staff_admins_and_patients_are_refused_with_403(
    practice: Practice, colleague: User, team: User, client_for: Any
) -> None:
    staff = UserFactory(role=Role.STAFF, practice=practice)
    admin = UserFactory(role=Role.PRACTICE_ADMIN, practice=practice)
    for user in (staff, admin, team):
        assert client_for(user).get(_url(team)).status_code == 403
        assert (
            client_for(user).post(_url(team), {"physician": str(colleague.pk)}, format="json")
        ).status_code == 403
    for user in (staff, admin, colleague):
        assert client_for(user).get("/api/v1/me/care-team/").status_code == 403
    assert CareLink.objects.filter(patient=team).count() == 1


def test_the_service_keeps_a_team_to_one_practice(physician: User, team: User) -> None:
    foreign = PhysicianFactory()
    with pytest.raises(ValidationError) as raised:
        care_link(physician=foreign, patient=team)
    assert raised.value.message_dict == {
        "physician": ["Not a physician of this patient's practice."]
    }
    assert not CareLink.objects.filter(physician=foreign).exists()
    # Starting a team is free: the first physician sets its practice.
    newcomer = PatientFactory()
    care_link(physician=foreign, patient=newcomer)
    assert CareLink.objects.filter(physician=foreign, patient=newcomer).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_practices_racing_onto_one_team_leave_one_practice(patient: User) -> None:
    """Each physician of two practices links the same new patient at the same moment: the
    patient lock makes one wait for the other, which then sees the team's practice."""
    from tests.concurrency import run_concurrently

    first, second = PhysicianFactory(), PhysicianFactory()
    assert first.practice_id != second.practice_id

    def join(i: int) -> str:
        try:
            care_link(physician=(first, second)[i], patient=patient)
        except ValidationError:
            return "refused"
        return "linked"

    for _ in range(5):
        CareLink.objects.filter(patient=patient).delete()
        assert sorted(run_concurrently(2, join)) == ["linked", "refused"]
        practices = set(
            CareLink.objects.filter(patient=patient).values_list("physician__practice", flat=True)
        )
        assert len(practices) == 1


def test_a_physician_taken_off_the_team_a_moment_ago_can_no_longer_change_it(
    physician: User, colleague: User, team: User
) -> None:
    """The view found the patient while the physician was on the team; by the time the
    change holds the patient's lock they are off it (a colleague removed them at the same
    moment): the service re-checks under the lock and refuses, writing nothing."""
    from accounts.care_team import ActorNotOnCareTeam, care_team_add, care_team_remove
    from audit.context import AuditContext

    care_link(physician=colleague, patient=team)
    CareLink.objects.filter(physician=physician, patient=team).delete()  # the other change
    audit = AuditContext(actor=physician)
    third = PhysicianFactory(practice=physician.practice)
    with pytest.raises(ActorNotOnCareTeam):
        care_team_add(patient=team, colleague_id=third.pk, audit=audit)
    with pytest.raises(ActorNotOnCareTeam):
        care_team_remove(patient=team, physician_id=colleague.pk, audit=audit)
    assert list(CareLink.objects.filter(patient=team).values_list("physician", flat=True)) == [
        colleague.pk
    ]
    assert _events(team) == []


def test_a_deactivated_colleague_cannot_be_added(
    physician: User, colleague: User, team: User, client_for: Any
) -> None:
    colleague.is_active = False
    colleague.save()
    response = client_for(physician).post(
        _url(team), {"physician": str(colleague.pk)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "physician": ["Not a physician of this patient's practice."]
    }
    assert not CareLink.objects.filter(physician=colleague).exists()
