"""Who may do what: every OpenAPI operation, for every actor, with its exact status.

The world: ``patient`` (treated by ``physician``) owns one visit and one check-in, both with
``SECRET`` in their notes; ``other_patient`` is treated by ``other_physician`` only.
``other_physician`` is ``physician``'s colleague (the same practice) but not on ``patient``'s
care team; ``staff`` and ``practice_admin`` work in that practice too and see no patient's
health data; ``foreign_physician`` is a physician of another practice.
Detail routes are always called with ``patient``'s record.

Rules the table encodes:
- no token → 401;
- the wrong role → 403 (role checks run before any lookup, so a physician writing a
  check-in gets 403 whether or not the check-in is their patient's);
- someone else's record (another patient's, or a patient another physician treats, even a
  colleague's in the same practice) → 404 that says nothing of the record;
- staff and practice administrators have no patients: 403 on the physicians' and the
  patients' endpoints, empty lists and 404 on the records everyone signed in may read;
- every 403/404 an authenticated user gets on a health-data endpoint (patients, visits,
  entries) leaves one ``AuditEvent`` with outcome "denied" naming that user.

A new operation in the schema without a row here fails ``test_every_schema_operation_has_a_row``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts import invitations
from accounts.models import CareLink, Role, User
from accounts.password_reset import password_reset_send, reset_token_new
from audit.models import AuditEvent
from diary.actions.save import entry_save
from diary.models import Entry
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory, UserFactory
from treatments.models import Visit
from treatments.services import visit_create

pytestmark = pytest.mark.django_db

SECRET = "zq-SECRET-3f9c-never-in-a-refusal"
ACTORS = (
    "patient",
    "other_patient",
    "physician",
    "other_physician",
    "foreign_physician",
    "staff",
    "practice_admin",
    "anonymous",
)
METHODS = ("get", "post", "put", "patch", "delete")
DENIED = (401, 403, 404)
# Actors who must never see anything of `patient`, whatever the status.
OUTSIDERS = (
    "other_patient",
    "other_physician",
    "foreign_physician",
    "staff",
    "practice_admin",
    "anonymous",
)
# Health-data endpoints: refusals there are audited. Path prefix → AuditEvent.resource.
AUDITED = {
    # Most specific first: the first matching prefix or fragment names the resource.
    "/flags/": "flag",
    "/fhir/": "export_fhir",
    "/entries.csv": "export_csv",
    "/api/v1/practice/outcomes.csv": "practice_export",
    "/report-link/": "report",
    "/recovery/": "recovery",
    "/course/": "course",
    "/api/v1/cohort/": "cohort",
    "/care-team/": "care_team",
    "/remind/": "reminder",
    "/api/v1/patients/": "patient",
    "/api/v1/visits/": "visit",
    "/api/v1/entries/": "entry",
}
ACTION_BY_METHOD = {
    "get": "read",
    "post": "create",
    "put": "update",
    "patch": "update",
    "delete": "delete",
}

# fmt: off
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # --- auth: public by design (no authentication runs), so the actor never matters ----
    # Sign-in with `patient`'s email and a wrong password: one generic 401 for everyone.
    ("/api/v1/auth/token/", "post"):
        {"patient": 401, "other_patient": 401, "physician": 401, "other_physician": 401, "foreign_physician": 401, "staff": 401, "practice_admin": 401, "anonymous": 401},
    # Refresh with a string that is not a refresh token: 401 "session_expired" for everyone.
    ("/api/v1/auth/token/refresh/", "post"):
        {"patient": 401, "other_patient": 401, "physician": 401, "other_physician": 401, "foreign_physician": 401, "staff": 401, "practice_admin": 401, "anonymous": 401},
    # Logout with an empty body: idempotent, always 204.
    ("/api/v1/auth/logout/", "post"):
        {"patient": 204, "other_patient": 204, "physician": 204, "other_physician": 204, "foreign_physician": 204, "staff": 204, "practice_admin": 204, "anonymous": 204},
    ("/api/v1/auth/me/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    # Each signed-in user renames themselves.
    ("/api/v1/auth/me/", "patch"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    ("/api/v1/auth/timezones/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    # Each signed-in user changes their own password (with the right current one).
    ("/api/v1/auth/password/", "post"):
        {"patient": 204, "other_patient": 204, "physician": 204, "other_physician": 204, "foreign_physician": 204, "staff": 204, "practice_admin": 204, "anonymous": 401},
    # Asking for a reset link for `patient`: the same 202 for everyone, signed in or not.
    ("/api/v1/auth/password/reset/", "post"):
        {"patient": 202, "other_patient": 202, "physician": 202, "other_physician": 202, "foreign_physician": 202, "staff": 202, "practice_admin": 202, "anonymous": 202},
    # A fresh, valid link (of an account made for it): the token is the credential.
    ("/api/v1/auth/password/reset/confirm/", "post"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 200},
    # The clinic's name and phone: a deployment setting, public like the sign-in screen.
    ("/api/v1/clinic/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 200},
    # --- care team ---------------------------------------------------------------------
    # A physician's own invitations (with what became of each mail).
    ("/api/v1/invitations/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/invitations/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 201, "other_physician": 201, "foreign_physician": 201, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # Accept a fresh, valid invitation (issued by `physician` in each test): the code is
    # the credential, so every caller, signed in or not, gets 201.
    ("/api/v1/invitations/accept/", "post"):
        {"patient": 201, "other_patient": 201, "physician": 201, "other_physician": 201, "foreign_physician": 201, "staff": 201, "practice_admin": 201, "anonymous": 201},
    # --- a practice's people: its members see it; its administrator invites ----------------
    ("/api/v1/practice/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    ("/api/v1/practice/invitations/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 200, "anonymous": 401},
    # A physician invitation to the administrator's practice.
    ("/api/v1/practice/invitations/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 201, "anonymous": 401},
    # --- a patient's care team: physicians on it; the patient reads their own --------------
    ("/api/v1/patients/{id}/care-team/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # Add `other_physician` (a colleague): only a physician on the team may.
    ("/api/v1/patients/{id}/care-team/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 201, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # Remove a covering colleague put on the team for the test (never the last physician).
    ("/api/v1/patients/{id}/care-team/{physician_id}/", "delete"):
        {"patient": 403, "other_patient": 403, "physician": 204, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/me/care-team/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/patients/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/patients/{id}/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    # Remind: physicians, their own patients only; once a day (the 429 is tested in
    # tests/reminders).
    ("/api/v1/patients/{id}/remind/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 201, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # --- reminders: each patient's own settings; physicians have none --------------------
    ("/api/v1/reminders/settings/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/reminders/settings/", "patch"):
        {"patient": 200, "other_patient": 200, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # --- visits: physicians write for their own patients; everyone signed in reads (scoped)
    ("/api/v1/visits/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    # A new visit for `patient`. other_physician: 400 {"patient": ["Not one of your
    # patients."]}, the same answer as for an id that exists nowhere (nothing leaks).
    ("/api/v1/visits/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 201, "other_physician": 400, "foreign_physician": 400, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/visits/{id}/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    ("/api/v1/visits/{id}/", "put"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/visits/{id}/", "patch"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # --- check-ins: patients write their own; everyone signed in reads (scoped) ----------
    ("/api/v1/entries/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    # A new check-in with a fresh id: each patient creates their own (201).
    ("/api/v1/entries/", "post"):
        {"patient": 201, "other_patient": 201, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # A batch of one new check-in with a fresh id: each patient syncs their own (200, with
    # per-entry results; another patient's id inside a batch is tested in tests/diary).
    ("/api/v1/entries/sync/", "post"):
        {"patient": 200, "other_patient": 200, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/entries/{id}/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    # PUT of `patient`'s entry id with its identical content and no version: a replay (200).
    ("/api/v1/entries/{id}/", "put"):
        {"patient": 200, "other_patient": 404, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # PATCH {"pain": 4, "version": 1}: an edit of the current version (200).
    ("/api/v1/entries/{id}/", "patch"):
        {"patient": 200, "other_patient": 404, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # DELETE without a version: allowed (204).
    ("/api/v1/entries/{id}/", "delete"):
        {"patient": 204, "other_patient": 404, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # --- audit log: patients see access to their data, physicians their own actions ------
    ("/api/v1/audit/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    # --- recovery: same permissions as the records; cohort for physicians (own practice) -
    ("/api/v1/visits/{id}/recovery/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    ("/api/v1/visits/{id}/recovery/chart/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    # Acknowledge the open large-bruise flag (raised by a check-in the request makes):
    # physicians, their own patients' visits only (states and 400/409 in tests/recovery).
    ("/api/v1/visits/{id}/flags/{code}/acknowledge/", "post"):
        {"patient": 403, "other_patient": 403, "physician": 201, "other_physician": 404, "foreign_physician": 404, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/patients/{id}/course/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    ("/api/v1/patients/{id}/course/chart/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    ("/api/v1/cohort/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 403, "practice_admin": 403, "anonymous": 401},
    ("/api/v1/cohort/chart/", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # --- exports: same permissions as the records; the report opens with a one-time link -
    ("/api/v1/patients/{id}/fhir/", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    ("/api/v1/patients/{id}/entries.csv", "get"):
        {"patient": 200, "other_patient": 404, "physician": 200, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    # The practice's outcomes (pseudonymous): its physicians and its administrator;
    # foreign_physician gets their own practice's file, which holds none of `patient`'s data.
    ("/api/v1/practice/outcomes.csv", "get"):
        {"patient": 403, "other_patient": 403, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 403, "practice_admin": 200, "anonymous": 401},
    ("/api/v1/visits/{id}/report-link/", "post"):
        {"patient": 201, "other_patient": 404, "physician": 201, "other_physician": 404, "foreign_physician": 404, "staff": 404, "practice_admin": 404, "anonymous": 401},
    # --- push: the key for anyone signed in; patients (un)subscribe their own phone ------
    ("/api/v1/push/key/", "get"):
        {"patient": 200, "other_patient": 200, "physician": 200, "other_physician": 200, "foreign_physician": 200, "staff": 200, "practice_admin": 200, "anonymous": 401},
    ("/api/v1/push/subscriptions/", "post"):
        {"patient": 201, "other_patient": 201, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
    # `patient`'s phone's endpoint: only `patient` removes it (404 for another patient).
    ("/api/v1/push/subscriptions/", "delete"):
        {"patient": 204, "other_patient": 404, "physician": 403, "other_physician": 403, "foreign_physician": 403, "staff": 403, "practice_admin": 403, "anonymous": 401},
}
# fmt: on


# --- the world ----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    patient: User
    physician: User
    visit: Visit
    entry: Entry


@dataclass(frozen=True)
class Call:
    """One request: the body, and the {id} path parameter when the route has one (and any
    other path parameter in ``path``)."""

    data: dict[str, Any] | None = None
    record_id: uuid.UUID | None = None
    query: str = ""
    # Other path parameters than {id}.
    path_params: dict[str, Any] | None = None


SITE = {
    "body_region": "neck",
    "muscle": "Upper trapezius",
    "side": "left",
    "injectates": ["lidocaine"],
    "volume_ml": Decimal("1.0"),
}
SITE_JSON = {**SITE, "volume_ml": 1.0}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # Every test builds four users; PBKDF2 would make the table take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_physician(physician: User) -> User:
    """``physician``'s colleague: the same practice, not on ``patient``'s care team."""
    return PhysicianFactory(
        email="dr.other@example.org", display_name="Dr. Other", practice=physician.practice
    )


@pytest.fixture
def world(patient: User, other_patient: User, physician: User, other_physician: User) -> World:
    CareLink.objects.create(physician=physician, patient=patient)
    CareLink.objects.create(physician=other_physician, patient=other_patient)
    now = timezone.now().replace(microsecond=0)
    visit = visit_create(
        physician=physician,
        patient=patient,
        performed_at=now - timedelta(days=3),
        condition="neck_pain",
        sites=[dict(SITE)],
        baseline_pain=6,
        notes=f"Tight band, referred pain. {SECRET}",
    )
    entry, created = entry_save(
        patient=patient,
        entry_id=uuid.uuid4(),
        data={
            "felt_at": now - timedelta(days=1),
            "pain": 5,
            "soreness": 3,
            "bruising": "small",
            "iced": True,
            "heated": False,
            "strenuous_activity": False,
            "notes": f"Stiff in the morning. {SECRET}",
        },
        expected_version=None,
    )
    assert created
    return World(patient=patient, physician=physician, visit=visit, entry=entry)


@pytest.fixture
def actors(
    patient: User, other_patient: User, physician: User, other_physician: User
) -> dict[str, User | None]:
    return {
        "patient": patient,
        "other_patient": other_patient,
        "physician": physician,
        "other_physician": other_physician,
        "foreign_physician": PhysicianFactory(
            email="dr.far@example.org", display_name="Dr. Far"
        ),
        "staff": UserFactory(
            email="desk@example.org", display_name="Dee Desk", role=Role.STAFF,
            practice=physician.practice,
        ),
        "practice_admin": UserFactory(
            email="ada@example.org", display_name="Ada Admin", role=Role.PRACTICE_ADMIN,
            practice=physician.practice,
        ),
        "anonymous": None,
    }  # fmt: skip


# --- one valid request per operation --------------------------------------------------------


def _entry_content(entry: Entry) -> dict[str, Any]:
    return {
        "felt_at": entry.felt_at.isoformat(),
        "pain": entry.pain,
        "soreness": entry.soreness,
        "bruising": entry.bruising,
        "iced": entry.iced,
        "heated": entry.heated,
        "strenuous_activity": entry.strenuous_activity,
        "notes": entry.notes,
    }


def _token(w: World) -> Call:
    return Call({"email": w.patient.email, "password": "not the password"})


def _refresh(w: World) -> Call:
    return Call({"refresh": "not-a-refresh-token"})


def _logout(w: World) -> Call:
    return Call({})


def _no_body(w: World) -> Call:
    return Call()


def _rename(w: World) -> Call:
    return Call({"display_name": "Renamed Self"})


def _password_change(w: World) -> Call:
    return Call({"current_password": PASSWORD, "new_password": "tangerine-lantern-orbit-42"})


def _reset_ask(w: World) -> Call:
    return Call({"email": w.patient.email})


def _reset_confirm(w: World) -> Call:
    user = PatientFactory(email="resetter@example.org", display_name="Re Setter")
    reset = reset_token_new()
    password_reset_send(
        email=user.email, reset=reset, app_url="https://relief.example.org", now=timezone.now()
    )
    return Call({"token": reset.token, "password": "tangerine-lantern-orbit-42"})


def _invite(w: World) -> Call:
    return Call({"email": "newcomer@example.org", "display_name": "New Comer"})


def _accept(w: World) -> Call:
    issued = invitations.invitation_create(
        physician=w.physician, email="invitee@example.org", display_name="In Vitee"
    )
    return Call(
        {"code": issued.code, "password": "tangerine-lantern-orbit-42", "timezone": "Europe/Berlin"}
    )


def _patient_detail(w: World) -> Call:
    return Call(record_id=w.patient.pk)


def _practice_invite(w: World) -> Call:
    return Call({"email": "new.dr@example.org", "display_name": "Dr. New", "role": "physician"})


def _colleague(w: World) -> User:
    return User.objects.get(email="dr.other@example.org")


def _care_team_add(w: World) -> Call:
    return Call({"physician": str(_colleague(w).pk)}, record_id=w.patient.pk)


def _care_team_remove(w: World) -> Call:
    cover = PhysicianFactory(display_name="Dr. Cover", practice=w.physician.practice)
    CareLink.objects.create(physician=cover, patient=w.patient)
    return Call(record_id=w.patient.pk, path_params={"physician_id": cover.pk})


def _visit_new(w: World) -> Call:
    performed_at = timezone.now() - timedelta(hours=2)
    return Call(
        {
            "patient": str(w.patient.pk),
            "performed_at": performed_at.isoformat(),
            "condition": "neck_pain",
            "baseline_pain": 7,
            "sites": [SITE_JSON],
        }
    )


def _visit_detail(w: World) -> Call:
    return Call(record_id=w.visit.pk)


def _visit_put(w: World) -> Call:
    v = w.visit
    return Call(
        {
            "patient": str(w.patient.pk),
            "performed_at": v.performed_at.isoformat(),
            "condition": v.condition,
            "baseline_pain": v.baseline_pain,
            "post_injection_pain": 2,
            "notes": v.notes,
            "sites": [SITE_JSON],
        },
        record_id=v.pk,
    )


def _visit_patch(w: World) -> Call:
    return Call({"post_injection_pain": 2}, record_id=w.visit.pk)


def _entry_new(w: World) -> Call:
    felt_at = timezone.now() - timedelta(hours=1)
    return Call(
        {
            "id": str(uuid.uuid4()),
            "felt_at": felt_at.isoformat(),
            "pain": 2,
            "soreness": 1,
            "notes": "A fresh check-in.",
        }
    )


def _entry_sync(w: World) -> Call:
    return Call({"entries": [_entry_new(w).data]})


def _entry_detail(w: World) -> Call:
    return Call(record_id=w.entry.pk)


def _entry_put(w: World) -> Call:
    return Call(_entry_content(w.entry), record_id=w.entry.pk)


def _entry_patch(w: World) -> Call:
    return Call({"pain": 4, "version": w.entry.version}, record_id=w.entry.pk)


def _reminder_settings(w: World) -> Call:
    return Call({"evening_time": "20:00"})


def _flag_acknowledge(w: World) -> Call:
    # A check-in with large bruising today (day 3) raises an open large_bruise flag.
    entry_save(
        patient=w.patient,
        entry_id=uuid.uuid4(),
        data={
            "felt_at": timezone.now() - timedelta(minutes=5),
            "pain": 5,
            "soreness": 3,
            "bruising": "large",
            "iced": False,
            "heated": False,
            "strenuous_activity": False,
            "notes": "",
        },
        expected_version=None,
    )
    return Call(
        {"note": "Called: bruise fading."},
        record_id=w.visit.pk,
        path_params={"code": "large_bruise"},
    )


PUSH_ENDPOINT = "https://fcm.googleapis.com/fcm/send/permissions-test"
PUSH_KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


def _push_subscribe(w: World) -> Call:
    return Call({"endpoint": PUSH_ENDPOINT, "keys": PUSH_KEYS})


def _push_unsubscribe(w: World) -> Call:
    from push.services import push_subscribe

    push_subscribe(user=w.patient, endpoint=PUSH_ENDPOINT, **PUSH_KEYS)
    return Call(query=f"?endpoint={PUSH_ENDPOINT}")


REQUESTS: dict[tuple[str, str], Callable[[World], Call]] = {
    ("/api/v1/auth/token/", "post"): _token,
    ("/api/v1/auth/token/refresh/", "post"): _refresh,
    ("/api/v1/auth/logout/", "post"): _logout,
    ("/api/v1/auth/me/", "get"): _no_body,
    ("/api/v1/auth/me/", "patch"): _rename,
    ("/api/v1/auth/timezones/", "get"): _no_body,
    ("/api/v1/auth/password/", "post"): _password_change,
    ("/api/v1/auth/password/reset/", "post"): _reset_ask,
    ("/api/v1/auth/password/reset/confirm/", "post"): _reset_confirm,
    ("/api/v1/clinic/", "get"): _no_body,
    ("/api/v1/invitations/", "get"): _no_body,
    ("/api/v1/invitations/", "post"): _invite,
    ("/api/v1/invitations/accept/", "post"): _accept,
    ("/api/v1/practice/", "get"): _no_body,
    ("/api/v1/practice/invitations/", "get"): _no_body,
    ("/api/v1/practice/invitations/", "post"): _practice_invite,
    ("/api/v1/patients/{id}/care-team/", "get"): _patient_detail,
    ("/api/v1/patients/{id}/care-team/", "post"): _care_team_add,
    ("/api/v1/patients/{id}/care-team/{physician_id}/", "delete"): _care_team_remove,
    ("/api/v1/me/care-team/", "get"): _no_body,
    ("/api/v1/patients/", "get"): _no_body,
    ("/api/v1/patients/{id}/", "get"): _patient_detail,
    ("/api/v1/patients/{id}/remind/", "post"): _patient_detail,
    ("/api/v1/reminders/settings/", "get"): _no_body,
    ("/api/v1/reminders/settings/", "patch"): _reminder_settings,
    ("/api/v1/visits/", "get"): _no_body,
    ("/api/v1/visits/", "post"): _visit_new,
    ("/api/v1/visits/{id}/", "get"): _visit_detail,
    ("/api/v1/visits/{id}/", "put"): _visit_put,
    ("/api/v1/visits/{id}/", "patch"): _visit_patch,
    ("/api/v1/entries/", "get"): _no_body,
    ("/api/v1/entries/", "post"): _entry_new,
    ("/api/v1/entries/sync/", "post"): _entry_sync,
    ("/api/v1/entries/{id}/", "get"): _entry_detail,
    ("/api/v1/entries/{id}/", "put"): _entry_put,
    ("/api/v1/entries/{id}/", "patch"): _entry_patch,
    ("/api/v1/entries/{id}/", "delete"): _entry_detail,
    ("/api/v1/audit/", "get"): _no_body,
    ("/api/v1/visits/{id}/recovery/", "get"): _visit_detail,
    ("/api/v1/visits/{id}/recovery/chart/", "get"): _visit_detail,
    ("/api/v1/visits/{id}/flags/{code}/acknowledge/", "post"): _flag_acknowledge,
    ("/api/v1/patients/{id}/course/", "get"): _patient_detail,
    ("/api/v1/patients/{id}/course/chart/", "get"): _patient_detail,
    ("/api/v1/cohort/", "get"): _no_body,
    ("/api/v1/cohort/chart/", "get"): _no_body,
    ("/api/v1/patients/{id}/fhir/", "get"): _patient_detail,
    ("/api/v1/patients/{id}/entries.csv", "get"): _patient_detail,
    ("/api/v1/practice/outcomes.csv", "get"): _no_body,
    ("/api/v1/visits/{id}/report-link/", "post"): _visit_detail,
    ("/api/v1/push/key/", "get"): _no_body,
    ("/api/v1/push/subscriptions/", "post"): _push_subscribe,
    ("/api/v1/push/subscriptions/", "delete"): _push_unsubscribe,
}


# --- the schema is the list of operations ---------------------------------------------------


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_schema_operation_has_a_row() -> None:
    operations = _schema_operations()
    missing = sorted(operations - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - operations)
    assert not missing, (
        f"Operations in the OpenAPI schema without a permission row: {missing}. "
        "Add each to EXPECTED (status per actor) and REQUESTS (a valid request) in "
        "tests/test_permissions.py."
    )
    assert not stale, f"Rows for operations no longer in the schema: {stale}"
    assert REQUESTS.keys() == EXPECTED.keys()
    for operation, row in EXPECTED.items():
        assert tuple(row) == ACTORS, f"{operation}: one status per actor, in ACTORS order"


# --- the table --------------------------------------------------------------------------------


def _assert_error_shape(body: Any) -> None:
    assert isinstance(body, dict), body
    assert {"code", "detail"} <= set(body) <= {"code", "detail", "fields"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    if "fields" in body:
        assert isinstance(body["fields"], dict), body
        for messages in body["fields"].values():
            assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)


def _patient_markers(w: World) -> list[str]:
    """Text that only someone allowed to see `patient`'s records may receive."""
    markers = [SECRET, w.patient.email, w.patient.display_name]
    for pk in (w.patient.pk, w.visit.pk, w.entry.pk):
        markers += [str(pk), pk.hex]
    return markers


