"""Users, sign-in sessions (refresh-token families) and security events."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as dj_tz
from django.utils.translation import gettext as _

from accounts.timezones import timezone_canonical
from core.i18n import DEFAULT_LANGUAGE, Language


def validate_timezone(value: str) -> None:
    """A canonical IANA timezone name such as ``Europe/Berlin`` (``accounts.timezones``):
    what is stored is what every browser's Intl knows, never ``localtime`` or an alias."""
    canonical = timezone_canonical(value)
    if canonical is None:
        raise ValidationError(
            _("%(value)s is not a known IANA timezone.") % {"value": repr(value)},
            code="invalid_timezone",
        )
    if canonical != value:
        raise ValidationError(
            _("%(value)s is an old name for %(canonical)s: use %(canonical)s.")
            % {"value": repr(value), "canonical": repr(canonical)},
            code="invalid_timezone",
        )


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    PHYSICIAN = "physician", "Physician"
    # A practice's staff (front desk, nursing): members of the practice who see no
    # patient's health data.
    STAFF = "staff", "Staff"
    # Runs a practice: invites its physicians and staff; sees no patient's health data.
    PRACTICE_ADMIN = "practice_admin", "Practice administrator"


# The roles that belong to a practice (a patient belongs to a care team instead).
PRACTICE_ROLES = (Role.PHYSICIAN, Role.STAFF, Role.PRACTICE_ADMIN)


