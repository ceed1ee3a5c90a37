"""The practice migration: each physician who had none gets a practice, and nothing changes
for their patients (care links are untouched): physicians who share a patient share a
practice (a care team is of one practice), any other physician gets one of their own."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0009_password_reset")]
AFTER = [("accounts", "0010_practice")]


def _migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_each_physician_gets_a_practice_of_their_own() -> None:
    old = _migrate(BEFORE)
    User = old.get_model("accounts", "User")
    CareLink = old.get_model("accounts", "CareLink")
    dana = User.objects.create(
        email="dana@example.org", display_name="Dana Reyes", role="physician"
    )
    sam = User.objects.create(email="sam@example.org", display_name="Sam Okafor", role="physician")
    pat = User.objects.create(email="pat@example.org", display_name="Pat", role="patient")
    CareLink.objects.create(physician=dana, patient=pat)
    try:
        new = _migrate(AFTER)
        User = new.get_model("accounts", "User")
        CareLink = new.get_model("accounts", "CareLink")
        dana, sam, pat = (
            User.objects.get(email=e)
            for e in ("dana@example.org", "sam@example.org", "pat@example.org")
        )
        assert dana.practice.name == "Dana Reyes's practice"
        assert sam.practice.name == "Sam Okafor's practice"
        assert dana.practice_id != sam.practice_id
        assert pat.practice_id is None
        assert list(CareLink.objects.values_list("physician__email", "patient__email")) == [
            ("dana@example.org", "pat@example.org")
        ]
    finally:
        User.objects.all().delete()
        call_command("migrate", verbosity=0)  # back to the latest of every app


def test_physicians_who_share_a_patient_share_a_practice() -> None:
    """Before practices a patient could have several physicians. Ann and Ben share Pat, Ben
    and Cal share Quinn: all three are one practice (named after Ann, who joined first);
    Dee shares nobody and gets her own."""
    from datetime import timedelta

    from django.utils import timezone

    old = _migrate(BEFORE)
    User = old.get_model("accounts", "User")
    CareLink = old.get_model("accounts", "CareLink")
    start = timezone.now() - timedelta(days=10)
    doctors = {}
    for n, name in enumerate(("Ann", "Ben", "Cal", "Dee")):
        doctors[name] = User.objects.create(
            email=f"{name.lower()}@example.org",
            display_name=name,
            role="physician",
            date_joined=start + timedelta(days=n),
        )
    pat = User.objects.create(email="pat@example.org", display_name="Pat", role="patient")
    quinn = User.objects.create(email="quinn@example.org", display_name="Quinn", role="patient")
    for doctor, patient in (("Ben", pat), ("Ann", pat), ("Ben", quinn), ("Cal", quinn)):
        CareLink.objects.create(physician=doctors[doctor], patient=patient)
    try:
        new = _migrate(AFTER)
        User = new.get_model("accounts", "User")
        practice = dict(
            User.objects.filter(role="physician").values_list("display_name", "practice__name")
        )
        assert practice == {
            "Ann": "Ann's practice",
            "Ben": "Ann's practice",
            "Cal": "Ann's practice",
            "Dee": "Dee's practice",
        }
        assert new.get_model("accounts", "Practice").objects.count() == 2
    finally:
        User.objects.all().delete()
        call_command("migrate", verbosity=0)  # back to the latest of every app
