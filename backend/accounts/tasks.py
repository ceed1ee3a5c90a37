"""accounts' background tasks (run by ``relief worker``)."""

from __future__ import annotations

from django_tasks import task

from accounts.mail import mail_deliver


@task()
def deliver_mail(*, mail_id: int) -> str | None:
    """One delivery of a queued mail (``accounts.mail``); a failure enqueues the next."""
    return mail_deliver(mail_id=mail_id)
