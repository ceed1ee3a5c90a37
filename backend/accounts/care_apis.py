"""Care team API: invitations and the physician's patients."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import invitations
from accounts.models import OutboundMail
from accounts.selectors import patient_owner, patients_visible_to, with_activity
from accounts.serializers import UserSerializer
from accounts.timezones import accepted_timezones, timezone_canonical
from audit.api_support import AuditedApiMixin
from audit.models import AuditEvent
from audit.services import audit_record
from config.api import INT_MAX, IsPhysician, Pagination, StrictSerializer, reject_empty_params
from config.exceptions import ApiError
from recovery.reports import attention_key, latest_summaries
from recovery.serializers import FlagSerializer, LatestSerializer


class InvitationCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    display_name = serializers.CharField(max_length=150)


MAIL_STATUS_HELP = (
    "What became of the invitation mail: `sent`; `failed` (the mail server did not take it: "
    "retried later while `mail_next_attempt_at` is set, else given up; hand the code over in "
    "person); `pending` (not tried yet). Null for invitations older than mail tracking."
)


class InvitationMailFields(serializers.Serializer):
    mail_status = serializers.ChoiceField(
        choices=OutboundMail.Status.values,
        source="mail.status",
        allow_null=True,
        default=None,
        help_text=MAIL_STATUS_HELP,
    )
    mail_next_attempt_at = serializers.DateTimeField(
        source="mail.next_attempt_at",
        allow_null=True,
        default=None,
        help_text="When the mail will be tried again; null when it will not be.",
    )


class InvitationSerializer(InvitationMailFields):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    expires_at = serializers.DateTimeField()
    code = serializers.CharField(help_text="The one-time code. Shown only in this response.")


class InvitationListSerializer(InvitationMailFields):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)


# The accepted names as a plain enum: DRF's choice field would also list each of the ~570
# names a second time in the description.
@extend_schema_field({"type": "string", "enum": list(accepted_timezones())})
class TimezoneField(serializers.ChoiceField):
    """An accepted IANA timezone name (``accounts.timezones``), returned canonical."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages", {"invalid_choice": '"{input}" is not a known IANA timezone.'}
        )
        super().__init__(choices=accepted_timezones(), **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        return timezone_canonical(value) or value  # the choices hold only names it maps


class InvitationAcceptSerializer(StrictSerializer):
    code = serializers.CharField(max_length=64)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    timezone = TimezoneField(
        help_text="IANA timezone, e.g. Europe/Berlin: a canonical zone, or a legacy alias "
        "(US/Eastern, Asia/Calcutta), which is stored under its canonical name."
    )


class PatientSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    timezone = serializers.CharField()
    last_checkin_at = serializers.DateTimeField(allow_null=True)
    visit_count = serializers.IntegerField()


@extend_schema(tags=["care team"])
class InvitationCreateApi(APIView):
    """A physician invites a patient; the code is returned once and sent by email."""

    permission_classes = (IsPhysician,)
    pagination_class = Pagination

    @extend_schema(responses={200: InvitationListSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The physician's invitations, newest first, with what became of each mail."""
        reject_empty_params(request, ("page", "page_size"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            invitations.invitations_of(physician=request.user), request, view=self
        )
        return paginator.get_paginated_response(InvitationListSerializer(page, many=True).data)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def post(self, request: Request) -> Response:
        """Create an invitation. The mail is sent after the invitation is stored; whether it
        went is in ``mail_status``, and a mail server that is down is never an error: the
        code in this answer works either way."""
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = invitations.invitation_create(physician=request.user, **serializer.validated_data)
        inv = issued.invitation
        # The mail was tried after the commit: read what became of it.
        inv.mail.refresh_from_db()
        body = {
            "id": inv.id,
            "email": inv.email,
            "display_name": inv.display_name,
            "expires_at": inv.expires_at,
            "code": issued.code,
            "mail": inv.mail,
        }
        return Response(InvitationSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["care team"])
class InvitationAcceptApi(APIView):
    """A new patient sets a password with their code: account and care link are created."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(request=InvitationAcceptSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = invitations.invitation_accept(
                code=data["code"], password=data["password"], timezone_name=data["timezone"]
            )
        except invitations.InvitationInvalid:
            raise ApiError(
                400, "invalid_code", "This code is unknown, used or expired.", field="code"
            ) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class PatientListRowSerializer(PatientSerializer):
    latest = LatestSerializer(allow_null=True, help_text="The latest visit's recovery.")
    flags = FlagSerializer(many=True, help_text="Open flags of the latest visit.")


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
    def get(self, request: Request) -> Response:
        reject_empty_params(request, ("ordering", "page", "page_size"))
        query = PatientQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        patients = with_activity(patients_visible_to(request.user))
        if search := query.validated_data.get("search"):
            patients = patients.filter(display_name__icontains=search)
        patients = list(patients.order_by("display_name", "id"))
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
                request=request,
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
    def get(self, request: Request, pk: Any) -> Response:
        with transaction.atomic():
            patient = with_activity(patients_visible_to(request.user)).filter(pk=pk).first()
            if patient is not None:
                audit_record(
                    request=request,
                    action=AuditEvent.Action.READ,
                    resource=self.audit_resource,
                    patient_ids=[patient.pk],
                    object_id=patient.pk,
                )
        if patient is None:
            self.not_found(patient_owner(pk))
        return Response(PatientSerializer(patient).data)
