"""POST /api/v1/patients/{id}/remind/: a physician reminds one of their patients, once a day
(the patient's local day), audited, and the patient card says so."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from email import message_from_bytes
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from accounts.models import OutboundMail, User
from audit.models import AuditEvent
from reminders.models import Reminder
from tests.factories import link
from tests.worker import Inbox, run_worker_once

pytestmark = pytest.mark.django_db


def _url(patient: User) -> str:
    return f"/api/v1/patients/{patient.pk}/remind/"


def _iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


@pytest.fixture
def own(physician: User, patient: User) -> User:
    physician.display_name = "Dr Okafor"
    physician.save()
    link(physician, patient)
    return patient


def test_remind_queues_one_send_now_and_records_it(
    physician: User, own: User, physician_client: APIClient
) -> None:
    before = timezone.now()

    response = physician_client.post(_url(own))

    assert response.status_code == 201
    reminder = Reminder.objects.get(patient=own)
    assert response.json() == {"at": _iso(reminder.created_at), "by": "Dr Okafor"}
    assert reminder.created_at >= before
    assert (
        reminder.kind,
        reminder.local_date,
        reminder.status,
        reminder.due_at,
        reminder.requested_by_id,
    ) == (
        "physician",
        reminder.created_at.astimezone(ZoneInfo("Europe/Berlin")).date(),
        "queued",
        reminder.created_at,
        physician.pk,
    )
    # Its send is a task row written in the same transaction; the worker runs it.
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs) == (
        "reminders.tasks.reminder_send_task",
        {"args": [], "kwargs": {"reminder_id": reminder.pk}},
    )
    rows = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert list(
        rows.values_list("action", "resource", "patient", "object_id", "actor", "outcome")
    ) == [("create", "reminder", own.pk, str(reminder.pk), physician.pk, "allowed")]


@pytest.mark.django_db(transaction=True)  # the worker sees the task only after the commit
def test_the_worker_sends_it_by_mail_when_the_phone_has_not_subscribed(
    physician: User, own: User, physician_client: APIClient, inbox: tuple[Inbox, int]
) -> None:
    handler, _ = inbox
    physician_client.post(_url(own))

    run_worker_once()

    reminder = Reminder.objects.get(patient=own)
    assert (reminder.status, reminder.channel) == ("sent", "email")
    (envelope,) = handler.messages
    message = message_from_bytes(envelope.content)
    assert (message["To"], message["Subject"]) == ("pat@example.org", "How are you today?")
    assert message.get_payload().replace("\r\n", "\n") == (
        "Hello Pat Patient,\n\nDr Okafor would like to know how you are feeling. A check-in "
        "takes about 15 seconds.\n\nOpen Relief to check in.\n\nYou can change the time of "
        "these reminders, or turn them off, in Relief under Settings.\n"
    )
    assert OutboundMail.objects.get().status == "sent"


def test_a_second_remind_the_same_local_day_is_a_429(
    physician: User, own: User, physician_client: APIClient
) -> None:
    physician_client.post(_url(own))

    response = physician_client.post(_url(own))

    berlin = ZoneInfo("Europe/Berlin")
    today = timezone.now().astimezone(berlin).date()
    midnight = datetime.combine(today + timedelta(days=1), time(0), berlin)
    assert response.status_code == 429
    assert response.json() == {
        "code": "already_reminded",
        "detail": "This patient has had a reminder today. You can send another tomorrow "
        "(their time).",
        "next_allowed_at": _iso(midnight),
    }
    wait = int(response["Retry-After"])
    assert 0 < wait <= math.ceil((midnight - timezone.now()).total_seconds()) + 1
    assert Reminder.objects.filter(patient=own).count() == 1
    assert DBTaskResult.objects.count() == 1  # the first one's send only
    assert not AuditEvent.objects.filter(request_id=response["X-Request-ID"]).exists()


def test_another_physician_may_not_remind_the_same_day_either(
    own: User,
    physician: User,
    other_physician: User,
    client_for: Any,
    physician_client: APIClient,
) -> None:
    # A colleague of the practice (a care team is of one practice).
    other_physician.practice = physician.practice
    other_physician.save()
    link(other_physician, own)
    physician_client.post(_url(own))

    response = client_for(other_physician).post(_url(own))

    assert response.status_code == 429


def test_the_next_local_day_a_remind_is_allowed_again(
    own: User, physician_client: APIClient
) -> None:
    physician_client.post(_url(own))
    Reminder.objects.update(local_date=timezone.now().date() - timedelta(days=1))

    response = physician_client.post(_url(own))

    assert response.status_code == 201
    assert Reminder.objects.filter(patient=own).count() == 2


def test_another_physicians_patient_is_a_404_audited_with_its_owner(
    other_patient: User, physician: User, physician_client: APIClient
) -> None:
    response = physician_client.post(_url(other_patient))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert not Reminder.objects.exists()
    assert not OutboundMail.objects.exists()
    rows = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert list(rows.values_list("action", "resource", "patient", "actor", "outcome")) == [
        ("create", "reminder", other_patient.pk, physician.pk, "denied")
    ]


def test_an_unknown_patient_is_a_404(physician_client: APIClient) -> None:
    response = physician_client.post(
        "/api/v1/patients/00000000-0000-0000-0000-000000000001/remind/"
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_a_patient_may_not_remind(own: User, patient_client: APIClient) -> None:
    response = patient_client.post(_url(own))

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Only physicians may do this.",
    }
    assert not Reminder.objects.exists()
    (row,) = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (row.action, row.resource, row.outcome) == ("create", "reminder", "denied")


def test_signed_out_is_a_401(own: User, anon_client: APIClient) -> None:
    assert anon_client.post(_url(own)).status_code == 401
    assert not Reminder.objects.exists()


def test_the_patient_card_and_list_show_the_last_reminder(
    own: User, physician_client: APIClient
) -> None:
    assert physician_client.get(f"/api/v1/patients/{own.pk}/").json()["last_reminder"] is None
    sent = physician_client.post(_url(own)).json()

    detail = physician_client.get(f"/api/v1/patients/{own.pk}/").json()
    listed = physician_client.get("/api/v1/patients/").json()["results"][0]

    assert detail["last_reminder"] == listed["last_reminder"] == sent
    assert sent["by"] == "Dr Okafor"


def test_scheduled_reminders_are_not_the_physicians(
    physician: User, own: User, physician_client: APIClient
) -> None:
    Reminder.objects.create(
        patient=own,
        kind="evening",
        local_date=timezone.now().date(),
        due_at=timezone.now(),
        status="sent",
    )

    assert physician_client.get(f"/api/v1/patients/{own.pk}/").json()["last_reminder"] is None
    assert physician_client.post(_url(own)).status_code == 201


def test_the_patient_list_costs_the_same_queries_with_reminders(
    own: User, physician_client: APIClient
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as without:
        physician_client.get("/api/v1/patients/")
    physician_client.post(_url(own))
    with CaptureQueriesContext(connection) as with_one:
        listed = physician_client.get("/api/v1/patients/")

    assert listed.json()["results"][0]["last_reminder"]["by"] == "Dr Okafor"
    assert len(with_one) == len(without)
