"""Visits API: physicians record and edit their patients' visits; patients read their own."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.api import Pagination, ReadOrPhysician, reject_empty_params
from core.exceptions import ApiError
from core.schema import ErrorSerializer
from treatments import services
from treatments.selectors import visit_owner, visits_visible_to
from treatments.serializers import VisitCreateSerializer, VisitSerializer


def _own_patient(request: SignedInRequest, patient_id: Any) -> Any:
    patient = patients_visible_to(request.user).filter(pk=patient_id).first()
    if patient is None:
        # The refusal is audited (naming the patient if one exists) but the answer says
        # nothing about whether such a person exists.
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.CREATE,
            resource="visit",
            patient_ids=[p for p in [patient_owner(patient_id)] if p],
            outcome=AuditEvent.Outcome.DENIED,
        )
        raise serializers.ValidationError({"patient": [_("Not one of your patients.")]})
    return patient


@extend_schema(tags=["visits"])
class VisitListApi(AuditedApiMixin, APIView):
    permission_classes = (ReadOrPhysician,)
    audit_resource = "visit"
    pagination_class = Pagination

    @extend_schema(
        responses={200: VisitSerializer(many=True)},
        parameters=[OpenApiParameter("patient", OpenApiTypes.UUID, required=False)],
    )
    def get(self, request: SignedInRequest) -> Response:
        paginator = self.pagination_class()
        visits = visits_visible_to(request.user).order_by("-performed_at", "id")
        reject_empty_params(request, ("patient",))
        patient = request.query_params.get("patient")
        if patient is not None:
            try:
                visits = visits.filter(
                    patient_id=serializers.UUIDField().to_internal_value(patient)
                )
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"patient": exc.detail}) from exc
        with transaction.atomic():
            page = paginator.paginate_queryset(visits, request, view=self)
            audit_record(
                audit=AuditContext.from_request(request),
                action=AuditEvent.Action.LIST,
                resource=self.audit_resource,
                patient_ids=[v.patient_id for v in page],
            )
        return paginator.get_paginated_response(VisitSerializer(page, many=True).data)

    @extend_schema(
        request=VisitCreateSerializer,
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, "Saved before with this id: that visit."),
            409: OpenApiResponse(
                ErrorSerializer,
                "`already_recorded`: this id's visit was recorded with other details; "
                "`conflict`: the id belongs to another visit.",
            ),
        },
    )
    def post(self, request: SignedInRequest) -> Response:
        serializer = VisitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = _own_patient(request, data.pop("patient"))
        visit_id = data.pop("id", None)
        try:
            visit = services.visit_create(
                physician=request.user,
                patient=patient,
                visit_id=visit_id,
                audit=AuditContext.from_request(request),
                **data,
            )
        except services.VisitIdInUse as exc:
            return self._replay(request, exc.visit, patient, visit_id, data)
        visit = visits_visible_to(request.user).get(pk=visit.pk)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    def _replay(
        self,
        request: SignedInRequest,
        taken: Any,
        patient: Any,
        visit_id: Any,
        data: dict[str, Any],
    ) -> Response:
        """A create whose id is in use: the same save again (its first answer was lost) gets
        the visit it recorded, audited as a read; anything else is refused, audited as a
        denied create."""
        error = None
        if taken is None or (taken.physician_id, taken.patient_id) != (request.user.pk, patient.pk):
            error = ApiError(409, "conflict", _("This id belongs to another visit."), field="id")
        elif not services.visit_matches(taken, data):
            error = ApiError(
                409,
                "already_recorded",
                _("This visit was recorded already, with other details: edit it instead."),
                field="id",
            )
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.CREATE if error else AuditEvent.Action.READ,
            resource=self.audit_resource,
            patient_ids=[taken.patient_id if taken is not None else patient.pk],
            object_id=visit_id,
            outcome=AuditEvent.Outcome.DENIED if error else AuditEvent.Outcome.ALLOWED,
        )
        if error:
            raise error
        visit = visits_visible_to(request.user).get(pk=taken.pk)
        return Response(VisitSerializer(visit).data, status=status.HTTP_200_OK)


@extend_schema(tags=["visits"])
class VisitDetailApi(AuditedApiMixin, APIView):
    permission_classes = (ReadOrPhysician,)
    audit_resource = "visit"

    def _get(self, pk: Any) -> Any:
        user = cast("SignedInRequest", self.request).user
        return self.scoped_get(visits_visible_to(user), pk, owner=visit_owner)

    @extend_schema(responses={200: VisitSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        visit = self.audited_read(visits_visible_to(request.user), pk, owner=visit_owner)
        return Response(VisitSerializer(visit).data)

    def _update(self, request: SignedInRequest, pk: Any, *, partial: bool) -> Response:
        visit = self._get(pk)
        serializer = VisitSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "patient" in data and data.pop("patient") != visit.patient_id:
            raise serializers.ValidationError(
                {"patient": [_("A visit cannot move to another patient.")]}
            )
        services.visit_update(visit=visit, data=data, audit=AuditContext.from_request(request))
        visit = visits_visible_to(request.user).get(pk=visit.pk)
        return Response(VisitSerializer(visit).data)

    @extend_schema(request=VisitSerializer, responses={200: VisitSerializer})
    def put(self, request: SignedInRequest, pk: Any) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=VisitSerializer, responses={200: VisitSerializer})
    def patch(self, request: SignedInRequest, pk: Any) -> Response:
        return self._update(request, pk, partial=True)
