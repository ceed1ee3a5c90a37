"""The background work of reminders, on the task engine: the tick and the sends.

``reminders_tick_job`` is registered as a periodic job (``reminders.apps``); every worker
process runs it, and the claim in ``reminders.services`` makes that safe.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from reminders.services import TickResult, reminder_send, reminders_tick

# How often each worker process looks for due reminders.
TICK_SECONDS = 60


@task()
def reminder_send_task(reminder_id: int) -> str:
    """Deliver one claimed reminder (``reminders.services.reminder_send``)."""
    return reminder_send(reminder_id=reminder_id, now=timezone.now())


def enqueue_send(reminder_id: int) -> None:
    """Enqueue the send of one reminder, in the caller's transaction."""
    reminder_send_task.enqueue(reminder_id=reminder_id)


def reminders_tick_job(*, now: datetime) -> TickResult:
    """The periodic job: claim the reminders due by ``now`` and enqueue their sends."""
    return reminders_tick(now=now, enqueue=enqueue_send)
