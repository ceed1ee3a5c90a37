"""The background work of reminders, on the task engine: the tick, the sweep and the sends.

The jobs are registered with ``core.periodic`` (``reminders.apps``); every worker process
runs them, and the claims in ``reminders.services`` make that safe.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from reminders.services import (
    TickResult,
    reminder_send,
    reminders_sweep,
    reminders_tick,
)

# How often each worker process looks for due reminders (at most: the worker's --tick, or
# WORKER_TICK_SECONDS, is the finest it goes), and for sends lost with a worker.
TICK_SECONDS = 30
SWEEP_SECONDS = 300


@task()
def reminder_send_task(*, reminder_id: int) -> str:
    """Deliver one claimed reminder (``reminders.services.reminder_send``)."""
    return reminder_send(reminder_id=reminder_id, now=timezone.now())


def enqueue_send(reminder_id: int) -> None:
    """Enqueue the send of one reminder: a task row in the caller's transaction."""
    reminder_send_task.enqueue(reminder_id=reminder_id)


def reminders_tick_job(*, now: datetime) -> TickResult:
    """The periodic tick: claim the reminders due by ``now`` and enqueue their sends."""
    return reminders_tick(now=now, enqueue=enqueue_send)


def sends_waiting(reminder_ids: list[int]) -> set[int]:
    """Which of these reminders have a send task still waiting to run (not lost)."""
    waiting = DBTaskResult.objects.filter(
        task_path=reminder_send_task.module_path,
        status=TaskResultStatus.READY,
        args_kwargs__kwargs__reminder_id__in=reminder_ids,
    ).values_list("args_kwargs__kwargs__reminder_id", flat=True)
    return {int(pk) for pk in waiting}


def reminders_sweep_job(*, now: datetime) -> list[int]:
    """The periodic sweep: enqueue again the sends lost with a worker."""
    return reminders_sweep(now=now, enqueue=enqueue_send, waiting=sends_waiting)
