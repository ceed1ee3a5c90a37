"""Invitations: a physician brings a new patient into their care with a one-time code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.invitation_codes import accept_url, code_canonical, code_new
from accounts.mail import mail_send
from accounts.models import PRACTICE_ROLES, CareLink, Invitation, Practice, Role, User
from core.i18n import DEFAULT_LANGUAGE
from core.secrets import secret_digest

INVITATION_LIFETIME = timedelta(days=7)


class InvitationInvalid(Exception):
    """Unknown, used or expired code (one answer for all three)."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    code: str


def _hash(code: str) -> str:
    return secret_digest(code.strip())  # a code pasted with spaces around it still works


def _hashes(code: str) -> list[str]:
    """The hashes a typed code may be stored under: a new-style code's canonical form
    (whatever its case, dashes or spaces), and the text as typed (older codes)."""
    canonical = code_canonical(code)
    return [_hash(code)] if canonical is None else [secret_digest(canonical), _hash(code)]


def _how_to_accept(invitation: Invitation, code: str, site: str) -> str:
    """The mail's instructions: the sign-up link when the app's origin is known, the code
    always, and when it expires (in the active language)."""
    if site:
        link = _(
            "Open this link to set your password:\n\n    %(link)s\n\n"
            "or open the Relief app, choose 'I have an invitation code' and enter this code:"
        ) % {"link": accept_url(site, code)}
    else:
        link = _("Open the Relief app, choose 'I have an invitation code' and enter this code:")
    expires = _("The code works once and expires on %(moment)s UTC.") % {
        "moment": f"{invitation.expires_at:%Y-%m-%d %H:%M}"
    }
    return f"{link}\n\n    {code}\n\n{expires}"


def _issue(
    invitation: Invitation,
    *,
    subject: str,
    opening: str,
    site: str,
) -> IssuedInvitation:
    """Store ``invitation`` (either kind) with a new code's hash and its lifetime, and queue
    its mail ("Hello <name>," + ``opening`` + how to accept) in the same transaction. The
    caller has activated the mail's language (``subject`` and ``opening`` are in it)."""
    code = code_new()
    now = timezone.now()
    invitation.email = invitation.email.strip().lower()
    invitation.display_name = invitation.display_name.strip()
    invitation.code_hash = secret_digest(code_canonical(code) or code)
    invitation.created_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    with transaction.atomic():
        invitation.full_clean(exclude=["code_hash", "mail"])
        invitation.mail = mail_send(
            to=invitation.email,
            subject=subject,
            body=_("Hello %(name)s,") % {"name": invitation.display_name}
            + f"\n\n{opening}"
            + _how_to_accept(invitation, code, site),
            # A code that has expired is not worth sending.
            discard_after=invitation.expires_at,
        )
        invitation.save(force_insert=True)
    return IssuedInvitation(invitation=invitation, code=code)


def invitation_create(
    *,
    physician: User,
    email: str,
    display_name: str,
    site: str = "",
    language: str | None = None,
    mail_language: str = DEFAULT_LANGUAGE,
) -> IssuedInvitation:
    """Store only the code's hash; the code goes to the physician once, and by mail.

    The mail is sent after the invitation commits (``accounts.mail``): a mail server that
    is down or slow never loses the code, which the physician has in the answer and can
    hand over in person, and never makes the request fail. ``invitation.mail.status``
    says what became of the mail. ``site`` (the app's origin) puts the sign-up link in the
    mail. ``language``, chosen for the patient, is the mail's and their account's default;
    unchosen (None), the mail is written in ``mail_language`` (the inviter's).
    """
    words = {"physician": physician.display_name}
    with translation.override(language or mail_language):
        return _issue(
            Invitation(
                physician=physician,
                email=email,
                display_name=display_name,
                language=language or "",
            ),
            subject=_("%(physician)s invites you to Relief") % words,
            # Translators: trigger point injection, Spanish "inyección en puntos gatillo".
            opening=_(
                "%(physician)s uses Relief to follow how you feel after your "
                "trigger point injections. "
            )
            % words,
            site=site,
        )


