from __future__ import annotations

import factory

from accounts.models import Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Faker("name")
    role = Role.PATIENT
    timezone = "Europe/Berlin"
    password = factory.django.Password(PASSWORD)


class PatientFactory(UserFactory):
    role = Role.PATIENT


class PhysicianFactory(UserFactory):
    role = Role.PHYSICIAN
    timezone = "America/New_York"
