"""Writes for accounts: sign-in, refresh (single use, atomic), sign-out, a password change
and the profile (name, timezone). Password reset: ``accounts.password_reset``."""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefreshToken

from accounts.models import RefreshToken, SecurityEvent, Session, User
from accounts.password_reset import after_password_change
from accounts.patient_time import lock_patient
from accounts.tokens import SESSION_CLAIM, TokenPair, issue_pair


class SignInFailed(Exception):
    """Wrong email or password, or an inactive account (one message for all)."""


class WrongPassword(Exception):
    """The current password given to change it is not the account's."""


class RefreshFailed(Exception):
    """The refresh token is invalid, expired, used or its session has ended.

    ``retry_after`` (seconds) is set when the token was spent a moment ago by this client's
    own concurrent refresh, or by a refresh whose answer it may not have received yet: the
    session lives on, and the client should keep its cookie and ask again after that long.
    """

    def __init__(self, *, retry_after: int | None = None) -> None:
        super().__init__()
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignIn:
    user: User
    tokens: TokenPair


def session_start(*, user: User) -> TokenPair:
    """Open a sign-in session with the role's idle and absolute limits; issue its first pair."""
    now = timezone.now()
    idle, absolute = settings.RELIEF_SESSION_LIMITS[user.role]
    with transaction.atomic():
        session = Session.objects.create(
            user=user,
            created_at=now,
            last_refreshed_at=now,
            idle_timeout=idle,
            expires_at=now + absolute,
        )
        return issue_pair(session=session, now=now)


def user_sign_in(*, request: HttpRequest | None, email: str, password: str) -> SignIn:
    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise SignInFailed
    return SignIn(user=user, tokens=session_start(user=user))


def _decode_refresh(raw: str) -> tuple[uuid.UUID, uuid.UUID]:
    try:
        token = JWTRefreshToken(raw)  # type: ignore[arg-type]  # the stubs omit str
        return uuid.UUID(token[api_settings.JTI_CLAIM]), uuid.UUID(token[SESSION_CLAIM])
    except (TokenError, KeyError, ValueError, TypeError) as exc:
        raise RefreshFailed from exc


def session_refresh(*, raw_refresh: str, client_address: str | None = None) -> SignIn:
    """Consume a refresh token exactly once and issue the next pair of the same session.

    The consume is one conditional UPDATE (``used_at IS NULL``), so of any number of
    concurrent refreshes with one token exactly one succeeds, on PostgreSQL and SQLite alike.

    A token presented after it was used is one of these:
    - a token of a session that has ended (signed out, expired, idle, account inactive):
      refused, nothing more, since there is nothing left to steal;
    - a client race (two tabs refreshing at once), when it comes within
      ``REFRESH_REUSE_GRACE_SECONDS`` of the first use: refused with ``retry_after``, the
      session kept;
    - a lost answer, when the token it was exchanged for has never been used and it was
      spent less than ``REFRESH_RECOVERY_SECONDS`` ago: a phone on a bad network sent the
      refresh, the server rotated, and the response (with the new cookie) never arrived.
      That unused token is spent, a new pair issued and a ``refresh_recovered`` security
      event written with the address, so a dropped response does not sign the patient out.
      Whoever holds the replaced token can no longer use it: presenting it later is reuse;
    - otherwise *reuse*: the whole session (every token descended from the same sign-in) is
      revoked and a security event recorded.
    """
    jti, sid = _decode_refresh(raw_refresh)
    now = timezone.now()
    with transaction.atomic():
        consumed = RefreshToken.objects.filter(
            jti=jti, session_id=sid, used_at__isnull=True
        ).update(used_at=now)
        # Committed even when the session turns out to have ended: the token stays spent.
        renewed = _renew(sid=sid, parent_jti=jti, now=now) if consumed else None
    if consumed:
        if renewed is None:
            raise RefreshFailed
        return renewed
    used_at = (
        RefreshToken.objects.filter(jti=jti, session_id=sid)
        .values_list("used_at", flat=True)
        .first()
    )
    if used_at is None or _live_session(sid=sid, now=now) is None:
        raise RefreshFailed  # not a token of this server's, or a session that has ended
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    if now - used_at <= grace:
        raise RefreshFailed(retry_after=_seconds_until(used_at + grace, now))
    recoverable = now - used_at <= timedelta(seconds=settings.REFRESH_RECOVERY_SECONDS)
    with transaction.atomic():
        # In one transaction: the unreceived child is never spent without its replacement.
        found = _unreceived_child(jti=jti, sid=sid, now=now, grace=grace) if recoverable else None
        renewed = None
        if isinstance(found, uuid.UUID):
            renewed = _renew(sid=sid, parent_jti=jti, now=now)
            if renewed is not None:
                SecurityEvent.objects.create(
                    kind=SecurityEvent.Kind.REFRESH_RECOVERED,
                    user_id=renewed.user.pk,
                    session_id=sid,
                    client_address=client_address,
                    detail={"jti": str(jti), "replaced": str(found)},
                )
    if found is None:
        session_revoke_for_reuse(session_id=sid, jti=jti, client_address=client_address)
        raise RefreshFailed
    if isinstance(found, datetime):
        raise RefreshFailed(retry_after=_seconds_until(found, now))
    if renewed is None:
        raise RefreshFailed  # the session ended while the child was being replaced
    return renewed


