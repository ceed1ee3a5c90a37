"""Every answer that carries a patient's stored health data leaves an audit row.

The OpenAPI schema (and the URL resolver, for pages outside the API) is the list of
operations: each is either in ``CASES`` (requests that return health data, with the audit
rows each must write) or in ``NO_HEALTH_DATA`` with the reason. A new operation in neither
fails ``test_every_operation_is_classified``. Each case finds its rows by the server's
request id (the answer's ``X-Request-ID``), so a row written by some other request does
not count.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from diary.models import Entry
from tests.factories import link, make_entry, make_visit
from treatments.models import Visit

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")

# Operations whose answers hold no stored health data of any patient, and why.
NO_HEALTH_DATA_PREFIXES = {
    "/api/v1/auth/": "sign-in, tokens and the caller's own account (no health data)",
    "/api/v1/push/": "the server's push key and the caller's own phone's subscription",
}
NO_HEALTH_DATA = {
    ("/api/v1/invitations/", "get"): "a physician's invitations: name, email, mail status",
    ("/api/v1/invitations/", "post"): "the new invitation and its code",
    ("/api/v1/invitations/accept/", "post"): "the caller's own new account",
    ("/api/v1/audit/", "get"): (
        "the audit log: who accessed which record, not the record; auditing it would add "
        "a row to the list being read on every read"
    ),
    ("/api/v1/reminders/settings/", "get"): "the patient's own reminder times",
    ("/api/v1/reminders/settings/", "patch"): "the patient's own reminder times",
    ("/api/v1/clinic/", "get"): "the clinic's name and phone number, a deployment setting",
    ("/api/v1/practice/", "get"): "the caller's practice and its members (no patients)",
    ("/api/v1/practice/invitations/", "get"): "a practice's invitations to its staff",
    ("/api/v1/practice/invitations/", "post"): "the new invitation and its code",
    ("/api/v1/patients/{id}/care-team/", "get"): (
        "which physicians treat the patient: names, no health data (changes are audited)"
    ),
    ("/api/v1/patients/{id}/care-team/", "post"): (
        "the care team after the change; the change itself is audited with the patient"
    ),
    ("/api/v1/patients/{id}/care-team/{physician_id}/", "delete"): (
        "no body; the change is audited with the patient"
    ),
    ("/api/v1/me/care-team/", "get"): "the patient's own physicians' names and practice",
    ("/api/v1/visits/{id}/report-link/", "post"): (
        "a one-time URL and its expiry; opening it (/reports/visits/{id}/) is the read"
    ),
}


@dataclass
class World:
    patient: User
    physician: User
    visit: Visit
    entry: Entry

    def client(self, who: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(getattr(self, who))
        return client


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(patient: User, physician: User) -> World:
    link(physician, patient)
    now = timezone.now().replace(microsecond=0)
    visit = make_visit(physician, patient, now - timedelta(days=3), baseline_pain=6)
    entry = make_entry(patient, now - timedelta(days=1), pain=5, notes="Stiff in the morning.")
    return World(patient=patient, physician=physician, visit=visit, entry=entry)


def _entry_json(entry: Entry, **changes: Any) -> dict[str, Any]:
    body = {
        "felt_at": entry.felt_at.isoformat(),
        "pain": entry.pain,
        "soreness": entry.soreness,
        "bruising": entry.bruising,
        "iced": entry.iced,
        "heated": entry.heated,
        "strenuous_activity": entry.strenuous_activity,
        "notes": entry.notes,
    }
    return {**body, **changes}


def _visit_json(w: World, visit_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(visit_id),
        "patient": str(w.patient.pk),
        "performed_at": (timezone.now() - timedelta(hours=2)).replace(microsecond=0).isoformat(),
        "condition": "neck_pain",
        "baseline_pain": 7,
        "sites": [
            {
                "body_region": "neck",
                "muscle": "Upper trapezius",
                "side": "left",
                "injectates": ["lidocaine"],
                "volume_ml": 1.0,
            }
        ],
    }


@dataclass(frozen=True)
class Case:
    """One request (made by ``call``, which may first set the stage with other requests)
    and the audit rows its answer must leave: (action, resource, patient, object id)."""

    operation: tuple[str, str]
    call: Callable[[World], Any]
    status: int
    rows: Callable[[World], set[tuple[str, str, Any, str]]]


def _read(resource: str, obj: Callable[[World], Any], action: str = "read"):  # type: ignore[no-untyped-def]
    return lambda w: {(action, resource, w.patient.pk, str(obj(w)))}


def _put_twice_same_visit(w: World) -> Any:
    visit_id = uuid.uuid4()
    body = _visit_json(w, visit_id)  # once: its time is "now", which moves between the posts
    first = w.client("physician").post("/api/v1/visits/", body, format="json")
    assert first.status_code == 201
    w.replayed_visit = visit_id  # type: ignore[attr-defined]
    return w.client("physician").post("/api/v1/visits/", body, format="json")


def _sync(w: World, item: dict[str, Any]) -> Any:
    return w.client("patient").post("/api/v1/entries/sync/", {"entries": [item]}, format="json")


def _last_reminder_id(w: World) -> Any:
    from reminders.models import Reminder

    return Reminder.objects.filter(patient=w.patient, kind="physician").latest("pk").pk


def _report_page(w: World) -> Any:
    link_response = w.client("physician").post(f"/api/v1/visits/{w.visit.pk}/report-link/")
    assert link_response.status_code == 201
    return Client().get(link_response.json()["url"])


def _acknowledge_large_bruise(w: World) -> Any:
    make_entry(w.patient, timezone.now() - timedelta(minutes=5), bruising="large")
    return w.client("physician").post(
        f"/api/v1/visits/{w.visit.pk}/flags/large_bruise/acknowledge/",
        {"note": "Seen."},
        format="json",
    )


ENTRY = "/api/v1/entries/{id}/"
CASES = {
    # --- care team --------------------------------------------------------------------
    "patient list": Case(
        ("/api/v1/patients/", "get"),
        lambda w: w.client("physician").get("/api/v1/patients/"),
        200,
        lambda w: {("list", "patient", w.patient.pk, "")},
    ),
    "patient detail": Case(
        ("/api/v1/patients/{id}/", "get"),
        lambda w: w.client("physician").get(f"/api/v1/patients/{w.patient.pk}/"),
        200,
        _read("patient", lambda w: w.patient.pk),
    ),
    "remind": Case(
        ("/api/v1/patients/{id}/remind/", "post"),
        lambda w: w.client("physician").post(f"/api/v1/patients/{w.patient.pk}/remind/"),
        201,
        lambda w: {("create", "reminder", w.patient.pk, str(_last_reminder_id(w)))},
    ),
    # --- visits -------------------------------------------------------------------------
    "visit list": Case(
        ("/api/v1/visits/", "get"),
        lambda w: w.client("patient").get("/api/v1/visits/"),
        200,
        lambda w: {("list", "visit", w.patient.pk, "")},
    ),
    "visit create": Case(
        ("/api/v1/visits/", "post"),
        lambda w: w.client("physician").post(
            "/api/v1/visits/", _visit_json(w, uuid.UUID(int=7)), format="json"
        ),
        201,
        _read("visit", lambda w: uuid.UUID(int=7), action="create"),
    ),
    "visit create replayed (200 with the stored visit)": Case(
        ("/api/v1/visits/", "post"),
        _put_twice_same_visit,
        200,
        _read("visit", lambda w: w.replayed_visit),
    ),
    "visit detail": Case(
        ("/api/v1/visits/{id}/", "get"),
        lambda w: w.client("patient").get(f"/api/v1/visits/{w.visit.pk}/"),
        200,
        _read("visit", lambda w: w.visit.pk),
    ),
    "visit put": Case(
        ("/api/v1/visits/{id}/", "put"),
        lambda w: w.client("physician").put(
            f"/api/v1/visits/{w.visit.pk}/",
            {k: v for k, v in _visit_json(w, w.visit.pk).items() if k != "id"},
            format="json",
        ),
        200,
        _read("visit", lambda w: w.visit.pk, action="update"),
    ),
    "visit patch": Case(
        ("/api/v1/visits/{id}/", "patch"),
        lambda w: w.client("physician").patch(
            f"/api/v1/visits/{w.visit.pk}/", {"baseline_pain": 5}, format="json"
        ),
        200,
        _read("visit", lambda w: w.visit.pk, action="update"),
    ),
    # --- check-ins ----------------------------------------------------------------------
    "entry list": Case(
        ("/api/v1/entries/", "get"),
        lambda w: w.client("physician").get("/api/v1/entries/"),
        200,
        lambda w: {("list", "entry", w.patient.pk, "")},
    ),
    "entry create": Case(
        ("/api/v1/entries/", "post"),
        lambda w: w.client("patient").post(
            "/api/v1/entries/", {**_entry_json(w.entry), "id": str(uuid.UUID(int=9))}, format="json"
        ),
        201,
        _read("entry", lambda w: uuid.UUID(int=9), action="create"),
    ),
    "entry create replayed (200 with the stored entry)": Case(
        ("/api/v1/entries/", "post"),
        lambda w: w.client("patient").post(
            "/api/v1/entries/", {**_entry_json(w.entry), "id": str(w.entry.pk)}, format="json"
        ),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry create with another's content (409 with the stored entry)": Case(
        ("/api/v1/entries/", "post"),
        lambda w: w.client("patient").post(
            "/api/v1/entries/",
            {**_entry_json(w.entry, pain=9), "id": str(w.entry.pk)},
            format="json",
        ),
        409,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry detail": Case(
        (ENTRY, "get"),
        lambda w: w.client("physician").get(f"/api/v1/entries/{w.entry.pk}/"),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry put replayed (200 with the stored entry)": Case(
        (ENTRY, "put"),
        lambda w: w.client("patient").put(
            f"/api/v1/entries/{w.entry.pk}/", _entry_json(w.entry), format="json"
        ),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry put with other content (409 with the stored entry)": Case(
        (ENTRY, "put"),
        lambda w: w.client("patient").put(
            f"/api/v1/entries/{w.entry.pk}/", _entry_json(w.entry, pain=9), format="json"
        ),
        409,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry put with a stale version (412 with the stored entry)": Case(
        (ENTRY, "put"),
        lambda w: w.client("patient").put(
            f"/api/v1/entries/{w.entry.pk}/",
            _entry_json(w.entry, pain=9),
            format="json",
            HTTP_IF_MATCH='"7"',
        ),
        412,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry put with the current version and the same content (200, stored entry)": Case(
        (ENTRY, "put"),
        lambda w: w.client("patient").put(
            f"/api/v1/entries/{w.entry.pk}/", {**_entry_json(w.entry), "version": 1}, format="json"
        ),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry put edit": Case(
        (ENTRY, "put"),
        lambda w: w.client("patient").put(
            f"/api/v1/entries/{w.entry.pk}/",
            {**_entry_json(w.entry, pain=2), "version": 1},
            format="json",
        ),
        200,
        _read("entry", lambda w: w.entry.pk, action="update"),
    ),
    "entry patch": Case(
        (ENTRY, "patch"),
        lambda w: w.client("patient").patch(
            f"/api/v1/entries/{w.entry.pk}/", {"pain": 2, "version": 1}, format="json"
        ),
        200,
        _read("entry", lambda w: w.entry.pk, action="update"),
    ),
    "entry patch with a stale version (412 with the stored entry)": Case(
        (ENTRY, "patch"),
        lambda w: w.client("patient").patch(
            f"/api/v1/entries/{w.entry.pk}/", {"pain": 2, "version": 4}, format="json"
        ),
        412,
        _read("entry", lambda w: w.entry.pk),
    ),
    "entry delete": Case(
        (ENTRY, "delete"),
        lambda w: w.client("patient").delete(f"/api/v1/entries/{w.entry.pk}/"),
        204,
        _read("entry", lambda w: w.entry.pk, action="delete"),
    ),
    "entry delete with a stale version (412 with the stored entry)": Case(
        (ENTRY, "delete"),
        lambda w: w.client("patient").delete(f"/api/v1/entries/{w.entry.pk}/?version=3"),
        412,
        _read("entry", lambda w: w.entry.pk),
    ),
    "sync create": Case(
        ("/api/v1/entries/sync/", "post"),
        lambda w: _sync(w, {**_entry_json(w.entry), "id": str(uuid.UUID(int=11))}),
        200,
        _read("entry", lambda w: uuid.UUID(int=11), action="create"),
    ),
    "sync conflict (the stored entry in the result)": Case(
        ("/api/v1/entries/sync/", "post"),
        lambda w: _sync(w, {**_entry_json(w.entry, pain=9), "id": str(w.entry.pk)}),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    "sync version_mismatch (the stored entry in the result)": Case(
        ("/api/v1/entries/sync/", "post"),
        lambda w: _sync(w, {**_entry_json(w.entry, pain=9), "id": str(w.entry.pk), "version": 5}),
        200,
        _read("entry", lambda w: w.entry.pk),
    ),
    # --- recovery -----------------------------------------------------------------------
    "flag acknowledge": Case(
        ("/api/v1/visits/{id}/flags/{code}/acknowledge/", "post"),
        _acknowledge_large_bruise,
        201,
        lambda w: {("create", "flag", w.patient.pk, str(w.visit.pk))},
    ),
    "visit recovery": Case(
        ("/api/v1/visits/{id}/recovery/", "get"),
        lambda w: w.client("physician").get(f"/api/v1/visits/{w.visit.pk}/recovery/"),
        200,
        _read("recovery", lambda w: w.visit.pk),
    ),
    "visit recovery chart": Case(
        ("/api/v1/visits/{id}/recovery/chart/", "get"),
        lambda w: w.client("patient").get(f"/api/v1/visits/{w.visit.pk}/recovery/chart/"),
        200,
        _read("recovery", lambda w: w.visit.pk),
    ),
    "course": Case(
        ("/api/v1/patients/{id}/course/", "get"),
        lambda w: w.client("physician").get(f"/api/v1/patients/{w.patient.pk}/course/"),
        200,
        _read("course", lambda w: w.patient.pk),
    ),
    "course chart": Case(
        ("/api/v1/patients/{id}/course/chart/", "get"),
        lambda w: w.client("patient").get(f"/api/v1/patients/{w.patient.pk}/course/chart/"),
        200,
        _read("course", lambda w: w.patient.pk),
    ),
    # Aggregates over the practice: no patient is named, so the row names none.
    "cohort": Case(
        ("/api/v1/cohort/", "get"),
        lambda w: w.client("physician").get("/api/v1/cohort/"),
        200,
        lambda w: {("read", "cohort", None, "")},
    ),
    "cohort chart": Case(
        ("/api/v1/cohort/chart/", "get"),
        lambda w: w.client("physician").get("/api/v1/cohort/chart/"),
        200,
        lambda w: {("read", "cohort", None, "")},
    ),
    # --- exports ------------------------------------------------------------------------
    "fhir export": Case(
        ("/api/v1/patients/{id}/fhir/", "get"),
        lambda w: w.client("patient").get(f"/api/v1/patients/{w.patient.pk}/fhir/"),
        200,
        _read("export_fhir", lambda w: w.patient.pk),
    ),
    "csv export": Case(
        ("/api/v1/patients/{id}/entries.csv", "get"),
        lambda w: w.client("physician").get(f"/api/v1/patients/{w.patient.pk}/entries.csv"),
        200,
        _read("export_csv", lambda w: w.patient.pk),
    ),
    # The practice's outcomes (pseudonyms): a read of each patient in it, naming the practice.
    "practice outcomes export": Case(
        ("/api/v1/practice/outcomes.csv", "get"),
        lambda w: w.client("physician").get("/api/v1/practice/outcomes.csv"),
        200,
        lambda w: {("read", "practice_export", w.patient.pk, str(w.physician.practice_id))},
    ),
    "printable report page": Case(
        ("/reports/visits/{id}/", "get"),
        _report_page,
        200,
        _read("report", lambda w: w.visit.pk),
    ),
}


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def _page_routes(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Routes outside /api/ that Django renders itself (not static files, the schema or
    the admin): each may show health data."""
    routes: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(("api/", "admin/")):
                routes |= _page_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            routes.add(route)
    return routes


