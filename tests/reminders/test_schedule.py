"""When reminders go out, on the patient's clock: 19:00 local on days 0-14 after a visit, none
on a day with a check-in, a missed one sent up to two hours late and skipped after, DST days
once at 19:00. Time is passed in (``now``): nothing here sleeps or reads the clock, except
the tests of the signal-driven re-plans, whose dates are relative to today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from audit.context import AuditContext
from reminders.models import Reminder
from reminders.planning import reminders_replan
from reminders.services import reminder_send, reminder_settings_update
from tests.factories import make_entry, make_visit
from tests.reminders.helpers import local, mails, row, rows, tick, visit_planned
from treatments.services import visit_update

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"
EVENING = Reminder.Kind.EVENING
MORNING = Reminder.Kind.MORNING
FOOTER = (
    "\n\nOpen Relief to check in.\n\nYou can change the time of these reminders, or turn them "
    "off, in Relief under Settings."
)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_one_evening_reminder_is_planned_for_each_of_days_0_to_14(
    physician: User, patient: User
) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))

    # Berlin is UTC+1 until 29 March: 19:00 there is 18:00 UTC.
    assert rows(patient) == [
        (EVENING, date(2026, 3, 2) + timedelta(days=d), _utc(2026, 3, 2 + d, 18), "planned", "")
        for d in range(15)
    ]


def test_each_day_gets_its_reminder_at_19_local_once_and_day_15_none(
    physician: User, patient: User
) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    sent = {}
    for day in range(16):
        before, _ = tick(local(BERLIN, 2026, 3, 2 + day, 18, 59))
        _at, outcome = tick(local(BERLIN, 2026, 3, 2 + day, 19))
        again, _ = tick(local(BERLIN, 2026, 3, 2 + day, 19, 1))
        assert (before.queued, before.late, again.queued, again.late) == ([], [], [], [])
        sent[day] = list(outcome.values())

    assert sent == {**{d: ["sent"] for d in range(15)}, 15: []}
    assert [status for _, _, _, status, _ in rows(patient)] == ["sent"] * 15
    bodies = [body for _, body in mails("pat@example.org")]
    assert len(bodies) == 15
    assert bodies[0] == (
        "Hello Pat Patient,\n\nHow are you feeling after today's injection? A check-in takes "
        "about 15 seconds." + FOOTER
    )
    assert (
        bodies[1]
        == bodies[2]
        == (
            "Hello Pat Patient,\n\nSome soreness is common for a day or two after the injection. "
            "How are you feeling today? A check-in takes about 15 seconds." + FOOTER
        )
    )
    assert bodies[14] == (
        "Hello Pat Patient,\n\nDay 14 after your injection. How are you feeling today? "
        "A check-in takes about 15 seconds." + FOOTER
    )
    assert {subject for subject, _ in mails("pat@example.org")} == {"Time for today's check-in"}


def test_a_day_with_a_check_in_gets_no_reminder(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 4, 19))  # days 0 and 1 are late by now; day 2 is sent
    make_entry(patient, local(BERLIN, 2026, 3, 5, 8, 30))

    _result, outcome = tick(local(BERLIN, 2026, 3, 5, 19))

    assert list(outcome.values()) == ["skipped"]
    assert row(patient, EVENING, date(2026, 3, 5)) == (
        _utc(2026, 3, 5, 18),
        "skipped",
        "checked_in",
        "",
    )
    assert len(mails("pat@example.org")) == 1  # day 2's


def test_a_check_in_on_another_day_does_not_stop_todays(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    # 23:30 in Berlin on the 2nd is the 2nd there, though 22:30 UTC.
    make_entry(patient, local(BERLIN, 2026, 3, 2, 23, 30))
    tick(local(BERLIN, 2026, 3, 2, 19))

    _, outcome = tick(local(BERLIN, 2026, 3, 3, 19))

    assert list(outcome.values()) == ["sent"]


def test_a_worker_down_at_19_sends_at_20_30_and_skips_at_21_30(
    physician: User, patient: User
) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 2, 19))

    _back_at_20_30, sent = tick(local(BERLIN, 2026, 3, 3, 20, 30))
    back_at_21_30, _ = tick(local(BERLIN, 2026, 3, 4, 21, 30))
    back_at_21, _ = tick(local(BERLIN, 2026, 3, 5, 21))
    back_at_3am, _ = tick(local(BERLIN, 2026, 3, 7, 3))

    assert list(sent.values()) == ["sent"]
    assert (len(back_at_21_30.queued), len(back_at_21_30.late)) == (0, 1)
    assert (len(back_at_21.queued), len(back_at_21.late)) == (0, 1)
    # Back at 3 a.m. on the 7th: the 6th's reminder is 8 hours late, skipped, and the 7th's
    # is not due until 19:00.
    assert (len(back_at_3am.queued), len(back_at_3am.late)) == (0, 1)
    assert [(d.day, status, reason) for _, d, _, status, reason in rows(patient)][:6] == [
        (2, "sent", ""),
        (3, "sent", ""),
        (4, "skipped", "late"),
        (5, "skipped", "late"),
        (6, "skipped", "late"),
        (7, "planned", ""),
    ]
    assert len(mails("pat@example.org")) == 2


def test_a_send_task_that_runs_after_the_two_hours_skips(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    enqueued: list[int] = []
    from reminders.services import reminders_tick

    reminders_tick(now=local(BERLIN, 2026, 3, 2, 20, 59), enqueue=enqueued.append)

    assert reminder_send(reminder_id=enqueued[0], now=local(BERLIN, 2026, 3, 2, 21, 5)) == (
        "skipped"
    )
    assert row(patient, EVENING, date(2026, 3, 2))[1:3] == ("skipped", "late")
    assert mails("pat@example.org") == []


@pytest.mark.parametrize(
    ("zone", "dst_day", "due", "day_before_due"),
    [
        # New York springs forward at 02:00 on 8 March 2026: 19:00 EDT is 23:00 UTC.
        ("America/New_York", date(2026, 3, 8), _utc(2026, 3, 8, 23), _utc(2026, 3, 8, 0)),
        # ... and falls back on 1 November: 19:00 EST is midnight UTC, the next UTC day.
        ("America/New_York", date(2026, 11, 1), _utc(2026, 11, 2, 0), _utc(2026, 10, 31, 23)),
        # London springs forward at 01:00 on 29 March: 19:00 BST is 18:00 UTC.
        ("Europe/London", date(2026, 3, 29), _utc(2026, 3, 29, 18), _utc(2026, 3, 28, 19)),
        # ... and falls back on 25 October: 19:00 GMT is 19:00 UTC.
        ("Europe/London", date(2026, 10, 25), _utc(2026, 10, 25, 19), _utc(2026, 10, 24, 18)),
    ],
)
def test_a_dst_day_gets_its_reminder_at_19_local_once(
    physician: User,
    patient: User,
    zone: str,
    dst_day: date,
    due: datetime,
    day_before_due: datetime,
) -> None:
    patient.timezone = zone
    patient.save()
    day_before = dst_day - timedelta(days=1)
    visit_planned(physician, patient, datetime.combine(day_before, time(10), ZoneInfo(zone)))

    at = lambda hour, minute=0: datetime.combine(dst_day, time(hour, minute), ZoneInfo(zone))  # noqa: E731
    _, on_the_day_before = tick(datetime.combine(day_before, time(19), ZoneInfo(zone)))
    # Every hour of the DST day up to 18:00 (01:00-03:00 included, when the clocks move).
    early = [tick(at(hour))[0] for hour in range(19)]
    _, at_19 = tick(at(19))
    later = [tick(at(19, 1))[0], tick(at(20, 30))[0], tick(at(23, 59))[0]]

    assert list(on_the_day_before.values()) == ["sent"]
    assert all(t.queued == t.late == [] for t in early + later)
    assert list(at_19.values()) == ["sent"]
    assert row(patient, EVENING, day_before)[:2] == (day_before_due, "sent")
    assert row(patient, EVENING, dst_day)[:2] == (due, "sent")
    assert len(mails("pat@example.org")) == 2


def test_a_visit_after_19_starts_its_reminders_the_next_day(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 20))

    planned = rows(patient)
    assert (planned[0][1], planned[-1][1], len(planned)) == (
        date(2026, 3, 3),
        date(2026, 3, 16),
        14,
    )


def test_overlapping_visits_give_one_reminder_a_day(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 7, 10))

    days = [d for _, d, _, _, _ in rows(patient)]
    assert days == [date(2026, 3, 2) + timedelta(days=n) for n in range(20)]


def test_a_morning_reminder_too_and_the_evening_moved(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 2, 19))

    reminder_settings_update(
        patient=patient,
        morning_time=time(8, 30),
        evening_time=time(20, 15),
        now=local(BERLIN, 2026, 3, 3, 7),
    )

    planned = rows(patient, local_date__lte=date(2026, 3, 4))
    assert planned == [
        (EVENING, date(2026, 3, 2), _utc(2026, 3, 2, 18), "sent", ""),  # sent stays sent
        (EVENING, date(2026, 3, 3), _utc(2026, 3, 3, 19, 15), "planned", ""),
        (MORNING, date(2026, 3, 3), _utc(2026, 3, 3, 7, 30), "planned", ""),
        (EVENING, date(2026, 3, 4), _utc(2026, 3, 4, 19, 15), "planned", ""),
        (MORNING, date(2026, 3, 4), _utc(2026, 3, 4, 7, 30), "planned", ""),
    ]
    assert len(rows(patient, kind=MORNING)) == 14  # days 1-14: day 0's morning was before
    _, morning = tick(local(BERLIN, 2026, 3, 3, 8, 30))
    make_entry(patient, local(BERLIN, 2026, 3, 3, 9))
    _, evening = tick(local(BERLIN, 2026, 3, 3, 20, 15))
    assert (list(morning.values()), list(evening.values())) == (["sent"], ["skipped"])
    assert mails("pat@example.org")[-1][0] == "Good morning"


def test_turned_off_no_reminders_and_on_again_they_return(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    tick(local(BERLIN, 2026, 3, 2, 19))

    reminder_settings_update(patient=patient, enabled=False, now=local(BERLIN, 2026, 3, 3, 12))

    assert rows(patient) == [(EVENING, date(2026, 3, 2), _utc(2026, 3, 2, 18), "sent", "")]
    assert tick(local(BERLIN, 2026, 3, 3, 19))[0].queued == []

    reminder_settings_update(patient=patient, enabled=True, now=local(BERLIN, 2026, 3, 5, 12))

    assert [d.day for _, d, _, _, _ in rows(patient)] == [2, *range(5, 17)]


def test_turned_off_while_a_reminder_waited_for_a_worker(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    # The worker is down at 19:00; at 19:30 the patient turns reminders off; it comes back.
    reminder_settings_update(patient=patient, enabled=False, now=local(BERLIN, 2026, 3, 2, 19, 30))

    _, outcome = tick(local(BERLIN, 2026, 3, 2, 19, 45))

    assert list(outcome.values()) == ["skipped"]
    assert row(patient, EVENING, date(2026, 3, 2))[1:3] == ("skipped", "off")
    assert mails("pat@example.org") == []


def test_a_tick_and_a_send_run_twice_send_once(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))

    first, _outcome = tick(local(BERLIN, 2026, 3, 2, 19))
    second, _ = tick(local(BERLIN, 2026, 3, 2, 19))
    (pk,) = first.queued

    assert second.queued == []
    assert reminder_send(reminder_id=pk, now=local(BERLIN, 2026, 3, 2, 19)) == "sent"
    assert len(mails("pat@example.org")) == 1


def test_a_timezone_changed_behind_the_signals_back_is_caught_at_send(
    physician: User, patient: User
) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    # A bulk update sends no signal: the rows still say 19:00 Berlin.
    User.objects.filter(pk=patient.pk).update(timezone="America/New_York")

    _, at_berlin_19 = tick(local(BERLIN, 2026, 3, 3, 19))
    _, at_new_york_19 = tick(local("America/New_York", 2026, 3, 3, 19))

    assert list(at_berlin_19.values()) == ["planned"]
    assert list(at_new_york_19.values()) == ["sent"]
    assert row(patient, EVENING, date(2026, 3, 3))[:2] == (_utc(2026, 3, 4, 0), "sent")


# --- re-plans driven by signals: at the real clock, so the dates are relative to today ------


def _today(zone: str) -> date:
    return timezone.now().astimezone(ZoneInfo(zone)).date()


def _future(patient: User) -> list[tuple[date, datetime]]:
    return [
        (d, due)
        for _, d, due, status, _ in rows(patient, kind=EVENING)
        if status == "planned" and due > timezone.now()
    ]


def test_recording_a_visit_plans_its_reminders(physician: User, patient: User) -> None:
    yesterday = datetime.combine(_today(BERLIN) - timedelta(days=1), time(9), ZoneInfo(BERLIN))

    make_visit(physician, patient, yesterday)

    days = [d for d, _ in _future(patient)]
    # Day 14 is the 13th day from today; today's 19:00 may have passed already.
    assert days[-1] == _today(BERLIN) + timedelta(days=13)
    assert days[0] in (_today(BERLIN), _today(BERLIN) + timedelta(days=1))
    assert len(days) == len(set(days))


def test_moving_a_visit_moves_its_window(physician: User, patient: User) -> None:
    today = _today(BERLIN)
    visit = make_visit(
        physician, patient, datetime.combine(today - timedelta(days=10), time(9), ZoneInfo(BERLIN))
    )
    last_before = _future(patient)[-1][0]

    visit_update(
        visit=visit,
        data={
            "performed_at": datetime.combine(today - timedelta(days=5), time(9), ZoneInfo(BERLIN))
        },
        audit=AuditContext.system(actor=physician),
    )

    assert (last_before, _future(patient)[-1][0]) == (
        today + timedelta(days=4),
        today + timedelta(days=9),
    )


def test_a_patient_who_moves_gets_reminders_at_19_in_the_new_zone(
    physician: User, patient: User
) -> None:
    make_visit(
        physician,
        patient,
        datetime.combine(_today(BERLIN) - timedelta(days=1), time(9), ZoneInfo(BERLIN)),
    )
    before = _future(patient)

    patient.timezone = "America/New_York"
    patient.save()

    after = _future(patient)
    new_york = ZoneInfo("America/New_York")
    assert [d for d, _ in after][-1] == before[-1][0]  # the same local days
    assert {due.astimezone(new_york).time() for _, due in after} == {time(19)}
    assert {due.astimezone(ZoneInfo(BERLIN)).time() for _, due in before} == {time(19)}


def test_replanning_again_changes_nothing(physician: User, patient: User) -> None:
    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    before = list(Reminder.objects.filter(patient=patient).order_by("pk").values())

    reminders_replan(patient=patient, now=local(BERLIN, 2026, 3, 2, 10))

    assert list(Reminder.objects.filter(patient=patient).order_by("pk").values()) == before


def test_the_sweep_enqueues_again_only_a_send_whose_task_was_lost(
    physician: User, patient: User
) -> None:
    from django_tasks_db.models import DBTaskResult

    from reminders.services import reminders_tick
    from reminders.tasks import enqueue_send, reminders_sweep_job

    visit_planned(physician, patient, local(BERLIN, 2026, 3, 2, 10))
    claimed = reminders_tick(now=local(BERLIN, 2026, 3, 2, 19), enqueue=enqueue_send)
    (pk,) = claimed.queued

    # Ten minutes on, its task is still waiting in a long queue: not lost.
    assert reminders_sweep_job(now=local(BERLIN, 2026, 3, 2, 19, 11)) == []
    # Its worker took it and died: the task row says RUNNING for ever.
    DBTaskResult.objects.update(status="RUNNING")
    assert reminders_sweep_job(now=local(BERLIN, 2026, 3, 2, 19, 15)) == []  # claim renewed
    assert reminders_sweep_job(now=local(BERLIN, 2026, 3, 2, 19, 22)) == [pk]
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert reminder_send(reminder_id=pk, now=local(BERLIN, 2026, 3, 2, 19, 22)) == "sent"
    assert reminders_sweep_job(now=local(BERLIN, 2026, 3, 2, 19, 40)) == []
    assert len(mails("pat@example.org")) == 1