class Practice(models.Model):
    """A clinic: its physicians, staff and administrators (``User.practice``). A patient's
    care team is one or more physicians of one practice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=dj_tz.now)

    def __str__(self) -> str:
        return self.name


class ForgetOnUpdate(models.QuerySet):
    """A bulk ``update()`` of users or sessions also drops this process's remembered
    sessions (``accounts.session_cache``); other processes hear of it from the database."""

    def update(self, **kwargs: Any) -> int:
        from accounts.session_cache import session_cache

        session_cache.forget_all()
        return super().update(**kwargs)


class UserManager(BaseUserManager.from_queryset(ForgetOnUpdate)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("role", Role.PHYSICIAN)
        extra.setdefault("display_name", "Administrator")
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a patient or a physician. The email is the login."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices)
    # The practice a physician, staff member or administrator works in; never set for a
    # patient, whose physicians' practice is theirs.
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # What Relief speaks to them: the app, API messages, mail and push (core/i18n.py).
    language = models.CharField(max_length=8, choices=Language.choices, default=DEFAULT_LANGUAGE)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_tz.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["display_name", "role"]

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=Language.values), name="user_language_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.PATIENT) | models.Q(practice__isnull=True),
                name="user_patient_has_no_practice",
            ),
            # Staff and administrators exist only as members of a practice.
            models.CheckConstraint(
                condition=~models.Q(role__in=[Role.STAFF, Role.PRACTICE_ADMIN])
                | models.Q(practice__isnull=False),
                name="user_practice_role_has_practice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_physician(self) -> bool:
        return self.role == Role.PHYSICIAN

    @property
    def is_staff_member(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_practice_admin(self) -> bool:
        return self.role == Role.PRACTICE_ADMIN

    def save(self, *args: Any, **kwargs: Any) -> None:
        # set_password() leaves the raw password in _password until the save; a changed
        # password (or a deactivation) must end every existing sign-in at once.
        from accounts.session_cache import session_cache

        password_changed = getattr(self, "_password", None) is not None and not self._state.adding
        super().save(*args, **kwargs)
        session_cache.forget(user_id=self.pk)
        if password_changed:
            Session.objects.revoke_for_user(self, reason=Session.Reason.PASSWORD_CHANGED)
        if not self.is_active and not self._state.adding:
            Session.objects.revoke_for_user(self, reason=Session.Reason.DEACTIVATED)


class SessionQuerySet(ForgetOnUpdate):
    def revoke_for_user(self, user: User, *, reason: str) -> int:
        return self.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=dj_tz.now(), revoked_reason=reason
        )


class Session(models.Model):
    """One sign-in: the family of refresh tokens descended from it.

    Revoking the session ends every access and refresh token issued under it at once,
    because authentication checks the session on every request.
    """

    class Reason(models.TextChoices):
        LOGOUT = "logout", "Signed out"
        REUSE = "refresh_reuse", "A used refresh token was presented again"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        DEACTIVATED = "deactivated", "Account deactivated"
        IDLE = "idle", "Idle timeout"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by (user, ...) in Meta: no index of its own.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="sessions", db_index=False
    )
    created_at = models.DateTimeField(default=dj_tz.now)
    last_refreshed_at = models.DateTimeField(default=dj_tz.now)
    idle_timeout = models.DurationField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"


class RefreshToken(models.Model):
    """A single-use refresh token, by its JWT id. ``used_at`` is set exactly once: when the
    token is exchanged, or when it is replaced because its parent was presented again by a
    client that never received it (see ``services.session_refresh``)."""

    jti = models.UUIDField(primary_key=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    # The token this one was issued in exchange for (null: issued at sign-in).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    issued_at = models.DateTimeField(default=dj_tz.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh {self.jti}"


class SecurityEvent(models.Model):
    """Something a security reviewer should see: token reuse, a refresh answer re-issued,
    sign-in and password-reset limits hit, a password reset or changed.

    Events anyone can cause without an account (sign-in attempts over a limit) are counted,
    not listed: one row per kind, client address and limit window (``bucket``), whose
    ``count`` goes up by one per attempt, so a flood of attempts writes one row, not one a
    request. ``created_at`` is the first such attempt, ``last_seen_at`` the latest.
    """

    class Kind(models.TextChoices):
        REFRESH_REUSE = "refresh_reuse", "Refresh token reuse"
        REFRESH_RECOVERED = "refresh_recovered", "Lost refresh answer re-issued"
        SIGNIN_LIMITED = "signin_limited", "Sign-in limit reached"
        RESET_LIMITED = "reset_limited", "Password reset limit reached"
        PASSWORD_RESET = "password_reset", "Password set with an emailed link"
        PASSWORD_CHANGED = "password_changed", "Password changed by its owner"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.SET_NULL)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_tz.now)
    detail = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=1)
    # "<kind> <address> <window start>" for counted events; null for one-off events.
    bucket = models.CharField(max_length=128, null=True, blank=True, unique=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class CareLink(models.Model):
    """A physician treats a patient: the physician may see and record that patient's care."""

    # The unique (physician, patient) constraint indexes physician first.
    physician = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="patient_links", db_index=False
    )
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="physician_links")
    created_at = models.DateTimeField(default=dj_tz.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["physician", "patient"], name="carelink_unique"),
            models.CheckConstraint(
                condition=~models.Q(physician=models.F("patient")), name="carelink_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.physician_id} treats {self.patient_id}"


class OutboundMail(models.Model):
    """A mail written in a transaction and sent after its commit (``accounts.mail``).

    The body is kept only until the mail is sent or given up on (an invitation's holds a
    one-time code), then blanked; the row stays as the record of what became of it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Not tried yet"
        SENT = "sent", "Sent"
        FAILED = "failed", "Last attempt failed"

    id = models.BigAutoField(primary_key=True)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_tz.now)
    # When the next attempt may start (also the claim: a sender moves it forward first, so
    # two senders never send one mail twice); null = no further attempt.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    # After this the mail is worthless (the code in it has expired): given up, body blanked.
    discard_after = models.DateTimeField()

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="outboundmail_due",
            )
        ]

    def __str__(self) -> str:
        return f"mail to {self.to} ({self.status})"


class Invitation(models.Model):
    """A one-time code for a new account. Only its SHA-256 is stored.

    ``role`` says what the account will be: a patient invitation (made by a physician, who
    becomes the patient's care team) or a practice invitation (a physician, staff member or
    administrator of ``practice``, made by its administrator or by ``relief practice
    create``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The physician whose care a patient joins; null for a practice invitation.
    physician = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    # The practice a physician, staff member or administrator joins; null for a patient's.
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    # Who made a practice invitation (null: the `relief practice create` command).
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=150)
    # The language the inviter chose for the invitee: the mail's, and the account's when
    # its owner signs up without choosing one. Empty: not chosen (the mail went in the
    # inviter's language; the account takes the sign-up request's Accept-Language).
    language = models.CharField(max_length=8, choices=Language.choices, blank=True, default="")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=dj_tz.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The account the invitation created (a patient's, or a practice member's).
    patient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invitation mail; null for invitations made before mail was tracked.
    mail = models.OneToOneField(
        OutboundMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(
                    role=Role.PATIENT, physician__isnull=False, practice__isnull=True
                )
                | (
                    models.Q(role__in=PRACTICE_ROLES)
                    & models.Q(physician__isnull=True, practice__isnull=False)
                ),
                name="invitation_patient_or_practice",
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=["", *Language.values]),
                name="invitation_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation for {self.email}"


class PasswordReset(models.Model):
    """A single-use link to choose a new password, mailed on request. Only the SHA-256 of
    its token is stored; it is valid for ``password_reset.RESET_LIFETIME`` from
    ``created_at``. ``used_at`` is set when it sets a password, and on every other unused
    link of the account at the same moment (and when the password is changed otherwise):
    one password change ends them all."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=dj_tz.now)
    used_at = models.DateTimeField(null=True, blank=True)
    # The mail that carried the link (its status says whether it went out).
    mail = models.OneToOneField(
        OutboundMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"password reset for {self.user_id}"
