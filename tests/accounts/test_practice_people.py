"""A practice's people: the administrator invites physicians, staff and administrators;
members list the practice."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.invitation_codes import qr_svg_data_uri
from accounts.models import CareLink, Invitation, OutboundMail, Practice, Role, User
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD, PhysicianFactory, UserFactory
from tests.worker import run_worker_once

pytestmark = pytest.mark.django_db

INVITE = "/api/v1/practice/invitations/"
PASSPHRASE = "a long and private passphrase"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def practice(db: None) -> Practice:
    return Practice.objects.create(name="Northside Pain Clinic")


@pytest.fixture
def admin(practice: Practice) -> User:
    return UserFactory(
        email="ada@northside.example", display_name="Ada Admin",
        role=Role.PRACTICE_ADMIN, practice=practice,
    )  # fmt: skip


def _z(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _accept(code: str) -> Any:
    return APIClient().post(
        "/api/v1/invitations/accept/",
        {"code": code, "password": PASSPHRASE, "timezone": "Europe/Paris"},
        format="json",
    )


@pytest.mark.django_db(transaction=True)  # the worker sends the mail after the commit
def test_the_admin_invites_a_physician_who_accepts_and_joins_the_practice(
    practice: Practice, admin: User, client_for: Any
) -> None:
    response = client_for(admin).post(
        INVITE,
        {"email": "Dr.New@Example.org", "display_name": "Dr. New", "role": "physician"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    invitation = Invitation.objects.get()
    queued = OutboundMail.objects.get()
    assert body == {
        "id": str(invitation.id),
        "email": "dr.new@example.org",
        "display_name": "Dr. New",
        "language": None,
        "role": "physician",
        "expires_at": _z(invitation.expires_at),
        "code": body["code"],
        "accept_url": f"http://testserver/#/accept?code={body['code']}",
        "qr_svg": qr_svg_data_uri(body["accept_url"]),  # checked in test_invitation_codes
        "mail_status": "pending",
        "mail_next_attempt_at": _z(queued.next_attempt_at),
    }
    assert (invitation.role, invitation.practice, invitation.invited_by) == (
        "physician", practice, admin,
    )  # fmt: skip
    assert invitation.physician is None
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", body["code"])
    canonical = body["code"].replace("-", "")
    assert invitation.code_hash == hashlib.sha256(canonical.encode()).hexdigest()

    run_worker_once()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject) == (
        ["dr.new@example.org"],
        "Join Northside Pain Clinic on Relief",
    )
    assert "Ada Admin invites you to join Northside Pain Clinic on Relief as a physician" in (
        sent.body
    )
    assert body["code"] in sent.body
    assert body["accept_url"] in sent.body

    accepted = _accept(body["code"])
    assert accepted.status_code == 201, accepted.content
    user = User.objects.get(email="dr.new@example.org")
    assert accepted.json() == {
        "id": str(user.id),
        "email": "dr.new@example.org",
        "display_name": "Dr. New",
        "role": "physician",
        "timezone": "Europe/Paris",
        "language": "en",
    }
    assert user.practice == practice
    assert not CareLink.objects.filter(physician=user).exists()
    assert not CareLink.objects.filter(patient=user).exists()
    assert sign_in("dr.new@example.org", PASSPHRASE)
    # The open invitations list no longer has it.
    listed = client_for(admin).get(INVITE).json()
    assert listed["results"] == []


@pytest.mark.parametrize(
    ("role", "words"),
    [("staff", "as a member of staff"), ("practice_admin", "as the practice administrator")],
)
def test_staff_and_admin_invitations_make_that_role(
    practice: Practice, admin: User, client_for: Any, role: str, words: str
) -> None:
    response = client_for(admin).post(
        INVITE, {"email": "sam@example.org", "display_name": "Sam", "role": role}, format="json"
    )
    assert response.status_code == 201, response.content
    assert words in OutboundMail.objects.get().body

    assert _accept(response.json()["code"]).status_code == 201
    user = User.objects.get(email="sam@example.org")
    assert (user.role, user.practice) == (role, practice)


def test_the_admin_lists_the_open_invitations_of_their_practice_only(
    practice: Practice, admin: User, client_for: Any
) -> None:
    from accounts.invitations import practice_invitation_create

    mine = practice_invitation_create(
        practice=practice, role="staff", email="desk@example.org", display_name="Desk",
        invited_by=admin,
    ).invitation  # fmt: skip
    practice_invitation_create(
        practice=Practice.objects.create(name="Elsewhere"), role="physician",
        email="far@example.org", display_name="Far", invited_by=None,
    )  # fmt: skip

    response = client_for(admin).get(INVITE)

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(mine.id),
                "email": "desk@example.org",
                "display_name": "Desk",
                "role": "staff",
                "language": None,
                "created_at": _z(mine.created_at),
                "expires_at": _z(mine.expires_at),
                "invited_by": "Ada Admin",
                "mail_status": "pending",
                "mail_next_attempt_at": _z(mine.mail.next_attempt_at),  # type: ignore[union-attr]
            }
        ],
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "x@example.org", "display_name": "X", "role": "patient"}, "role"),
        ({"email": "x@example.org", "display_name": "X", "role": "superuser"}, "role"),
        ({"email": "not-an-email", "display_name": "X", "role": "staff"}, "email"),
        ({"email": "x@example.org", "display_name": "", "role": "staff"}, "display_name"),
        ({"email": "ada@northside.example", "display_name": "X", "role": "staff"}, "email"),
    ],
)
def test_a_bad_invitation_is_a_400_naming_the_field_and_writes_nothing(
    admin: User, client_for: Any, data: dict[str, str], field: str
) -> None:
    response = client_for(admin).post(INVITE, data, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]
    assert not Invitation.objects.exists()
    assert not OutboundMail.objects.exists()


def test_only_a_practice_admin_invites_to_a_practice(
    practice: Practice, client_for: Any, patient: User
) -> None:
    physician = PhysicianFactory(practice=practice)
    staff = UserFactory(role=Role.STAFF, practice=practice)
    data = {"email": "x@example.org", "display_name": "X", "role": "physician"}
    for user in (physician, staff, patient):
        assert client_for(user).post(INVITE, data, format="json").status_code == 403
        assert client_for(user).get(INVITE).status_code == 403
    assert client_for(None).post(INVITE, data, format="json").status_code == 401
    assert not Invitation.objects.exists()


def test_members_see_their_practice_with_roles_and_patients_are_refused(
    practice: Practice, admin: User, client_for: Any, patient: User
) -> None:
    hope = PhysicianFactory(email="hope@example.org", display_name="Dr. Hope", practice=practice)
    desk = UserFactory(
        email="desk@example.org", display_name="Dee Desk", role=Role.STAFF, practice=practice
    )
    PhysicianFactory(display_name="Dr. Elsewhere")  # another practice: not listed

    expected = {
        "id": str(practice.id),
        "name": "Northside Pain Clinic",
        "members": [
            {"id": str(hope.id), "display_name": "Dr. Hope", "email": "hope@example.org",
             "role": "physician"},
            {"id": str(admin.id), "display_name": "Ada Admin", "email": "ada@northside.example",
             "role": "practice_admin"},
            {"id": str(desk.id), "display_name": "Dee Desk", "email": "desk@example.org",
             "role": "staff"},
        ],
    }  # fmt: skip
    for user in (hope, desk, admin):
        response = client_for(user).get("/api/v1/practice/")
        assert response.status_code == 200
        assert response.json() == expected

    refused = client_for(patient).get("/api/v1/practice/")
    assert refused.status_code == 403
    assert "Northside" not in refused.content.decode()


def test_a_patient_invitation_still_makes_a_patient_with_a_care_link(
    physician: User, physician_client: APIClient
) -> None:
    code = physician_client.post(
        "/api/v1/invitations/", {"email": "nia@example.org", "display_name": "Nia"}, format="json"
    ).json()["code"]
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.practice, invitation.physician) == (
        "patient", None, physician,
    )  # fmt: skip

    assert _accept(code).status_code == 201
    user = User.objects.get(email="nia@example.org")
    assert (user.role, user.practice) == ("patient", None)
    assert CareLink.objects.filter(physician=physician, patient=user).exists()


def test_the_database_refuses_an_invitation_that_is_neither_a_patients_nor_a_practices(
    practice: Practice, physician: User
) -> None:
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    now = timezone.now()
    common = {"email": "x@example.org", "display_name": "X", "expires_at": now}
    bad = [
        {"role": "patient", "physician": None, "practice": None},
        {"role": "patient", "physician": physician, "practice": practice},
        {"role": "staff", "physician": None, "practice": None},
        {"role": "physician", "physician": physician, "practice": practice},
    ]
    for n, fields in enumerate(bad):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invitation.objects.create(code_hash=f"h{n}", **common, **fields)


@pytest.mark.parametrize("role", ["staff", "practice_admin"])
def test_staff_and_administrators_exist_only_in_a_practice(role: str) -> None:
    """The database refuses them without one (so no practice-less administrator can reach
    the practice endpoints); `createsuperuser` and admin forms go through the same check."""
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    with pytest.raises(ValidationError, match="user_practice_role_has_practice"):
        User.objects.create_user("desk@example.org", PASSWORD, display_name="D", role=role)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="desk@example.org", display_name="D", role=role)])
