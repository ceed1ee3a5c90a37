"""The task worker as an operator runs it: ``relief worker`` processes against this test's
database, mail to a real SMTP server (aiosmtpd) read back.

On PostgreSQL and on SQLite (the test database file is shared with the worker processes
through ``SQLITE_PATH``). The tests commit (``transaction=True``) so the workers see the rows.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.mail import LOST_AFTER, mail_send
from accounts.models import OutboundMail
from tests.worker import Inbox, smtp_inbox, stop_worker, wait_until
from tests.worker import start_worker as _start_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as server:
        yield server


def start_worker(port: int, *args: str) -> subprocess.Popen[str]:
    return _start_worker(*args, smtp_port=port)


def queue(count: int) -> list[int]:
    expires = timezone.now() + timedelta(days=1)
    return [
        mail_send(
            to=f"patient{i}@example.org",
            subject=f"Mail {i}",
            body=f"Body {i}",
            discard_after=expires,
        ).pk
        for i in range(count)
    ]


def test_two_workers_send_every_queued_mail_exactly_once(smtp: tuple[Inbox, int]):
    """Mail queued while no worker runs waits for one (nothing is lost); two workers share
    the queue and no mail is sent twice; SIGTERM stops each cleanly."""
    inbox, port = smtp
    ids = queue(40)
    assert DBTaskResult.objects.filter(status="READY").count() == 40

    workers = [start_worker(port), start_worker(port)]
    try:
        wait_until(lambda: OutboundMail.objects.filter(status="sent").count() == 40)
    finally:
        errors = [stop_worker(worker) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], errors
    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == sorted(
        f"patient{i}@example.org" for i in range(40)
    )
    assert set(OutboundMail.objects.values_list("pk", "status", "attempts", "body")) == {
        (pk, "sent", 1, "") for pk in ids
    }
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 40


def test_a_mail_whose_task_was_lost_is_sent_by_the_sweep(smtp: tuple[Inbox, int]):
    """A worker killed after taking a task, before its claim on the mail: the task row says
    RUNNING forever, the mail stays due, and a worker's periodic sweep sends it once it is
    LOST_AFTER overdue."""
    inbox, port = smtp
    [lost, fresh] = queue(2)
    DBTaskResult.objects.filter(args_kwargs__kwargs__mail_id=lost).update(status="RUNNING")
    OutboundMail.objects.filter(pk=lost).update(
        next_attempt_at=timezone.now() - LOST_AFTER - timedelta(seconds=1)
    )

    worker = start_worker(port)
    try:
        wait_until(lambda: OutboundMail.objects.filter(status="sent").count() == 2)
    finally:
        stop_worker(worker)

    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == [
        "patient0@example.org",
        "patient1@example.org",
    ]
    assert OutboundMail.objects.get(pk=fresh).status == "sent"


def test_worker_once_runs_the_due_tasks_and_exits(smtp: tuple[Inbox, int]):
    inbox, port = smtp
    queue(3)

    worker = start_worker(port, "--once")
    _out, err = worker.communicate(timeout=60)

    assert worker.returncode == 0, err
    assert len(inbox.messages) == 3
    assert OutboundMail.objects.filter(status="sent").count() == 3


def test_finished_task_rows_are_pruned_after_two_weeks():
    from core.apps import prune_task_results

    queue(2)
    [old, recent] = DBTaskResult.objects.order_by("enqueued_at")
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.pk).update(
        status="SUCCESSFUL", finished_at=now - timedelta(days=15)
    )
    DBTaskResult.objects.filter(pk=recent.pk).update(
        status="SUCCESSFUL", finished_at=now - timedelta(days=13)
    )

    assert prune_task_results(now=now) == 1
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]