def _unreceived_child(
    *, jti: uuid.UUID, sid: uuid.UUID, now: datetime, grace: timedelta
) -> uuid.UUID | datetime | None:
    """What presenting the spent token ``jti`` again means, decided by the newest token that
    was issued in exchange for it (its child):

    - its id, when it was never used (its answer never arrived) and has been spent here by
      one conditional UPDATE: of concurrent presentations only one replaces it;
    - a moment to ask again (with the newest cookie), when the child was issued or used
      within the grace window, or a concurrent presentation has just replaced it;
    - None when the child was used, has expired or does not exist: ``jti`` is a stale copy.
    """
    child = (
        RefreshToken.objects.filter(parent_id=jti, session_id=sid)
        .order_by("-issued_at")
        .values_list("jti", "issued_at", "used_at", "expires_at")
        .first()
    )
    if child is None:
        return None
    child_jti, issued_at, used_at, expires_at = child
    latest = max(issued_at, used_at or issued_at)
    if now - latest <= grace:
        return latest + grace
    if used_at is not None or expires_at <= now:
        return None
    spent = RefreshToken.objects.filter(jti=child_jti, used_at__isnull=True).update(used_at=now)
    return child_jti if spent else now + grace


def _live_session(*, sid: uuid.UUID, now: datetime) -> Session | None:
    """Session ``sid`` with its user, or None when it has ended: revoked, past its end, its
    account inactive, or idle too long (then it is ended here, with that reason)."""
    session = Session.objects.select_related("user").filter(pk=sid).first()
    if session is None:
        return None
    if session.revoked_at is not None or session.expires_at <= now or not session.user.is_active:
        return None
    idle = session.idle_timeout
    if idle is not None and now - session.last_refreshed_at > idle:
        session_end(session_id=sid, reason=Session.Reason.IDLE)
        return None
    return session


def _renew(*, sid: uuid.UUID, parent_jti: uuid.UUID, now: datetime) -> SignIn | None:
    """The next pair of session ``sid`` (inside the caller's transaction), or None when the
    session has ended (see ``_live_session``)."""
    session = _live_session(sid=sid, now=now)
    if session is None:
        return None
    session.last_refreshed_at = now
    session.save(update_fields=["last_refreshed_at"])
    tokens = issue_pair(session=session, now=now, parent_jti=parent_jti)
    return SignIn(user=session.user, tokens=tokens)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def session_revoke_for_reuse(
    *, session_id: uuid.UUID, jti: uuid.UUID, client_address: str | None
) -> None:
    with transaction.atomic():
        user_id = Session.objects.filter(pk=session_id).values_list("user_id", flat=True).first()
        session_end(session_id=session_id, reason=Session.Reason.REUSE)
        SecurityEvent.objects.create(
            kind=SecurityEvent.Kind.REFRESH_REUSE,
            user_id=user_id,
            session_id=session_id,
            client_address=client_address,
            detail={"jti": str(jti)},
        )


