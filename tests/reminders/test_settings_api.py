"""GET and PATCH /api/v1/reminders/settings/: the patient's own reminders."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from reminders.models import Reminder, ReminderSettings
from tests.factories import make_visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/reminders/settings/"
BERLIN = ZoneInfo("Europe/Berlin")


def _recent_visit(physician: User, patient: User) -> None:
    """A visit yesterday morning: reminders are planned up to day 14."""
    today = timezone.now().astimezone(BERLIN).date()
    make_visit(physician, patient, datetime.combine(today - timedelta(days=1), time(9), BERLIN))


def _next_evening(hour: int = 19, minute: int = 0) -> str:
    """The next HH:MM in Berlin after now, as the API writes it (UTC, "Z")."""
    now = timezone.now()
    at = datetime.combine(now.astimezone(BERLIN).date(), time(hour, minute), BERLIN)
    if at <= now:
        at += timedelta(days=1)
        at = datetime.combine(at.date(), time(hour, minute), BERLIN)
    return at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_defaults_for_a_patient_who_never_changed_them(patient_client: Any) -> None:
    response = patient_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "enabled": True,
        "evening_time": "19:00",
        "morning_time": None,
        "timezone": "Europe/Berlin",
        "next_reminder_at": None,
    }
    assert not ReminderSettings.objects.exists()


def test_next_reminder_after_a_visit(physician: User, patient: User, patient_client: Any) -> None:
    _recent_visit(physician, patient)

    response = patient_client.get(URL)

    assert response.json()["next_reminder_at"] == _next_evening()


def test_patch_changes_the_times_and_replans(
    physician: User, patient: User, patient_client: Any
) -> None:
    _recent_visit(physician, patient)

    response = patient_client.patch(
        URL, {"evening_time": "20:30", "morning_time": "08:15"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "enabled": True,
        "evening_time": "20:30",
        "morning_time": "08:15",
        "timezone": "Europe/Berlin",
        "next_reminder_at": min(_next_evening(20, 30), _next_evening(8, 15)),
    }
    row = ReminderSettings.objects.get(patient=patient)
    assert (row.enabled, row.evening_time, row.morning_time) == (True, time(20, 30), time(8, 15))
    planned = Reminder.objects.filter(patient=patient, status="planned", due_at__gt=timezone.now())
    assert {r.due_at.astimezone(BERLIN).time() for r in planned if r.kind == "evening"} == {
        time(20, 30)
    }
    assert {r.due_at.astimezone(BERLIN).time() for r in planned if r.kind == "morning"} == {
        time(8, 15)
    }


def test_patch_removes_the_morning_reminder_and_turns_them_off(
    physician: User, patient: User, patient_client: Any
) -> None:
    _recent_visit(physician, patient)
    patient_client.patch(URL, {"morning_time": "07:00"}, format="json")

    no_morning = patient_client.patch(URL, {"morning_time": None}, format="json")
    off = patient_client.patch(URL, {"enabled": False}, format="json")

    assert no_morning.json()["morning_time"] is None
    assert off.status_code == 200
    assert off.json() == {
        "enabled": False,
        "evening_time": "19:00",
        "morning_time": None,
        "timezone": "Europe/Berlin",
        "next_reminder_at": None,
    }
    assert not Reminder.objects.filter(
        patient=patient, status="planned", due_at__gt=timezone.now()
    ).exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"evening_time": "7pm"}, "evening_time", "Use a 24-hour time such as 19:00."),
        ({"evening_time": "19:00:00"}, "evening_time", "Use a 24-hour time such as 19:00."),
        ({"evening_time": "24:00"}, "evening_time", "Use a 24-hour time such as 19:00."),
        ({"evening_time": 1900}, "evening_time", "Must be a string."),
        ({"evening_time": None}, "evening_time", "This field may not be null."),
        ({"evening_time": "23:30"}, "evening_time", "Choose a time from 12:00 to 22:00."),
        ({"evening_time": "11:00"}, "evening_time", "Choose a time from 12:00 to 22:00."),
        ({"morning_time": "03:00"}, "morning_time", "Choose a time from 05:00 to 11:59."),
        ({"morning_time": "12:00"}, "morning_time", "Choose a time from 05:00 to 11:59."),
        ({"enabled": "yes"}, "enabled", "Must be a boolean."),
        ({"enabled": None}, "enabled", "This field may not be null."),
        ({"timezone": "UTC"}, "timezone", "This field is read-only."),
        ({"next_reminder_at": None}, "next_reminder_at", "This field is read-only."),
        ({"evening": "19:00"}, "evening", "Unknown field."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    patient: User, patient_client: Any, body: dict[str, Any], field: str, message: str
) -> None:
    response = patient_client.patch(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"Invalid input: {field}.",
        "fields": {field: [message]},
    }
    assert not ReminderSettings.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(patient_client: Any) -> None:
    response = patient_client.patch(URL, ["enabled"], format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["Expected a JSON object."]}


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_physician_has_no_reminder_settings(physician_client: Any, method: str) -> None:
    response = getattr(physician_client, method)(URL, {"enabled": False}, format="json")

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "Only patients may do this."}
    assert not ReminderSettings.objects.exists()


@pytest.mark.parametrize("method", ["get", "patch"])
def test_signed_out_is_a_401(anon_client: Any, method: str) -> None:
    response = getattr(anon_client, method)(URL, {"enabled": False}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