def _audited_resource(path: str) -> str | None:
    return next(
        (res for key, res in AUDITED.items() if path.startswith(key) or key in path[1:]), None
    )


CASES = [
    pytest.param(operation, actor, id=f"{operation[1].upper()} {operation[0]} as {actor}")
    for operation in EXPECTED
    for actor in ACTORS
]


@pytest.mark.parametrize(("operation", "actor"), CASES)
def test_permission(
    operation: tuple[str, str],
    actor: str,
    world: World,
    actors: dict[str, User | None],
    client_for: Callable[[User | None], Any],
) -> None:
    path, method = operation
    expected = EXPECTED[operation][actor]
    user = actors[actor]
    call = REQUESTS[operation](world)
    assert ("{id}" in path) == (call.record_id is not None), "fill every path parameter"
    url = path.format(id=call.record_id, **(call.path_params or {})) + call.query
    denied_before = set(
        AuditEvent.objects.filter(actor=user, outcome="denied").values_list("pk", flat=True)
    )

    response = getattr(client_for(user), method)(url, data=call.data, format="json")

    # A streamed body (the CSV export) has no .content; read the stream instead.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    assert response.status_code == expected, f"{method.upper()} {url} as {actor}: {text}"

    if expected in DENIED:
        _assert_error_shape(response.json())
        for marker in [SECRET, world.patient.email]:
            assert marker not in text, f"refusal leaks {marker!r}: {text}"
        if call.record_id is not None:
            for marker in (str(call.record_id), call.record_id.hex):
                assert marker not in text, f"refusal names the record: {text}"
    if actor in OUTSIDERS:
        for marker in _patient_markers(world):
            assert marker not in text, f"{actor} received {marker!r}: {text}"
    if (
        actor in ("patient", "physician")
        and method == "get"
        and path.startswith(("/api/v1/visits/", "/api/v1/entries/"))
        and "/recovery/" not in path
    ):
        # The leak checks above mean something only if the secret is reachable at all.
        assert SECRET in text

    resource = _audited_resource(path)
    if user is None or resource is None:
        return
    denied = AuditEvent.objects.filter(actor=user, outcome="denied").exclude(pk__in=denied_before)
    # A visit for someone else's patient is a 400 naming `patient` (it must not confirm the
    # patient exists) but it is a refused write all the same, so it is audited like a 404.
    refused_as_400 = expected == 400 and (path, method) == ("/api/v1/visits/", "post")
    if expected in (403, 404) or refused_as_400:
        rows = list(denied)
        assert len(rows) == 1, f"expected one 'denied' audit row for {actor}, got {rows}"
        row = rows[0]
        assert (row.resource, row.action) == (resource, ACTION_BY_METHOD[method])
        assert row.actor_role == user.role
        assert row.object_id == str(call.record_id or "")
        if expected == 404 or refused_as_400:
            # The refusal says nothing; the audit row names whose record it was.
            assert row.patient_id == world.patient.pk
    else:
        assert not denied.exists(), f"{expected} for {actor} but a 'denied' audit row"