def session_end(*, session_id: uuid.UUID, reason: str = Session.Reason.LOGOUT) -> int:
    """Revoke a sign-in session: every token issued under it stops working at once."""
    return Session.objects.filter(pk=session_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def session_id_from_refresh(raw: str) -> uuid.UUID | None:
    """The session named by a valid refresh token (used or not), for sign-out."""
    try:
        token = JWTRefreshToken(raw)  # type: ignore[arg-type]  # the stubs omit str
        return uuid.UUID(token[SESSION_CLAIM])
    except (TokenError, KeyError, ValueError, TypeError):
        return None


def _ip_or_none(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None  # "unknown": a request that came without an address


def signin_limit_event(
    *,
    email: str | None,
    client_address: str | None,
    scope: str,
    window_start: int,
    via: str = "api",
    kind: str = SecurityEvent.Kind.SIGNIN_LIMITED,
) -> None:
    """Count a sign-in attempt (or, with ``kind`` ``reset_limited``, a password-reset
    request or link) refused by a limit.

    Anyone can send these, as fast as they like, so they are counted rather than listed:
    one row per kind, client address and limit window (starting at Unix time
    ``window_start``). The first refused attempt creates it with the account it named (if
    any), the limit it hit and where it came from (``via``: ``api``, ``admin``,
    ``reset_request``, ``reset_confirm`` or ``password_change``); each later one adds 1 to
    ``count`` with one UPDATE, so concurrent attempts never lose a count and never make a
    second row (the unique ``bucket`` lets only one INSERT win).
    """
    address = _ip_or_none(client_address)
    bucket = f"{kind} {address or '-'} {window_start}"
    now = timezone.now()
    if _security_event_count(bucket=bucket, now=now):
        return
    try:
        with transaction.atomic():
            SecurityEvent.objects.create(
                kind=kind,
                bucket=bucket,
                user=User.objects.filter(email=email.strip().lower()).first() if email else None,
                client_address=address,
                created_at=now,
                last_seen_at=now,
                detail={"scope": scope, "via": via},
            )
    except IntegrityError:
        # Another attempt of this window created the row between our UPDATE and INSERT.
        _security_event_count(bucket=bucket, now=now)


def _security_event_count(*, bucket: str, now: datetime) -> int:
    return SecurityEvent.objects.filter(bucket=bucket).update(
        count=F("count") + 1, last_seen_at=now
    )


def password_change(
    *,
    user: User,
    session_id: uuid.UUID | None,
    current_password: str,
    new_password: str,
    client_address: str | None,
    app_url: str,
    now: datetime,
) -> None:
    """The signed-in owner changes their password: every other session of the account ends,
    the one it was changed from (``session_id``) stays, refresh cookie and all.

    ``WrongPassword`` when ``current_password`` is not the account's; a ``ValidationError``
    naming ``new_password`` when the policy (``accounts.passwords``) refuses it. The slow
    work (checking the old password, hashing the new) is done before the transaction, so
    the account's row is locked only for the writes. The password is written with an
    UPDATE, not ``User.save``, which would end this session too.
    """
    account = User.objects.get(pk=user.pk)
    if not account.check_password(current_password):
        raise WrongPassword
    try:
        password_validation.validate_password(new_password, account)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    encoded = make_password(new_password)
    with transaction.atomic():
        User.objects.filter(pk=account.pk).update(password=encoded)
        others = Session.objects.filter(user=account, revoked_at__isnull=True)
        if session_id is not None:
            others = others.exclude(pk=session_id)
        others.update(revoked_at=now, revoked_reason=Session.Reason.PASSWORD_CHANGED)
        after_password_change(
            user=account,
            kind=SecurityEvent.Kind.PASSWORD_CHANGED,
            client_address=client_address,
            app_url=app_url,
            now=now,
            detail={"kept_session": str(session_id) if session_id else None},
        )
    password_validation.password_changed(new_password, account)


def user_profile_update(
    *,
    user: User,
    display_name: str | None = None,
    timezone_name: str | None = None,
    language: str | None = None,
) -> User:
    """Change the signed-in user's display name, timezone (a canonical IANA name) and
    language (``core.i18n.Language``).

    A patient who moves keeps every stored check-in as it is: its ``local_date`` and
    ``day`` were true where and when it was felt, so nothing is re-placed here; check-ins
    recorded from now on are dated in the new zone. The zone changes under the patient's
    lock (``accounts.patient_time``), so a check-in being written at the same moment is
    placed entirely before or entirely after the change.
    """
    with transaction.atomic():
        if timezone_name is not None:
            lock_patient(user)
        account = User.objects.get(pk=user.pk)
        changes = {"display_name": display_name, "timezone": timezone_name, "language": language}
        changed = [
            name
            for name, value in changes.items()
            if value is not None and value != getattr(account, name)
        ]
        for name in changed:
            setattr(account, name, changes[name])
        if changed:
            others = [f.name for f in User._meta.concrete_fields if f.name not in changed]
            account.full_clean(exclude=others, validate_unique=False)
            account.save(update_fields=changed)
    return account
