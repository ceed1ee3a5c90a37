"""Password reset by an emailed link, and what follows every password change.

Asking (``POST /api/v1/auth/password/reset/``) must not tell anyone whether an address has
an account: the answer is the same, and so is the work done before it. The API makes a
token and its hash (:func:`reset_token_new`) whatever the address, answers, and only then,
after the answer has been sent (:func:`password_reset_send`), looks the address up and,
for an active account, stores the hash and mails the link. So the database lookup, the
two inserts and the mail (sent on commit, which can take up to ``EMAIL_TIMEOUT``) never
show in the answer's timing.

Using the link (:func:`password_reset_confirm`) sets the password under the same policy
as everywhere (``accounts.passwords``), ends every session of the account (``User.save``
revokes them on a password change), spends every unused link of the account, records a
``password_reset`` security event and mails the account that its password changed.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.mail import mail_send
from accounts.models import OutboundMail, PasswordReset, SecurityEvent, User
from core.secrets import secret_digest

RESET_LIFETIME = timedelta(minutes=30)
# A "your password was changed" notice is still worth sending days later.
NOTICE_LIFETIME = timedelta(days=7)
# The web app's route for the reset page (frontend/views/reset.js).
RESET_ROUTE = "#/reset"
MAX_TOKEN_LENGTH = 200


class ResetLinkInvalid(Exception):
    """Unknown, used or expired link, or its account deactivated (one answer for all)."""


@dataclass(frozen=True)
class ResetToken:
    token: str
    token_hash: str


def reset_token_new() -> ResetToken:
    """A new link token (256 random bits) and the hash that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return ResetToken(token=token, token_hash=secret_digest(token))


def reset_link(*, app_url: str, token: str | None = None) -> str:
    """The web app's reset page: with ``token``, the page that sets the new password;
    without, the page that asks for a link."""
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{app_url.rstrip('/')}/{RESET_ROUTE}{query}"


def password_reset_send(
    *, email: str, reset: ResetToken, app_url: str, now: datetime
) -> PasswordReset | None:
    """Store the link and mail it, if ``email`` is an active account; None otherwise.

    Called after the answer has gone out (see the module's docstring), so nothing here
    shows in it. The link works once, for ``RESET_LIFETIME``; earlier unused links of the
    account stay valid until then or until one of them is used."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None:
        return None
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    with transaction.atomic(), translation.override(user.language):
        row = PasswordReset(user=user, token_hash=reset.token_hash, created_at=now)
        row.mail = mail_send(
            to=user.email,
            subject=_("Reset your Relief password"),
            body=_("Hello %(name)s,") % {"name": user.display_name}
            + "\n\n"
            + ngettext(
                "Someone asked to reset the password of your Relief account, we hope it "
                "was you. Open this link within %(minutes)d minute to choose a new "
                "password:\n\n    %(link)s\n\n"
                "The link works once. If you did not ask for it, you can ignore this "
                "email: your password stays as it is.",
                "Someone asked to reset the password of your Relief account, we hope it "
                "was you. Open this link within %(minutes)d minutes to choose a new "
                "password:\n\n    %(link)s\n\n"
                "The link works once. If you did not ask for it, you can ignore this "
                "email: your password stays as it is.",
                minutes,
            )
            % {"minutes": minutes, "link": reset_link(app_url=app_url, token=reset.token)},
            discard_after=now + RESET_LIFETIME,  # a dead link is not worth sending
        )
        row.save(force_insert=True)
    return row


def password_reset_confirm(
    *, token: str, password: str, client_address: str | None, app_url: str, now: datetime
) -> User:
    """Set the password of the link's account and spend the link (and every other unused
    link of the account); ``ResetLinkInvalid`` for a link that cannot be used, a
    ``ValidationError`` naming ``password`` for a password the policy refuses (the link
    stays unused then)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ResetLinkInvalid
    with transaction.atomic():
        reset = (
            PasswordReset.objects.select_for_update()
            .select_related("user")
            .filter(
                token_hash=secret_digest(token.strip()),
                used_at__isnull=True,
                created_at__gt=now - RESET_LIFETIME,
                user__is_active=True,
            )
            .first()
        )
        if reset is None:
            raise ResetLinkInvalid
        user = reset.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])  # ends every session of the account
        after_password_change(
            user=user,
            kind=SecurityEvent.Kind.PASSWORD_RESET,
            client_address=client_address,
            app_url=app_url,
            now=now,
            detail={"reset": reset.pk},
        )
    return user


def after_password_change(
    *,
    user: User,
    kind: str,
    client_address: str | None,
    app_url: str,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> OutboundMail:
    """What every password change by its owner brings, in the change's transaction: the
    account's unused reset links are spent, a security event is recorded and the account
    is told by mail (someone else may have done it)."""
    PasswordReset.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    SecurityEvent.objects.create(
        kind=kind,
        user=user,
        client_address=_ip_or_none(client_address),
        created_at=now,
        detail=detail or {},
    )
    words = {
        "date": f"{now:%Y-%m-%d}",
        "time": f"{now:%H:%M}",
        "link": reset_link(app_url=app_url),
    }
    with translation.override(user.language):
        if kind == SecurityEvent.Kind.PASSWORD_RESET:
            what = _(
                "The password of your Relief account was changed with a reset link on "
                "%(date)s at %(time)s UTC. Every device signed in to it has been signed out."
            )
        else:
            what = _(
                "The password of your Relief account was changed in Settings on %(date)s at "
                "%(time)s UTC. Other devices signed in to it have been signed out."
            )
        return mail_send(
            to=user.email,
            subject=_("Your Relief password was changed"),
            body=_("Hello %(name)s,") % {"name": user.display_name}
            + "\n\n"
            + what % words
            + "\n\n"
            + _(
                "If that was you, there is nothing more to do. If it was not, choose a new "
                "password now at\n\n    %(link)s\n\nand tell your clinic."
            )
            % words,
            discard_after=now + NOTICE_LIFETIME,
        )


def _ip_or_none(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None  # "unknown": a request that came without an address
