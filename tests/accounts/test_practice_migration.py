"""The practice migration: each physician who had none gets a practice of their own, and
nothing changes for their patients (care links are untouched)."""

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