# Pages that are not health data: health checks, the web app's own files, the API schema.
PAGES_WITHOUT_HEALTH_DATA = {
    "healthz",
    "readyz",
    "sw.js",
    "vendor/<str:name>",
    "api/schema/",
    "api/docs/",
}


def test_every_operation_is_classified() -> None:
    covered = {case.operation for case in CASES.values()}
    unclassified = sorted(
        operation
        for operation in _schema_operations()
        if operation not in covered
        and operation not in NO_HEALTH_DATA
        and not operation[0].startswith(tuple(NO_HEALTH_DATA_PREFIXES))
    )
    assert not unclassified, (
        f"Operations with no audit case and no reason to have none: {unclassified}. If the "
        "answer carries a patient's stored data, record an audit row and add a case to "
        "CASES; otherwise say why in NO_HEALTH_DATA."
    )
    assert not (covered & NO_HEALTH_DATA.keys())
    pages = {route.replace("<uuid:pk>", "{id}") for route in _page_routes()}
    assert pages - PAGES_WITHOUT_HEALTH_DATA == {
        op[0].lstrip("/") for op in covered if not op[0].startswith("/api/")
    }


@pytest.mark.parametrize("name", list(CASES))
def test_every_answer_with_health_data_leaves_an_audit_row(world: World, name: str) -> None:
    case = CASES[name]
    response = case.call(world)

    assert response.status_code == case.status, response.content
    rows = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert {
        (row.action, row.resource, row.patient_id, row.object_id, row.actor_id, row.outcome)
        for row in rows
    } == {
        (action, resource, patient, obj, _actor(response, world), "allowed")
        for action, resource, patient, obj in case.rows(world)
    }


def _actor(response: Any, w: World) -> Any:
    """Who was signed in for the request: force_authenticate leaves the user on it."""
    user = getattr(response.wsgi_request, "user", None)
    return getattr(user, "pk", None)
