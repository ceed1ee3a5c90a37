"""Exports API: a patient's record as FHIR R4 or CSV, and one-time links to the printable
visit report. Same permissions as the records (patient: own; physician: own patients);
every export is an audited read, every refusal an audited denial."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to
from accounts.tokens import SESSION_CLAIM
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.api import IsPhysicianOrPracticeAdmin
from core.replica import replica_reads
from interop import csv_export, fhir, practice_export, selectors, services
from recovery.selectors import patient_today
from treatments.selectors import visit_owner, visits_visible_to

FHIR_MEDIA_TYPE = "application/fhir+json"
CSV_MEDIA_TYPE = "text/csv"


class ReportLinkSerializer(serializers.Serializer):
    url = serializers.CharField(
        help_text="Path of the printable report, with a one-time token; open it in the browser."
    )
    expires_at = serializers.DateTimeField(help_text="The link works once, until then.")


@replica_reads
class _ExportApi(AuditedApiMixin, APIView):
    """A patient's record, written by the view itself (not through a DRF renderer)."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # Success bodies (FHIR JSON, CSV) are written by the view; DRF renders only errors,
        # always in the API's one JSON error shape, whatever the Accept header asks for.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def _patient(self, request: SignedInRequest, pk: Any) -> User:
        return self.audited_read(patients_visible_to(request.user), pk, owner=patient_owner)

    @staticmethod
    def _attachment(response: StreamingHttpResponse, name: str) -> None:
        response["Content-Disposition"] = f'attachment; filename="{name}"'


@extend_schema(tags=["exports"])
class PatientFhirExportApi(_ExportApi):
    """The patient's record as a FHIR R4 ``Bundle`` (type ``collection``): Patient,
    Practitioners, one Procedure per visit (CPT 20552/20553) and Observations per check-in
    (pain LOINC 72514-3, soreness, bruising). References are ``urn:uuid:`` full URLs
    inside the bundle. Streamed, so a long history does not load into memory at once."""

    audit_resource = "export_fhir"

    @extend_schema(
        responses={
            (200, FHIR_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A FHIR R4 Bundle of type collection."
            )
        }
    )
    def get(self, request: SignedInRequest, pk: Any) -> StreamingHttpResponse:
        patient = self._patient(request, pk)
        visits = list(selectors.export_visits(user=request.user, patient=patient))
        chunks = fhir.stream_bundle(
            patient=patient,
            physicians=selectors.treating_physicians(patient=patient, visits=visits),
            visits=visits,
            entries=selectors.iter_rows(
                selectors.export_entries(user=request.user, patient=patient)
            ),
            generated_at=timezone.now(),
        )
        response = StreamingHttpResponse(
            chunks, content_type=f"{FHIR_MEDIA_TYPE}; fhirVersion=4.0; charset=utf-8"
        )
        self._attachment(response, f"relief-record-{patient_today(patient)}.fhir.json")
        return response


@extend_schema(tags=["exports"])
class PatientCsvExportApi(_ExportApi):
    """The patient's check-ins as CSV, one row per check-in, oldest first, streamed.

    Columns: entry_id, felt_at, recorded_at, local_date, visit_id, visit_date, day, pain,
    soreness, bruising, iced, heated, strenuous_activity, baseline, day_relief_percent
    (relief of the check-in's day for its visit, as in the recovery API), notes. Text that
    a spreadsheet would run as a formula starts with ``'``."""

    audit_resource = "export_csv"

    @extend_schema(
        operation_id="v1_patients_entries_csv_retrieve",
        responses={
            (200, CSV_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="UTF-8 CSV with a header row."
            )
        },
    )
    def get(self, request: SignedInRequest, pk: Any) -> StreamingHttpResponse:
        patient = self._patient(request, pk)
        baselines = selectors.visit_baselines(user=request.user, patient=patient)
        rows = selectors.iter_rows(selectors.export_entries(user=request.user, patient=patient))
        response = StreamingHttpResponse(
            csv_export.stream_csv(rows, baselines),
            content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
        )
        self._attachment(response, f"relief-checkins-{patient_today(patient)}.csv")
        return response


@extend_schema(tags=["exports"])
class PracticeOutcomesExportApi(_ExportApi):
    """The practice's outcomes for quality review as CSV, streamed: one row per visit of a
    patient of any of the practice's physicians, oldest first, pseudonymous (no name,
    e-mail, timezone, note or contact detail; a per-practice patient key instead of the id).

    Columns: patient_key, visit_number, visit_month, condition, sites, muscles, body_regions,
    injectates, cpt_code, baseline, baseline_source, relief_day_0 … relief_day_14,
    response_window_closed, responder, substantial_responder. Physicians of the practice
    and its administrator; audited as a read of each patient in it, naming the practice."""

    permission_classes = (IsPhysicianOrPracticeAdmin,)
    audit_resource = "practice_export"

    @extend_schema(
        operation_id="v1_practice_outcomes_csv_retrieve",
        responses={
            (200, CSV_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="UTF-8 CSV with a header row."
            )
        },
    )
    def get(self, request: SignedInRequest) -> StreamingHttpResponse:
        practice = request.user.practice
        if practice is None:
            # A PermissionDenied, so the refusal is audited as one (AuditedApiMixin).
            raise PermissionDenied(_("You belong to no practice."), code="no_practice")
        # One row per patient in the file (each is a pseudonym in it), naming the practice:
        # each patient's "who saw my data" lists the download.
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.READ,
            resource=self.audit_resource,
            patient_ids=practice_export.patients_in(practice),
            object_id=practice.pk,
        )
        response = StreamingHttpResponse(
            practice_export.stream_outcomes(practice),
            content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
        )
        today = timezone.now().astimezone(ZoneInfo(request.user.timezone)).date()
        self._attachment(response, f"relief-practice-outcomes-{today}.csv")
        return response


def _session_id(request: SignedInRequest) -> uuid.UUID | None:
    """The sign-in behind the bearer token (None when a test forces authentication)."""
    token: Any = request.auth  # simplejwt's validated token: a mapping of claims
    value = token.get(SESSION_CLAIM) if token is not None else None
    return uuid.UUID(str(value)) if value else None


@extend_schema(tags=["exports"])
class VisitReportLinkApi(AuditedApiMixin, APIView):
    """A one-time link to the visit's printable report (``/reports/visits/{id}/``).

    The web app keeps its access token in memory, so a page opened in a new tab cannot
    send it; this authenticated call returns a URL that opens the report once, for the
    caller only, within 5 minutes (and not after signing out). Same permissions as the
    visit; opening the report is the audited read."""

    audit_resource = "report"

    @extend_schema(request=None, responses={201: ReportLinkSerializer})
    def post(self, request: SignedInRequest, pk: Any) -> Response:
        visit = visits_visible_to(request.user).filter(pk=pk).first()
        if visit is None:
            self.not_found(visit_owner(pk))
        link = services.report_link_create(
            user=request.user, visit=visit, session_id=_session_id(request)
        )
        return Response(ReportLinkSerializer(link).data, status=status.HTTP_201_CREATED)
