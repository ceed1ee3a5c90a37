"""Timezones: only canonical IANA names browsers know are stored; aliases are stored canonical;
migration 0007 repairs rows stored before."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.models import CareLink, Invitation, User, validate_timezone
from accounts.timezones import (
    accepted_timezones,
    canonical_timezones,
    timezone_aliases,
    timezone_canonical,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/invitations/accept/"
PASSWORD = "a long and private passphrase"


def _invite(client: APIClient) -> str:
    response = client.post(
        "/api/v1/invitations/",
        {"email": "new.patient@example.org", "display_name": "Nia New"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["code"]


def _accept(code: str, zone: str):  # type: ignore[no-untyped-def]
    return APIClient().post(
        ACCEPT, {"code": code, "password": PASSWORD, "timezone": zone}, format="json"
    )


@pytest.mark.parametrize(
    "zone",
    [
        "localtime",
        "posixrules",
        "Factory",
        "posix/Europe/Berlin",
        "right/Europe/Berlin",
        "Etc/GMT+5",
        "EST5EDT",
        "Mars/Base",
        "europe/berlin",
        "",
    ],
)
def test_a_zone_browsers_do_not_know_is_refused_naming_timezone(
    physician_client: APIClient, zone: str
):
    code = _invite(physician_client)
    response = _accept(code, zone)
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input: timezone.",
        "fields": {"timezone": [f'"{zone}" is not a known IANA timezone.']},
    }
    assert Invitation.objects.get().accepted_at is None
    assert not User.objects.filter(email="new.patient@example.org").exists()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),  # what Chrome's Intl reports in India
        ("Europe/Kiev", "Europe/Kyiv"),
        ("GMT", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Europe/Amsterdam", "Europe/Amsterdam"),  # canonical though the data links it
        ("UTC", "UTC"),
    ],
)
def test_an_alias_is_accepted_and_stored_under_its_canonical_name(
    physician: User, physician_client: APIClient, sent: str, stored: str
):
    code = _invite(physician_client)
    response = _accept(code, sent)
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new.patient@example.org")
    assert response.json() == {
        "id": str(user.pk),
        "email": "new.patient@example.org",
        "display_name": "Nia New",
        "role": "patient",
        "timezone": stored,
        "language": "en",
    }
    assert user.timezone == stored
    assert CareLink.objects.filter(physician=physician, patient=user).exists()


def test_the_model_stores_only_canonical_names():
    validate_timezone("Europe/Berlin")
    with pytest.raises(ValidationError) as alias:
        validate_timezone("US/Eastern")
    assert alias.value.messages == [
        "'US/Eastern' is an old name for 'America/New_York': use 'America/New_York'."
    ]
    with pytest.raises(ValidationError) as unknown:
        validate_timezone("localtime")
    assert unknown.value.messages == ["'localtime' is not a known IANA timezone."]


def test_the_accepted_names_are_the_canonical_ones_and_their_aliases():
    canonical, aliases = canonical_timezones(), timezone_aliases()
    assert set(accepted_timezones()) == canonical | aliases.keys()
    assert set(aliases.values()) <= canonical
    assert not canonical & aliases.keys()
    for name in ("localtime", "posixrules", "Factory", "Etc/GMT+5"):
        assert timezone_canonical(name) is None
    assert not [name for name in accepted_timezones() if name.startswith(("posix/", "right/"))]
    # Every zone.tab location a picker would offer, e.g. both halves of a merged pair.
    assert {"Europe/Amsterdam", "Europe/Brussels", "America/New_York", "UTC"} <= canonical


def test_the_schema_lists_exactly_the_accepted_names(client):  # type: ignore[no-untyped-def]
    schema = client.get("/api/schema/?format=json").json()
    field = schema["components"]["schemas"]["InvitationAcceptRequest"]["properties"]["timezone"]
    component = schema["components"]["schemas"][field["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert component == {"type": "string", "enum": list(accepted_timezones())}


def test_migration_0007_repairs_stored_names():
    module = importlib.import_module("accounts.migrations.0007_canonical_timezones")
    stored = {
        "localtime": "UTC",
        "posixrules": "UTC",
        "US/Eastern": "America/New_York",
        "posix/Asia/Tokyo": "Asia/Tokyo",
        "right/Europe/Kiev": "Europe/Kyiv",
        "Etc/GMT+5": "UTC",
        "Europe/Berlin": "Europe/Berlin",
        "Asia/Kolkata": "Asia/Kolkata",
    }
    users = {name: PatientFactory() for name in stored}
    for name, user in users.items():
        # As rows were stored before: the old validator took any file under zoneinfo.
        User.objects.filter(pk=user.pk).update(timezone=name)

    module.canonicalise_timezones(apps, None)

    assert {name: User.objects.get(pk=user.pk).timezone for name, user in users.items()} == stored