def invitations_of(*, physician: User) -> QuerySet[Invitation]:
    """The physician's invitations, newest first, with their mail."""
    return (
        Invitation.objects.filter(physician=physician)
        .select_related("mail")
        .order_by("-created_at", "id")
    )


def invitation_accept(
    *, code: str, password: str, timezone_name: str, language: str | None, fallback_language: str
) -> User:
    """Create the invitation's account: a patient with their care link, or a physician,
    staff member or administrator of the invitation's practice (no care link). The code
    is spent atomically. Its language: ``language`` (chosen at sign-up), else the one the
    inviter chose, else ``fallback_language`` (the sign-up request's Accept-Language)."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("physician", "practice")
            .filter(code_hash__in=_hashes(code), accepted_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if invitation is None:
            raise InvitationInvalid
        if User.objects.filter(email=invitation.email).exists():
            # The address is already an account: the physician links it from the admin.
            raise ValidationError({"code": [_("This invitation's email already has an account.")]})
        user = User(
            email=invitation.email,
            display_name=invitation.display_name,
            role=invitation.role,
            practice=invitation.practice if invitation.role != Role.PATIENT else None,
            timezone=timezone_name,
            language=language or invitation.language or fallback_language,
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.full_clean(exclude=["password"])
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as exc:
            raise ValidationError(
                {"code": [_("This invitation's email already has an account.")]}
            ) from exc
        if invitation.role == Role.PATIENT:
            assert invitation.physician is not None  # a patient invitation has its physician
            CareLink.objects.create(physician=invitation.physician, patient=user)
        invitation.accepted_at, invitation.patient = now, user
        invitation.save(update_fields=["accepted_at", "patient"])
    return user


def care_link(*, physician: User, patient: User) -> CareLink:
    """Put a physician on a patient's care team (``accounts.care_team.care_link``)."""
    from accounts.care_team import care_link as link

    return link(physician=physician, patient=patient)


# --- practice invitations: a physician, staff member or administrator of a practice -------

# The whole sentence per role, so that each language words it as it must.
PRACTICE_OPENINGS = {
    Role.PHYSICIAN: gettext_lazy(
        "%(inviter)s invites you to join %(practice)s on Relief as a physician. "
    ),
    Role.STAFF: gettext_lazy(
        "%(inviter)s invites you to join %(practice)s on Relief as a member of staff. "
    ),
    Role.PRACTICE_ADMIN: gettext_lazy(
        "%(inviter)s invites you to join %(practice)s on Relief as the practice administrator. "
    ),
}


def practice_invitation_create(
    *,
    practice: Practice,
    role: str,
    email: str,
    display_name: str,
    invited_by: User | None,
    site: str = "",
    language: str | None = None,
    mail_language: str = DEFAULT_LANGUAGE,
) -> IssuedInvitation:
    """Invite someone to work in ``practice`` as ``role`` (physician, staff, practice admin).

    Like a patient's invitation, only the code's hash is stored and the mail goes after the
    commit; the mail says what the invitation is for. Refused with a ValidationError naming
    the field for a role that is not a practice role, an empty name, or an email that
    already has an account (who would then have two). ``language`` and ``mail_language``
    as for a patient's invitation."""
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if role not in PRACTICE_ROLES:
        errors["role"] = [_("Choose physician, staff or practice_admin.")]
    if not display_name.strip():
        errors["display_name"] = [_("This field may not be blank.")]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("This email address already has an account.")]
    if errors:
        raise ValidationError(errors)
    inviter = invited_by.display_name if invited_by is not None else "Relief"
    words = {"inviter": inviter, "practice": practice.name}
    with translation.override(language or mail_language):
        return _issue(
            Invitation(
                role=role,
                practice=practice,
                invited_by=invited_by,
                email=email,
                display_name=display_name,
                language=language or "",
            ),
            subject=_("Join %(practice)s on Relief") % words,
            opening=str(PRACTICE_OPENINGS[Role(role)]) % words,
            site=site,
        )


def practice_invitations_open(*, practice: Practice) -> QuerySet[Invitation]:
    """A practice's invitations not yet accepted and not expired, newest first."""
    return (
        Invitation.objects.filter(
            practice=practice, accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("mail", "invited_by")
        .order_by("-created_at", "id")
    )
