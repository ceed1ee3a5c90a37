"""The demo clinic loaded by `make run`: its shape, its safety guards and its determinism."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import CareLink, Role, User
from audit.models import AuditEvent
from demo.cast import PATIENTS
from demo.seeder import Seeder
from diary.models import Entry
from treatments.models import Visit

pytestmark = pytest.mark.django_db

DEMO_LOGINS = ("doctor@relief.example", "patient@relief.example")


def _seed(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "links": CareLink.objects.count(),
        "visits": Visit.objects.count(),
        "entries": Entry.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _check_clinic_shape(output: str) -> None:
    assert User.objects.filter(role=Role.PHYSICIAN).count() == 2
    patients = list(User.objects.filter(role=Role.PATIENT))
    assert 18 <= len(patients) <= 22
    for patient in patients:
        visits = Visit.objects.filter(patient=patient)
        assert 1 <= visits.count() <= 3, patient.email
        links = CareLink.objects.filter(patient=patient)
        assert links.count() == 1, patient.email
        # Every visit is performed by the patient's own physician.
        assert set(visits.values_list("physician_id", flat=True)) == {links.get().physician_id}
    assert CareLink.objects.filter(
        physician__email="doctor@relief.example", patient__email="patient@relief.example"
    ).exists()
    assert "doctor@relief.example" in output and "patient@relief.example" in output
    assert "2 physicians" in output


def _check_demo_logins() -> None:
    for email in DEMO_LOGINS:
        user = authenticate(email=email, password="relief-demo")
        assert user is not None and user.email == email
    assert User.objects.get(email=DEMO_LOGINS[0]).role == Role.PHYSICIAN
    assert User.objects.get(email=DEMO_LOGINS[1]).role == Role.PATIENT


def _check_visits() -> None:
    now = timezone.now()
    latest = [
        Visit.objects.filter(patient=patient).latest("performed_at")
        for patient in User.objects.filter(role=Role.PATIENT)
    ]
    assert all(visit.performed_at <= now for visit in latest)
    assert sum(visit.performed_at >= now - timedelta(days=22) for visit in latest) >= 15
    assert Visit.objects.filter(baseline_pain__isnull=True).exists()
    assert Visit.objects.filter(baseline_pain__isnull=False).exists()
    assert Visit.objects.values("condition").distinct().count() >= 5
    for visit in Visit.objects.prefetch_related("sites"):
        sites = list(visit.sites.all())
        assert 1 <= len(sites) <= 4
        assert all(site.injectates and site.volume_ml > 0 for site in sites)


def _check_entry_placement() -> None:
    now = timezone.now()
    assert Entry.objects.count() > 200
    assert not Entry.objects.filter(felt_at__gt=now).exists()
    for patient in User.objects.filter(role=Role.PATIENT):
        first = Visit.objects.filter(patient=patient).earliest("performed_at")
        after = Entry.objects.filter(patient=patient, felt_at__gte=first.performed_at)
        assert not after.filter(visit__isnull=True).exists(), patient.email
        assert not after.filter(day__isnull=True).exists(), patient.email
        assert not after.filter(day__lt=0).exists(), patient.email
        before = Entry.objects.filter(patient=patient, felt_at__lt=first.performed_at)
        assert not before.filter(visit__isnull=False).exists(), patient.email


def _check_clinical_story() -> None:
    # A baseline from the week before: a visit without baseline_pain, with entries before it.
    fallback = [
        visit
        for visit in Visit.objects.filter(baseline_pain__isnull=True)
        if Entry.objects.filter(
            patient=visit.patient_id,
            felt_at__lt=visit.performed_at,
            felt_at__gte=visit.performed_at - timedelta(days=7),
        ).exists()
    ]
    assert fallback
    assert Entry.objects.filter(bruising="large").exists()
    assert Entry.objects.exclude(notes="").exists()
    # Occasionally several check-ins on one day.
    days = Entry.objects.values_list("patient_id", "local_date")
    assert len(days) > len(set(days))
    # Soreness is higher on days 0-2 than from day 7 on.
    early = [e.soreness for e in Entry.objects.filter(day__lte=2)]
    late = [e.soreness for e in Entry.objects.filter(day__gte=7)]
    assert sum(early) / len(early) > sum(late) / len(late) + 2


def _check_someone_stopped_logging() -> None:
    now = timezone.now()
    stopped = []
    for patient in User.objects.filter(role=Role.PATIENT):
        visit = Visit.objects.filter(patient=patient).latest("performed_at")
        window_end = min(visit.performed_at + timedelta(days=21), now)
        if window_end - visit.performed_at < timedelta(days=8):
            continue  # too recent to tell
        entries = Entry.objects.filter(visit=visit)
        if (
            entries.exists()
            and not entries.filter(felt_at__gt=window_end - timedelta(days=4)).exists()
        ):
            stopped.append(patient.email)
    assert stopped


def test_demo_clinic(settings) -> None:
    # One seeding for every read-only check: seeding takes a second or two.
    output = _seed(settings)
    _check_clinic_shape(output)
    _check_demo_logins()
    _check_visits()
    _check_entry_placement()
    _check_clinical_story()
    _check_someone_stopped_logging()
    _check_tallies_kept()


def _check_tallies_kept() -> None:
    """The seeder writes through the services, so the kept day tallies match the rows."""
    from diary.models import PatientDay
    from diary.tallies import days_mismatches

    assert PatientDay.objects.exists()
    assert days_mismatches() == (0, [])


def test_second_run_changes_nothing(settings) -> None:
    _seed(settings)
    before = _counts()
    output = _seed(settings)
    assert "already has users" in output
    assert _counts() == before


def test_any_existing_user_keeps_the_database_untouched(settings, patient: User) -> None:
    before = _counts()
    assert "already has users" in _seed(settings)
    assert _counts() == before
    assert not User.objects.filter(email__endswith="@relief.example").exists()


def test_refuses_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_deterministic_for_a_given_moment() -> None:
    now = timezone.now()

    def generate(moment: datetime) -> list[tuple[Any, ...]]:
        seeder = Seeder(moment)
        rows: list[tuple[Any, ...]] = []
        for plan in PATIENTS:
            for visit in seeder.visit_plans(plan):
                rows.append((plan.email, visit.performed_at, visit.recorded_baseline))
                rows.extend(
                    (plan.email, data["felt_at"], data["pain"], data["soreness"])
                    for data in seeder.check_ins(plan, visit)
                )
        return rows

    assert generate(now) == generate(now)

    # The clinical content does not depend on the clock either, only where it is placed
    # (the latest windows are cut at "now", the earlier ones are complete either way).
    def content(moment: datetime) -> list[tuple[Any, ...]]:
        seeder = Seeder(moment)
        rows: list[tuple[Any, ...]] = []
        for plan in PATIENTS:
            visits = seeder.visit_plans(plan)
            for visit in visits:
                rows.append((visit.condition, visit.recorded_baseline, str(visit.sites)))
                entries = seeder.check_ins(plan, visit)
                if visit is not visits[-1]:
                    rows.extend((e["pain"], e["soreness"], e["notes"]) for e in entries)
        return rows

    assert content(now) == content(now - timedelta(days=5, hours=7))
