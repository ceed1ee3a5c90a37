"""Reminders API: a patient's reminder settings, and a physician's "Remind"."""

from __future__ import annotations

import math
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from core.api import IsPatient, IsPhysician
from reminders import services
from reminders.selectors import next_reminder_at, reminder_settings_of
from reminders.serializers import (
    AlreadyRemindedSerializer,
    LastReminderSerializer,
    ReminderSettingsSerializer,
)
from reminders.tasks import enqueue_send


def _settings_body(patient: User) -> dict[str, Any]:
    schedule = reminder_settings_of(patient)
    return dict(
        ReminderSettingsSerializer(
            {
                "enabled": schedule.enabled,
                "evening_time": schedule.evening_time,
                "morning_time": schedule.morning_time,
                "timezone": patient.timezone,
                "next_reminder_at": next_reminder_at(patient, now=timezone.now()),
            }
        ).data
    )


@extend_schema(tags=["reminders"])
class ReminderSettingsApi(APIView):
    """The signed-in patient's reminders: on or off, the evening time, an optional morning
    time. By default on, at 19:00 local time, on days 0-14 after each visit, and never on a
    day the patient has already checked in."""

    permission_classes = (IsPatient,)

    @extend_schema(responses={200: ReminderSettingsSerializer})
    def get(self, request: SignedInRequest) -> Response:
        return Response(_settings_body(request.user))

    @extend_schema(request=ReminderSettingsSerializer, responses={200: ReminderSettingsSerializer})
    def patch(self, request: SignedInRequest) -> Response:
        serializer = ReminderSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.reminder_settings_update(
            patient=request.user, now=timezone.now(), **serializer.validated_data
        )
        return Response(_settings_body(request.user))


@extend_schema(tags=["care team"])
class PatientRemindApi(AuditedApiMixin, APIView):
    """Remind one of your patients to check in, now: by Web Push to their phone if it has
    subscribed, else by e-mail. At most one a day per patient (their local day)."""

    permission_classes = (IsPhysician,)
    audit_resource = "reminder"

    @extend_schema(
        request=None,
        responses={
            201: LastReminderSerializer,
            429: OpenApiResponse(
                AlreadyRemindedSerializer,
                "`already_reminded`: this patient has had a reminder from a physician today "
                "(their local day); `next_allowed_at` says when the next may be sent.",
            ),
        },
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds until the next reminder may be sent.",
            )
        ],
    )
    def post(self, request: SignedInRequest, pk: Any) -> Response:
        patient = self.scoped_get(patients_visible_to(request.user), pk, owner=patient_owner)
        now = timezone.now()
        try:
            reminder = services.reminder_request(
                physician=request.user,
                patient=patient,
                now=now,
                audit=AuditContext.from_request(request),
                enqueue=enqueue_send,
            )
        except services.AlreadyReminded as exc:
            response = Response(
                AlreadyRemindedSerializer(
                    {
                        "code": "already_reminded",
                        "detail": _(
                            "This patient has had a reminder today. You can send another "
                            "tomorrow (their time)."
                        ),
                        "next_allowed_at": exc.next_allowed_at,
                    }
                ).data,
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
            wait = (exc.next_allowed_at - now).total_seconds()
            response["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        body = LastReminderSerializer({"at": reminder.created_at, "by": request.user.display_name})
        return Response(body.data, status=status.HTTP_201_CREATED)
