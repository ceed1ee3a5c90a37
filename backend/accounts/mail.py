"""Sending mail: written with the change that causes it, sent by the task worker after it.

``mail_send`` is the one entry point for every app. In the caller's transaction it stores
the mail and enqueues its delivery (``accounts.tasks.deliver_mail``, a task row in the same
transaction: there is a delivery exactly when the change commits, and a worker can see it
only then). A request therefore never talks to a mail server, never waits on one and never
fails because of one. A worker delivers the mail (``mail_deliver``: a few quick tries within
``EMAIL_TIMEOUT``); a delivery that fails is enqueued again for later, with backoff
(``RETRY_DELAYS``), until the mail is sent or worthless. A delivery whose worker died is
found by the periodic sweep (``mail_send_lost``). The body is blanked once the mail is sent
or given up on; ``OutboundMail.status`` is what the invitation and other screens show.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import OutboundMail

logger = logging.getLogger("relief.mail")

# Quick retries within one delivery (a server that refused a connection may be restarting),
# as long as the EMAIL_TIMEOUT budget lasts.
INLINE_BACKOFF_SECONDS = (0.2, 0.5)
# Later deliveries, after the n-th failed one (each a new task); then given up. ``attempts``
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
    _enqueue(mail.pk)
    return mail


def _enqueue(mail_id: int, *, at: datetime | None = None) -> None:
    from accounts.tasks import deliver_mail

    (deliver_mail.using(run_after=at) if at else deliver_mail).enqueue(mail_id=mail_id)


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
    next_attempt_at = now + RETRY_DELAYS[delivery - 1]
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=OutboundMail.Status.FAILED,
        attempts=delivery,
        last_attempt_at=now,
        next_attempt_at=next_attempt_at,
        last_error=error,
    )
    _enqueue(mail.pk, at=next_attempt_at)
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
    """Deliver, here and now, every mail whose next attempt is due (``relief
    send_pending_mail``, for a deployment without a worker); give up on those past their
    ``discard_after``. Returns how many ended in each status."""
    now = now or timezone.now()
    return _deliver_due(OutboundMail.objects.filter(Q(next_attempt_at__lte=now)))


# A due mail whose delivery task has not claimed it for this long is taken to be lost (its
# worker died before the claim, or the task row was removed): the sweep delivers it.
LOST_AFTER = timedelta(minutes=10)


def mail_send_lost(*, now: datetime) -> dict[str, int]:
    """The worker's periodic sweep: deliver mail overdue by ``LOST_AFTER``. Safe in several
    workers at once (each delivery claims its mail first)."""
    return _deliver_due(OutboundMail.objects.filter(next_attempt_at__lte=now - LOST_AFTER))


def _deliver_due(due: models.QuerySet[OutboundMail]) -> dict[str, int]:
    outcome: dict[str, int] = {}
    ids = due.filter(sent_at__isnull=True).order_by("next_attempt_at", "pk")
    for mail_id in list(ids.values_list("pk", flat=True)[:500]):
        status = mail_deliver(mail_id=mail_id)
        if status is not None:
            outcome[status] = outcome.get(status, 0) + 1
    return outcome
