"""Exactly once with real workers: two ``relief worker`` processes against this test's database
(PostgreSQL, or the SQLite test file), both ticking over the same due reminders at once, and
the mail read back from a real SMTP server (aiosmtpd).

The reminders are due a couple of minutes ago by the rule itself: each patient lives in a
zone where it is afternoon or evening now, with an evening time just past, and a visit
yesterday. The tests commit (``transaction=True``) so the workers see the rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from reminders.models import Reminder, ReminderSettings
from reminders.planning import reminders_replan
from reminders.services import reminders_tick
from tests.concurrency import run_concurrently
from tests.factories import PatientFactory, PhysicianFactory, link, make_visit
from tests.worker import Inbox, smtp_inbox, start_worker, stop_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# Whole-hour zones around the world: at any moment one of them is between 13:00 and 21:59.
ZONES = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _zone_in_the_evening(now: datetime) -> str:
    return next(z for z in ZONES if 13 <= now.astimezone(ZoneInfo(z)).hour <= 21)


def patients_due_now(count: int) -> list[User]:
    """``count`` patients whose evening reminder fell due two minutes ago."""
    now = timezone.now()
    zone = ZoneInfo(_zone_in_the_evening(now))
    local_now = now.astimezone(zone)
    evening = (local_now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    physician = PhysicianFactory()
    patients = []
    for n in range(count):
        patient = PatientFactory(email=f"patient{n}@example.org", timezone=str(zone))
        link(physician, patient)
        ReminderSettings.objects.create(patient=patient, evening_time=evening)
        visit_at = local_now - timedelta(days=1)
        make_visit(physician, patient, visit_at)
        reminders_replan(patient=patient, now=visit_at)  # as planned when it was recorded
        patients.append(patient)
    assert Reminder.objects.filter(status="planned", due_at__lte=now).count() == count
    return patients


def _sent() -> int:
    return Reminder.objects.filter(status="sent").count()


def test_two_workers_ticking_over_the_same_due_reminders_send_each_once() -> None:
    workers = 2
    patients = patients_due_now(30)
    with smtp_inbox() as (inbox, port):
        processes = [start_worker(smtp_port=port) for _ in range(workers)]
        try:
            wait_until(lambda: _sent() == 30 and len(inbox.messages) == 30)
        finally:
            errors = [stop_worker(process) for process in processes]

    assert [p.returncode for p in processes] == [0] * workers, errors
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == sorted(p.email for p in patients)
    subjects = {message_from_bytes(e.content)["Subject"] for e in inbox.messages}
    assert subjects == {"Time for today's check-in"}
    today = {p.pk: timezone.now().astimezone(ZoneInfo(p.timezone)).date() for p in patients}
    assert sorted(
        Reminder.objects.filter(status="sent").values_list("patient", "local_date", "channel")
    ) == sorted((pk, day, "email") for pk, day in today.items())
    # Each reminder was claimed by one tick only: one send task each, whoever ran it.
    sends = DBTaskResult.objects.filter(task_path="reminders.tasks.reminder_send_task")
    assert sends.count() == 30
    assert set(sends.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_eight_ticks_at_once_claim_each_reminder_once() -> None:
    """Eight ticks started together (threads, each with its own connection): on PostgreSQL
    the claims lock and skip each other's rows, on SQLite they take turns."""
    patients_due_now(40)

    claims = run_concurrently(8, lambda _: reminders_tick(now=timezone.now(), enqueue=noop))

    claimed = [pk for result in claims for pk in result.queued]
    assert len(claimed) == len(set(claimed)) == 40
    assert Reminder.objects.filter(status="queued").count() == 40


def noop(reminder_id: int) -> None:
    pass


def test_a_reminder_claimed_by_a_worker_that_died_is_sent_by_the_sweep(
    inbox: tuple[Inbox, int],
) -> None:
    """The tick claimed it and its worker died with the send task in hand: the task row says
    RUNNING for ever, the reminder stays ``queued``; ten minutes later a worker's sweep
    enqueues it again and it goes out, once."""
    (patient,) = patients_due_now(1)
    reminder = Reminder.objects.get(patient=patient, status="planned", due_at__lte=timezone.now())
    Reminder.objects.filter(pk=reminder.pk).update(
        status="queued", claimed_at=timezone.now() - timedelta(minutes=11)
    )
    handler, port = inbox

    worker = start_worker(smtp_port=port)
    try:
        wait_until(lambda: _sent() == 1 and len(handler.messages) == 1)
    finally:
        stop_worker(worker)

    assert [e.rcpt_tos for e in handler.messages] == [[patient.email]]
