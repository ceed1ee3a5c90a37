"""Writes for reminders: the patient's settings, the tick that claims what is due, the send,
and a physician's "Remind".

Exactly once, whatever the number of workers and whenever they restart:
- a row per (patient, kind, local day), unique in the database (reminders.models);
- the tick claims due rows with one conditional UPDATE (``planned`` → ``queued``), which a
  row can pass once: PostgreSQL locks each row it claims and skips rows another tick holds
  (``FOR UPDATE SKIP LOCKED``), SQLite runs one writer at a time. The send tasks are
  enqueued in the same transaction, so a crash loses neither the claim nor its task;
- the send moves its row ``queued`` → ``sending`` with another conditional UPDATE before it
  delivers, so a task run twice delivers once. A process that dies while delivering leaves
  the row ``sending``: at most once, never twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone, translation

from accounts.models import User
from accounts.patient_time import local_date_for
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from diary.models import Entry
from reminders.channels import deliver, message_for
from reminders.models import Reminder, ReminderSettings
from reminders.planning import LATE_AFTER, WINDOW_DAYS, Schedule, due_at, reminders_replan
from treatments.models import Visit

# The most reminders one tick claims; more due than that wait for the next tick.
TICK_BATCH = 5000

_NO_CHANGE: Any = object()


def reminder_settings_update(
    *,
    patient: User,
    enabled: bool | None = None,
    evening_time: time | None = None,
    morning_time: time | None = _NO_CHANGE,
    now: datetime,
) -> ReminderSettings:
    """Change the patient's settings (None / unset = unchanged; ``morning_time=None``
    removes the morning reminder) and re-plan their reminders."""
    with transaction.atomic():
        row, _ = ReminderSettings.objects.select_for_update().get_or_create(patient=patient)
        if enabled is not None:
            row.enabled = enabled
        if evening_time is not None:
            row.evening_time = evening_time
        if morning_time is not _NO_CHANGE:
            row.morning_time = morning_time
        row.updated_at = now
        row.full_clean(exclude=["patient"])
        row.save()
        reminders_replan(patient=patient, now=now)
    return row


# ------------------------------------------------------------------------------ the tick

_CLAIM_SQL: dict[str, str] = {}


def _claim_sql() -> str:
    """One statement claims every due row: ``queued`` if it is due less than two hours ago,
    ``skipped`` (late) if more; the statuses are literals so that PostgreSQL matches the
    partial index ``reminder_planned_due``."""
    sql = _CLAIM_SQL.get(connection.vendor)
    if sql is None:
        table = connection.ops.quote_name(Reminder._meta.db_table)
        set_clause = (
            "status = CASE WHEN due_at > %s THEN 'queued' ELSE 'skipped' END, "
            "skip_reason = CASE WHEN due_at > %s THEN '' ELSE 'late' END, claimed_at = %s"
        )
        due = (
            f"SELECT id FROM {table} WHERE status = 'planned' AND due_at <= %s "
            "ORDER BY due_at LIMIT %s"
        )
        if connection.vendor == "postgresql":
            # SKIP LOCKED: two ticks at once split the rows instead of queueing on them.
            # ``= ANY(ARRAY(…))``: the due ids are found first, then updated by primary key.
            # With ``IN (…)`` PostgreSQL may join them to a scan of the whole table: it
            # cannot tell that few planned rows are due when most past rows are not planned.
            where = f"id = ANY(ARRAY({due} FOR UPDATE SKIP LOCKED))"
        else:
            where = f"id IN ({due})"
        sql = f"UPDATE {table} SET {set_clause} WHERE status = 'planned' AND {where} RETURNING id, status"
        _CLAIM_SQL[connection.vendor] = sql
    return sql


@dataclass(frozen=True)
class TickResult:
    queued: list[int]
    late: list[int]


def reminders_claim_due(*, now: datetime, limit: int = TICK_BATCH) -> TickResult:
    """Claim the planned reminders due by ``now`` (one UPDATE … RETURNING); the caller's
    transaction must also enqueue their sends."""
    adapt = connection.ops.adapt_datetimefield_value
    late_before = adapt(now - LATE_AFTER)
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [late_before, late_before, adapt(now), adapt(now), limit])
        rows = cursor.fetchall()
    return TickResult(
        queued=sorted(pk for pk, status in rows if status == Reminder.Status.QUEUED),
        late=sorted(pk for pk, status in rows if status == Reminder.Status.SKIPPED),
    )


def reminders_tick(*, now: datetime, enqueue: Callable[[int], object]) -> TickResult:
    """One tick: claim what is due and enqueue one send per reminder, in one transaction
    (a tick that dies leaves the rows planned for the next). Safe to run in every worker
    process at once."""
    with transaction.atomic():
        claimed = reminders_claim_due(now=now)
        for reminder_id in claimed.queued:
            enqueue(reminder_id)
    return claimed


# A claimed reminder whose send has not started this long after its claim is taken to have
# lost its task (the worker died with it): the sweep enqueues it again. A second task for
# the same row is harmless: only one moves it from ``queued`` to ``sending``.
LOST_AFTER = timedelta(minutes=10)

_SWEEP_SQL: dict[str, str] = {}


def _sweep_sql() -> str:
    sql = _SWEEP_SQL.get(connection.vendor)
    if sql is None:
        table = connection.ops.quote_name(Reminder._meta.db_table)
        lost = f"SELECT id FROM {table} WHERE status = 'queued' AND claimed_at <= %s LIMIT %s"
        if connection.vendor == "postgresql":
            where = f"id = ANY(ARRAY({lost} FOR UPDATE SKIP LOCKED))"  # as in _claim_sql
        else:
            where = f"id IN ({lost})"
        sql = f"UPDATE {table} SET claimed_at = %s WHERE status = 'queued' AND {where} RETURNING id"
        _SWEEP_SQL[connection.vendor] = sql
    return sql


def reminders_sweep(
    *,
    now: datetime,
    enqueue: Callable[[int], object],
    waiting: Callable[[list[int]], set[int]],
) -> list[int]:
    """Enqueue again the sends of reminders claimed ``LOST_AFTER`` ago and still not
    started, unless their task is still waiting its turn (``waiting(ids)``: a long queue
    is not a lost task); their claim is renewed in the same statement, so two sweeps do not
    both look at them. Returns those enqueued again."""
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_sweep_sql(), [adapt(now), adapt(now - LOST_AFTER), TICK_BATCH])
            stale = sorted(pk for (pk,) in cursor.fetchall())
        lost = [pk for pk in stale if pk not in (waiting(stale) if stale else set())]
        for reminder_id in lost:
            enqueue(reminder_id)
    return lost


# ------------------------------------------------------------------------------ the send


def _move(reminder: Reminder, *, to: str, **changes: Any) -> bool:
    """Move the row on from the status it was read with; False if someone else did."""
    moved = Reminder.objects.filter(pk=reminder.pk, status=reminder.status).update(
        status=to, **changes
    )
    return moved == 1


def _for_send(reminder_id: int) -> Reminder | None:
    """The reminder with all a send needs to decide, in one query: its patient and their
    settings, who asked, the latest visit at or before its day performed before it is due
    (``visit_date``), and whether the patient has checked in that day (``checked_in``)."""
    latest_visit = Visit.objects.filter(
        patient=OuterRef("patient_id"),
        local_date__lte=OuterRef("local_date"),
        performed_at__lt=OuterRef("due_at"),
    ).order_by("-local_date")
    checked_in = Entry.objects.filter(
        patient=OuterRef("patient_id"), local_date=OuterRef("local_date"), deleted_at__isnull=True
    )
    return (
        Reminder.objects.select_related("patient__reminder_settings", "requested_by")
        .annotate(
            visit_date=Subquery(latest_visit.values("local_date")[:1]),
            checked_in=Exists(checked_in),
        )
        .filter(pk=reminder_id)
        .first()
    )


@dataclass(frozen=True)
class Decision:
    skip: str = ""  # a Reminder.Skip value
    reschedule_at: datetime | None = None
    day: int | None = None


def _decide(reminder: Reminder, *, now: datetime) -> Decision:
    """Check a scheduled reminder (read by ``_for_send``) against the rule as it stands
    now: the settings may have changed, a check-in may have come in, the patient may have
    moved."""
    patient = reminder.patient
    try:
        row: ReminderSettings | None = patient.reminder_settings
    except ReminderSettings.DoesNotExist:
        row = None
    at = Schedule.of(row).times().get(reminder.kind)
    if at is None:
        return Decision(skip=Reminder.Skip.OFF)
    expected = due_at(reminder.local_date, at, ZoneInfo(patient.timezone))
    if expected != reminder.due_at and expected > now:
        # The time or the timezone changed without a re-plan reaching this row.
        return Decision(reschedule_at=expected)
    if now >= expected + LATE_AFTER:
        return Decision(skip=Reminder.Skip.LATE)
    # The latest visit at or before the day: if even that one is more than 14 days
    # before, no visit's window holds the day.
    visit_date = getattr(reminder, "visit_date", None)
    day = None if visit_date is None else (reminder.local_date - visit_date).days
    if day is None or day > WINDOW_DAYS:
        return Decision(skip=Reminder.Skip.OUTSIDE)
    if getattr(reminder, "checked_in", False):
        return Decision(skip=Reminder.Skip.CHECKED_IN)
    return Decision(day=day)


def reminder_send(*, reminder_id: int, now: datetime) -> str:
    """Deliver one claimed reminder (the send task), worded in the patient's language.
    Returns the row's status afterwards (``sent``, ``skipped``, ``planned`` when
    rescheduled), or what it already was when it was not ``queued`` (another run of the
    task had it)."""
    reminder = _for_send(reminder_id)
    if reminder is None:
        return "gone"
    if reminder.status != Reminder.Status.QUEUED:
        return reminder.status
    with translation.override(reminder.patient.language):
        return _send(reminder, now=now)


def _send(reminder: Reminder, *, now: datetime) -> str:
    reminder_id = reminder.pk
    if reminder.kind == Reminder.Kind.PHYSICIAN:
        by = reminder.requested_by
        message = message_for(kind=reminder.kind, day=None, physician=by.display_name if by else "")
        discard_after = _end_of_local_day(reminder.patient, now)
    else:
        decision = _decide(reminder, now=now)
        if decision.reschedule_at is not None:
            _move(reminder, to=Reminder.Status.PLANNED, due_at=decision.reschedule_at)
            return Reminder.Status.PLANNED
        if decision.skip:
            _move(reminder, to=Reminder.Status.SKIPPED, skip_reason=decision.skip)
            return Reminder.Status.SKIPPED
        message = message_for(kind=reminder.kind, day=decision.day)
        discard_after = reminder.due_at + LATE_AFTER
    if not _move(reminder, to=Reminder.Status.SENDING):
        # Another run of this task moved it between the read and here.
        return str(Reminder.objects.filter(pk=reminder_id).values_list("status", flat=True).first())
    deliver(
        user=reminder.patient,
        message=message,
        discard_after=discard_after,
        then=lambda channel: Reminder.objects.filter(pk=reminder.pk).update(
            status=Reminder.Status.SENT, channel=channel, sent_at=timezone.now()
        ),
    )
    return Reminder.Status.SENT


# ------------------------------------------------------------------- a physician's remind


def _end_of_local_day(patient: User, now: datetime) -> datetime:
    """The next local midnight of the patient, as an aware datetime (when another
    physician's reminder is allowed)."""
    zone = ZoneInfo(patient.timezone)
    tomorrow = local_date_for(patient, now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone)


class AlreadyReminded(Exception):
    """The patient has had a physician's reminder on their local day already."""

    def __init__(self, next_allowed_at: datetime) -> None:
        super().__init__()
        self.next_allowed_at = next_allowed_at


def reminder_request(
    *,
    physician: User,
    patient: User,
    now: datetime,
    audit: AuditContext,
    enqueue: Callable[[int], object],
) -> Reminder:
    """A physician's "Remind": one reminder now, at most one a day per patient (their local
    day; ``AlreadyReminded`` otherwise), audited. The send is enqueued in the same
    transaction as the row, so it happens once the transaction commits."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                patient=patient,
                kind=Reminder.Kind.PHYSICIAN,
                local_date=local_date_for(patient, now),
                due_at=now,
                status=Reminder.Status.QUEUED,
                requested_by=physician,
                created_at=now,
                claimed_at=now,
            )
            audit_record(
                audit=audit,
                action=AuditEvent.Action.CREATE,
                resource="reminder",
                patient_ids=[patient.pk],
                object_id=reminder.pk,
            )
            enqueue(reminder.pk)
    except IntegrityError as exc:
        raise AlreadyReminded(_end_of_local_day(patient, now)) from exc
    return reminder
