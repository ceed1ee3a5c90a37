"""Starting a practice: the practice and its first administrator's invitation."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.invitations import IssuedInvitation, practice_invitation_create
from accounts.models import Practice, Role


def practice_create(
    *, name: str, admin_email: str, admin_name: str = "", language: str | None = None
) -> IssuedInvitation:
    """Create a practice and invite its administrator (mailed after the commit, in
    ``language`` when given: see ``practice_invitation_create``).

    Nothing is written unless all of it is: a ValidationError names ``name`` (empty or too
    long), ``admin_email`` (not an address, or already an account's) or ``admin_name``.
    """
    name, admin_email = name.strip(), admin_email.strip().lower()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["The practice needs a name."]
    elif len(name) > Practice._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = ["At most 150 characters."]
    try:
        validate_email(admin_email)
    except ValidationError:
        errors["admin_email"] = [f"{admin_email!r} is not an email address."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        practice = Practice.objects.create(name=name)
        try:
            return practice_invitation_create(
                practice=practice,
                role=Role.PRACTICE_ADMIN,
                email=admin_email,
                display_name=admin_name.strip() or admin_email.split("@")[0],
                invited_by=None,
                site=settings.PUBLIC_URL,
                language=language,
            )
        except ValidationError as exc:
            # Name the command's own options.
            renamed = {"email": "admin_email", "display_name": "admin_name"}
            raise ValidationError(
                {renamed.get(k, k): v for k, v in exc.message_dict.items()}
            ) from exc
