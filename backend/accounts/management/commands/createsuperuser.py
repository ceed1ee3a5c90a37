"""``relief createsuperuser`` with the password rules on every path.

Django's command checks the password (``validate_password`` with the new user) when it
asks for it interactively, but takes ``DJANGO_SUPERUSER_PASSWORD`` unchecked with
``--noinput``, the way scripts and containers create the first operator. This checks that
password the same way before anything is created.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import User


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            candidate = User(
                email=options.get("email") or os.environ.get("DJANGO_SUPERUSER_EMAIL") or "",
                display_name=options.get("display_name")
                or os.environ.get("DJANGO_SUPERUSER_DISPLAY_NAME")
                or "",
            )
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                raise CommandError("DJANGO_SUPERUSER_PASSWORD: " + " ".join(exc.messages)) from exc
        super().handle(*args, **options)
