"""Sending mail: written with the change that causes it, sent after that change commits.

``mail_send`` is the one entry point for every app. It stores the mail in the caller's
transaction and, after the commit, delivers it once (``mail_deliver``), bounded by
``EMAIL_TIMEOUT`` in all, so a request never waits on a slow or absent mail server for
longer than that and never fails because of one. A mail not sent then is retried with
backoff by ``relief send_pending_mail`` (cron, or the task engine the patient-journey
issue brings: it replaces the ``on_commit`` call below with an enqueue of
``mail_deliver``, and the command with its scheduler). The body is blanked once the mail
is sent or given up on.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import OutboundMail

logger = logging.getLogger("relief.mail")

# Quick retries within one delivery (a server that refused a connection may be restarting),
# as long as the EMAIL_TIMEOUT budget lasts.
INLINE_BACKOFF_SECONDS = (0.2, 0.5)
# Later deliveries, after the n-th failed one (send_pending_mail); then given up. ``attempts``
# counts deliveries, each of which may make up to three quick tries.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
# A delivery in progress holds its claim this long past its budget; a process that died
# mid-delivery leaves the mail to be tried again after it.
CLAIM_MARGIN = timedelta(minutes=1)
# A budget smaller than this is not worth opening a connection with.
MIN_TRY_SECONDS = 0.5


def mail_send(*, to: str, subject: str, body: str, discard_after: datetime) -> OutboundMail:
    """Queue a mail in the current transaction; it is delivered after the commit."""
    now = timezone.now()
    mail = OutboundMail.objects.create(
        to=to,
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now,
        discard_after=discard_after,
    )
    # robust: whatever goes wrong in the delivery (the database gone after the commit, say)
    # is logged, never raised into the request that caused the mail; the row stays due.
    transaction.on_commit(partial(mail_deliver, mail_id=mail.pk), robust=True)
    return mail


def _claim(mail_id: int, *, now: datetime, budget: float) -> bool:
    """Take the mail for one delivery: only one sender moves its next attempt forward."""
    lease = now + timedelta(seconds=budget) + CLAIM_MARGIN
    return bool(
        OutboundMail.objects.filter(
            pk=mail_id, sent_at__isnull=True, next_attempt_at__lte=now
        ).update(next_attempt_at=lease)
    )


def _try_once(mail: OutboundMail, timeout: float) -> None:
    connection = get_connection(timeout=timeout)
    EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        connection=connection,
    ).send()


def mail_deliver(*, mail_id: int) -> str | None:
    """One delivery of a queued mail: a few quick tries within ``EMAIL_TIMEOUT`` seconds in
    all. Returns the mail's status afterwards (None for no such mail); never raises for a
    mail server's failure. A mail another sender holds, or not yet due, is left alone."""
    budget = float(settings.EMAIL_TIMEOUT)
    now = timezone.now()
    if not _claim(mail_id, now=now, budget=budget):
        return OutboundMail.objects.filter(pk=mail_id).values_list("status", flat=True).first()
    mail = OutboundMail.objects.get(pk=mail_id)
    if now >= mail.discard_after:
        return _give_up(mail, now=now, error="Expired before it could be sent.")
    deadline = time.monotonic() + budget
    error = ""
    tries = 0
    for pause in (0.0, *INLINE_BACKOFF_SECONDS):
        remaining = deadline - time.monotonic() - pause
        if tries and remaining < MIN_TRY_SECONDS:
            break
        time.sleep(pause)
        tries += 1
        try:
            _try_once(mail, timeout=max(remaining, MIN_TRY_SECONDS))
        except Exception as exc:  # SMTP, socket, TLS: whatever the server does, we retry
            error = f"{type(exc).__name__}: {exc}"[:255]
            logger.warning("mail %s to %s not sent: %s", mail.pk, mail.to, error)
            continue
        OutboundMail.objects.filter(pk=mail.pk).update(
            status=OutboundMail.Status.SENT,
            body="",
            attempts=mail.attempts + 1,
            sent_at=timezone.now(),
            last_attempt_at=timezone.now(),
            next_attempt_at=None,
            last_error="",
        )
        return OutboundMail.Status.SENT
    return _failed(mail, error=error)


def _failed(mail: OutboundMail, *, error: str) -> str:
    now = timezone.now()
    delivery = mail.attempts + 1
    if delivery > len(RETRY_DELAYS) or now + RETRY_DELAYS[delivery - 1] >= mail.discard_after:
        return _give_up(mail, now=now, error=error)
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=OutboundMail.Status.FAILED,
        attempts=delivery,
        last_attempt_at=now,
        next_attempt_at=now + RETRY_DELAYS[delivery - 1],
        last_error=error,
    )
    return OutboundMail.Status.FAILED


def _give_up(mail: OutboundMail, *, now: datetime, error: str) -> str:
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=OutboundMail.Status.FAILED,
        body="",
        attempts=mail.attempts + 1,
        last_attempt_at=now,
        next_attempt_at=None,
        last_error=error,
    )
    return OutboundMail.Status.FAILED


def mail_send_pending(*, now: datetime | None = None) -> dict[str, int]:
    """Deliver every mail whose next attempt is due (``relief send_pending_mail``); give up
    on those past their ``discard_after``. Returns how many ended in each status."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    due = OutboundMail.objects.filter(
        Q(next_attempt_at__lte=now), sent_at__isnull=True
    ).values_list("pk", flat=True)
    for mail_id in list(due.order_by("next_attempt_at", "pk")):
        status = mail_deliver(mail_id=mail_id)
        if status is not None:
            outcome[status] = outcome.get(status, 0) + 1
    return outcome
