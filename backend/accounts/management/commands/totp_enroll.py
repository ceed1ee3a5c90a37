"""Turn on (or off) TOTP for a staff user's sign-in to /admin/, from the server's shell.

    relief totp_enroll admin@clinic.example              # prints an otpauth:// URI
    relief totp_enroll admin@clinic.example --confirm 123456
    relief totp_enroll admin@clinic.example --remove     # a lost phone

The URI (or its base32 secret) goes into any authenticator app by hand or as a QR code made
on the operator's own machine: nothing leaves the server and no internet is needed. The
device counts only once confirmed with a token from the app, so a mistyped secret cannot
lock anyone out; from then on /admin/ asks that user for a token with the password.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

DEVICE_NAME = "authenticator app"


class Command(BaseCommand):
    help = "Set up, confirm or remove TOTP for a staff user's /admin/ sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--confirm", metavar="TOKEN", help="the 6-digit code the app shows now")
        action.add_argument("--remove", action="store_true", help="delete the user's TOTP devices")

    def handle(self, *args: Any, email: str, confirm: str | None, remove: bool, **kw: Any) -> None:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff user with the email {email!r}.")
        if remove:
            deleted, _ = TOTPDevice.objects.filter(user=user).delete()
            self.stdout.write(f"Removed {deleted} TOTP device(s); /admin/ asks for no token.")
            return
        if confirm is not None:
            self._confirm(user=user, token=confirm)
            return
        with transaction.atomic():
            # A new secret replaces an unconfirmed one; a confirmed device stays in force
            # until this one is confirmed (the old app keeps working meanwhile).
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        self.stdout.write(
            "Add this to the authenticator app (as a link or a QR code made from it):\n\n"
            f"  {device.config_url}\n\n"
            f"then run: relief totp_enroll {user.email} --confirm <code the app shows>"
        )

    def _confirm(self, *, user: User, token: str) -> None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
        if device is None:
            raise CommandError("Nothing to confirm: run relief totp_enroll EMAIL first.")
        if not device.verify_token(token.strip()):
            raise CommandError("That code does not match. Check the app's clock and try again.")
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        self.stdout.write(f"TOTP is on: {user.email} signs in to /admin/ with a code.")
