"""The physician's patient list and one patient's card: who they are, their latest recovery
and its flags, ordered by who needs attention first. Here, beside the summaries it reads
(``recovery.reports``), not in accounts: the list is built from every app below."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.api import INT_MAX, IsPhysician, Pagination, reject_empty_params
from diary.models import Entry
from recovery.reports import attention_key, latest_summaries
from recovery.serializers import FlagSerializer, LatestSerializer
from reminders.selectors import with_last_reminder
from reminders.serializers import LastReminderSerializer
from treatments.models import Visit


def with_activity(patients: QuerySet[User]) -> QuerySet[User]:
    """Annotate last check-in time, visit count and the last physician's reminder with
    correlated subqueries (no fan-out)."""
    last_entry = (
        Entry.objects.filter(patient=OuterRef("pk"), deleted_at__isnull=True)
        .values("patient")
        .annotate(last=Max("felt_at"))
        .values("last")
    )
    visit_count = (
        Visit.objects.filter(patient=OuterRef("pk"))
        .values("patient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return with_last_reminder(
        patients.annotate(
            last_checkin_at=Subquery(last_entry),
            visit_count=Coalesce(Subquery(visit_count, output_field=IntegerField()), Value(0)),
        )
    )


class PatientSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    timezone = serializers.CharField()
    last_checkin_at = serializers.DateTimeField(allow_null=True)
    visit_count = serializers.IntegerField()
    last_reminder = serializers.SerializerMethodField(
        help_text='The latest reminder a physician sent with "Remind", or null.'
    )

    @extend_schema_field(LastReminderSerializer(allow_null=True))
    def get_last_reminder(self, patient: User) -> dict[str, Any] | None:
        at = getattr(patient, "last_reminder_at", None)
        if at is None:
            return None
        return dict(
            LastReminderSerializer(
                {"at": at, "by": getattr(patient, "last_reminder_by", None)}
            ).data
        )


class PatientListRowSerializer(PatientSerializer):
    latest = LatestSerializer(allow_null=True, help_text="The latest visit's recovery.")
    flags = FlagSerializer(
        many=True,
        help_text="The latest visit's flags, each with its state (open, acknowledged or "
        "resolved) and history.",
    )


@extend_schema(tags=["care team"])
class PatientListApi(AuditedApiMixin, APIView):
    """The physician's patients: those needing attention first (``ordering=attention``,
    the default: worst flags, then non-responders, then least relief) or by name."""

    permission_classes = (IsPhysician,)
    audit_resource = "patient"
    pagination_class = Pagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search", {"type": "string", "maxLength": 150}, required=False, description="Name"
            ),
            OpenApiParameter(
                "ordering", OpenApiTypes.STR, enum=["attention", "name"], required=False
            ),
        ],
        responses={200: PatientListRowSerializer(many=True)},
    )
    def get(self, request: SignedInRequest) -> Response:
        reject_empty_params(request, ("ordering", "page", "page_size"))
        query = PatientQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        visible = with_activity(patients_visible_to(request.user))
        if search := query.validated_data.get("search"):
            visible = visible.filter(display_name__icontains=search)
        patients = list(visible.order_by("display_name", "id"))
        recovery = latest_summaries(patients)
        rows = [
            {
                **PatientSerializer(p).data,
                **recovery.get(str(p.pk), {"latest": None, "flags": []}),
            }
            for p in patients
        ]
        if query.validated_data.get("ordering", "attention") == "attention":
            rows.sort(key=attention_key)
        paginator = self.pagination_class()
        with transaction.atomic():
            page = paginator.paginate_queryset(rows, request, view=self)
            audit_record(
                audit=AuditContext.from_request(request),
                action=AuditEvent.Action.LIST,
                resource=self.audit_resource,
                patient_ids=[row["id"] for row in page],
            )
        return paginator.get_paginated_response(page)


class PatientQuerySerializer(serializers.Serializer):
    search = serializers.CharField(max_length=150, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(choices=["attention", "name"], required=False)
    page = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False)


@extend_schema(tags=["care team"])
class PatientDetailApi(AuditedApiMixin, APIView):
    """One patient: physicians see their own patients, a patient sees themself."""

    audit_resource = "patient"

    @extend_schema(responses={200: PatientSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        patients = with_activity(patients_visible_to(request.user))
        patient = self.audited_read(patients, pk, owner=patient_owner)
        return Response(PatientSerializer(patient).data)
