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
from core.replica import replica_reads
from diary.models import Entry
from recovery.reports import FLAG_WEIGHT, attention_key, latest_summaries
from recovery.serializers import FlagSerializer, LatestSerializer
from reminders.selectors import with_last_reminder
from reminders.serializers import LastReminderSerializer
from treatments.models import Condition, Visit


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


def latest_condition() -> Subquery:
    """The condition of a patient's latest visit (the one the list summarises: latest
    ``performed_at``, then id), for ``annotate`` on patients."""
    latest = Visit.objects.filter(patient=OuterRef("pk")).order_by("-performed_at", "-id")
    return Subquery(latest.values("condition")[:1])


def open_flags(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A row's open flags. A flag without a ``state`` predates flag states: it is open."""
    return [f for f in row.get("flags") or [] if f.get("state", "open") == "open"]


def _name_key(row: dict[str, Any]) -> tuple[str, str]:
    return ((row["display_name"] or row["email"]).casefold(), str(row["id"]))


def _responder_rank(row: dict[str, Any]) -> int | None:
    latest = row.get("latest") or {}
    if latest.get("responder") is None:
        return None
    return 2 if latest.get("substantial_responder") else 1 if latest["responder"] else 0


def _open_flags_rank(row: dict[str, Any]) -> tuple[int, int]:
    flags = open_flags(row)
    return (len(flags), max((FLAG_WEIGHT.get(f["code"], 0) for f in flags), default=0))


def _latest(field: str) -> Any:
    return lambda row: (row.get("latest") or {}).get(field)


# Each sortable column and the value it sorts by (None: no value, sorted last).
SORT_KEYS: dict[str, Any] = {
    "name": _name_key,
    "days_since_visit": _latest("days_since_visit"),
    "last_checkin": lambda row: row.get("last_checkin_at"),  # ISO-8601 UTC text sorts in time
    "latest_relief": _latest("latest_relief"),
    "responder": _responder_rank,
    "open_flags": _open_flags_rank,
}
ORDERINGS = ["attention", *(f"{sign}{name}" for name in SORT_KEYS for sign in ("", "-"))]


def sort_rows(rows: list[dict[str, Any]], ordering: str) -> list[dict[str, Any]]:
    """Rows in the requested order: by attention, or by one column ascending (``-``:
    descending) with rows lacking a value last either way, ties by name then id."""
    if ordering == "attention":
        return sorted(rows, key=attention_key)
    descending = ordering.startswith("-")
    key = SORT_KEYS[ordering.removeprefix("-")]
    by_name = sorted(rows, key=_name_key)
    valued = [row for row in by_name if key(row) is not None]
    missing = [row for row in by_name if key(row) is None]
    # Python's sort is stable, also with reverse=True: equal values keep the name order.
    return sorted(valued, key=key, reverse=descending) + missing


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


@replica_reads
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
                "ordering",
                OpenApiTypes.STR,
                enum=ORDERINGS,
                required=False,
                description="`attention` (the default) or a column, `-` for descending. "
                "Patients without a value (no visit, no check-in) come last either way; "
                "ties by name, then id. `responder`: not responding, responding (>= 30 %), "
                "substantial (>= 50 %); `open_flags`: the number of open flags, then the "
                "worst one.",
            ),
            OpenApiParameter(
                "open_flags",
                OpenApiTypes.BOOL,
                required=False,
                description="`true`: only patients with at least one open flag; `false`: "
                "only those without.",
            ),
            OpenApiParameter(
                "condition",
                OpenApiTypes.STR,
                enum=Condition.values,
                required=False,
                description="Only patients whose latest visit treated this condition.",
            ),
        ],
        responses={200: PatientListRowSerializer(many=True)},
    )
    def get(self, request: SignedInRequest) -> Response:
        reject_empty_params(request, ("ordering", "page", "page_size", "open_flags", "condition"))
        query = PatientQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        visible = with_activity(patients_visible_to(request.user))
        if search := params.get("search"):
            visible = visible.filter(display_name__icontains=search)
        if condition := params.get("condition"):
            visible = visible.annotate(latest_condition=latest_condition()).filter(
                latest_condition=condition
            )
        patients = list(visible.order_by("display_name", "id"))
        recovery = latest_summaries(patients)
        rows = [
            {
                **PatientSerializer(p).data,
                **recovery.get(str(p.pk), {"latest": None, "flags": []}),
            }
            for p in patients
        ]
        if (wanted := params.get("open_flags")) is not None:
            rows = [row for row in rows if bool(open_flags(row)) is (wanted == "true")]
        rows = sort_rows(rows, params.get("ordering", "attention"))
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
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False)
    # Exactly "true" or "false" (the schema's boolean): DRF's BooleanField also takes
    # "null", "yes", "1"..., values the schema calls invalid.
    open_flags = serializers.ChoiceField(choices=["true", "false"], required=False)
    condition = serializers.ChoiceField(choices=Condition.values, required=False)
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
