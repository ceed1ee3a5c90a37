from __future__ import annotations

import factory

from accounts.models import Practice, Role, User

PASSWORD = "correct horse battery staple"
PATIENT_TZ = "Europe/Berlin"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Faker("name")
    role = Role.PATIENT
    timezone = PATIENT_TZ
    password = factory.django.Password(PASSWORD)


class PatientFactory(UserFactory):
    role = Role.PATIENT


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")


class PhysicianFactory(UserFactory):
    """A physician in a practice of their own unless ``practice=`` names a colleague's."""

    role = Role.PHYSICIAN
    timezone = "America/New_York"
    practice = factory.SubFactory(PracticeFactory)


def local_morning(days_ago: int, tz: str = PATIENT_TZ):  # type: ignore[no-untyped-def]
    """09:00 on the calendar day ``days_ago`` days before today in ``tz`` (the patients'
    zone by default), as an aware datetime. Tests that add hours to a visit time and count
    calendar days from it start here, so they cannot cross a local midnight whatever time
    of day they run."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    zone = ZoneInfo(tz)
    day = timezone.now().astimezone(zone).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(9), tzinfo=zone)


def link(physician: User, patient: User) -> None:
    from accounts.invitations import care_link

    care_link(physician=physician, patient=patient)


SITE = {
    "body_region": "neck",
    "muscle": "Upper trapezius",
    "side": "left",
    "injectates": ["lidocaine"],
    "volume_ml": "1.0",
}


def make_visit(physician: User, patient: User, performed_at, **extra):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from treatments.services import visit_create

    sites = extra.pop("sites", [SITE])
    sites = [{**s, "volume_ml": Decimal(str(s["volume_ml"]))} for s in sites]
    return visit_create(
        physician=physician,
        patient=patient,
        performed_at=performed_at,
        condition=extra.pop("condition", "neck_pain"),
        sites=sites,
        **extra,
    )


def entry_data(felt_at, **extra):  # type: ignore[no-untyped-def]
    data = {
        "felt_at": felt_at,
        "pain": 4,
        "soreness": 3,
        "bruising": "none",
        "iced": False,
        "heated": False,
        "strenuous_activity": False,
        "notes": "",
    }
    data.update(extra)
    return data


def make_entry(patient: User, felt_at, **extra):  # type: ignore[no-untyped-def]
    import uuid

    from diary.actions.save import entry_save

    entry, _ = entry_save(
        patient=patient,
        entry_id=extra.pop("id", None) or uuid.uuid4(),
        data=entry_data(felt_at, **extra),
        expected_version=None,
    )
    return entry
