"""What the reminder tests share: local times, a tick with its sends run in place, and the
rows and mails to compare."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from accounts.models import OutboundMail, User
from reminders.models import Reminder
from reminders.planning import reminders_replan
from reminders.services import TickResult, reminder_send, reminders_tick
from tests.factories import make_visit


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in ``zone``, as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def visit_planned(physician: User, patient: User, performed_at: datetime) -> Any:
    """A visit, with the patient's reminders planned as they would have been when it was
    recorded (the visit's own re-plan runs at the real clock, long after)."""
    visit = make_visit(physician, patient, performed_at)
    reminders_replan(patient=patient, now=performed_at)
    return visit


def tick(now: datetime) -> tuple[TickResult, dict[int, str]]:
    """One tick at ``now``, and the send task of each reminder it claimed, run at ``now``."""
    enqueued: list[int] = []
    result = reminders_tick(now=now, enqueue=enqueued.append)
    assert enqueued == result.queued
    return result, {pk: reminder_send(reminder_id=pk, now=now) for pk in enqueued}


def rows(patient: User, **filters: Any) -> list[tuple[str, date, datetime, str, str]]:
    """The patient's reminders as (kind, local date, due at, status, skip reason)."""
    return list(
        Reminder.objects.filter(patient=patient, **filters)
        .order_by("local_date", "kind")
        .values_list("kind", "local_date", "due_at", "status", "skip_reason")
    )


def row(patient: User, kind: str, day: date) -> tuple[datetime, str, str, str]:
    """One day's reminder as (due at, status, skip reason, channel)."""
    return Reminder.objects.filter(patient=patient, kind=kind, local_date=day).values_list(
        "due_at", "status", "skip_reason", "channel"
    )[0]


def mails(to: str) -> list[tuple[str, str]]:
    return list(OutboundMail.objects.filter(to=to).order_by("pk").values_list("subject", "body"))
