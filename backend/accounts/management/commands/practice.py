"""Practices from the command line: ``relief practice create "Name" --admin email@…``.

Starting a clinic is one command: it creates the practice and mails its administrator an
invitation (delivered by the worker, ``relief worker``). The code is printed too, for an
operator whose mail does not work yet: the administrator enters it in the app under
"I have an invitation".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.invitation_codes import accept_url
from accounts.practices import practice_create
from core.i18n import Language


class Command(BaseCommand):
    help = "Manage practices (clinics). `practice create NAME --admin EMAIL` starts one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help="Create a practice and mail its administrator an invitation.",
            # Django's own parser class, so errors become CommandError (exit code 1).
            called_from_command_line=getattr(parser, "called_from_command_line", None),
        )
        create.add_argument("name", help='The practice\'s name, e.g. "Northside Pain Clinic".')
        create.add_argument(
            "--admin", required=True, metavar="EMAIL", help="The administrator's email address."
        )
        create.add_argument(
            "--admin-name",
            default="",
            metavar="NAME",
            help="The administrator's name (default: the email's part before the @).",
        )
        create.add_argument(
            "--language",
            choices=Language.values,
            default=None,
            help="The administrator's language (en, es): their invitation mail's and their "
            "account's unless they choose another at sign-up. Default: English mail.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options)

    def _create(self, options: dict[str, Any]) -> None:
        try:
            issued = practice_create(
                name=options["name"],
                admin_email=options["admin"],
                admin_name=options["admin_name"],
                language=options["language"],
            )
        except ValidationError as exc:
            words = {"name": "name", "admin_email": "--admin", "admin_name": "--admin-name"}
            raise CommandError(
                "; ".join(
                    f"{words.get(field, field)}: {' '.join(messages)}"
                    for field, messages in exc.message_dict.items()
                )
                + " Nothing was created."
            ) from exc
        invitation = issued.invitation
        assert invitation.practice is not None
        self.stdout.write(
            f"Created practice {invitation.practice.name!r} ({invitation.practice.pk}).\n"
            f"Invited {invitation.email} as its administrator: the invitation mail is queued "
            "and goes out with the worker (relief worker).\n"
            f"Invitation code (works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC; "
            f"enter it in the app under 'I have an invitation'):\n    {issued.code}"
        )
        if settings.PUBLIC_URL:
            self.stdout.write(f"Sign-up link: {accept_url(settings.PUBLIC_URL, issued.code)}")
