"""Recovery API: per visit, per patient course, and the physician's cohort; JSON and charts.

Same permissions as the records underneath (patient: own; physician: own patients; cohort:
a physician's own patients, or their practice's as aggregates for its physicians and its
administrator) and audited as reads.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.api import IsPhysician, IsPhysicianOrPracticeAdmin, reject_empty_params
from core.exceptions import ApiError
from core.replica import replica_reads
from core.schema import ErrorSerializer
from recovery import analytics, charts, cohort, reports, services
from recovery.serializers import (
    CohortFilterSerializer,
    CohortSerializer,
    CourseSerializer,
    FigureSerializer,
    FlagAcknowledgeRequestSerializer,
    FlagSerializer,
    VisitRecoverySerializer,
)
from treatments.models import BodyRegion, Condition, Injectate
from treatments.selectors import visit_owner, visits_visible_to

COHORT_PARAMETERS = [
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=cohort.SCOPES,
        required=False,
        description="mine (default): your patients. practice: the patients of every "
        "physician of your practice, as aggregates only (physicians of the practice and its "
        "administrator; 400 naming scope without a practice).",
    ),
    OpenApiParameter("condition", OpenApiTypes.STR, enum=Condition.values, required=False),
    OpenApiParameter("injectate", OpenApiTypes.STR, enum=Injectate.values, required=False),
    OpenApiParameter("body_region", OpenApiTypes.STR, enum=BodyRegion.values, required=False),
]


class _VisitRecoveryBase(AuditedApiMixin, APIView):
    audit_resource = "recovery"

    def _visit(self, request: SignedInRequest, pk: Any) -> Any:
        # Recovery reads no injection sites: skip the list's prefetch of them.
        visits = visits_visible_to(request.user).prefetch_related(None)
        return self.audited_read(visits, pk, owner=visit_owner)


@extend_schema(tags=["recovery"])
class VisitRecoveryApi(_VisitRecoveryBase):
    """Baseline, per-day pain/soreness/relief, summary and flags of one visit."""

    @extend_schema(responses={200: VisitRecoverySerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        return Response(reports.visit_recovery(self._visit(request, pk)))


@extend_schema(tags=["recovery"])
class VisitRecoveryChartApi(_VisitRecoveryBase):
    """The visit's recovery as a plotly figure (``Plotly.newPlot(el, data, layout)``)."""

    @extend_schema(responses={200: FigureSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        return Response(reports.visit_chart(self._visit(request, pk)))


@extend_schema(tags=["recovery"])
class FlagAcknowledgeApi(AuditedApiMixin, APIView):
    """Acknowledge the visit's open flag of this code (your own patients' visits): it stays
    in the history, marked acknowledged by you with your note, and no longer counts in the
    attention order. A later new occurrence of the same flag is open again."""

    permission_classes = (IsPhysician,)
    audit_resource = "flag"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(analytics.FLAG_CODES)
            )
        ],
        request=FlagAcknowledgeRequestSerializer,
        responses={
            201: FlagSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                "`no_open_flag`: the visit has no open flag of this code (none raised, "
                "resolved, or acknowledged already).",
            ),
        },
    )
    def post(self, request: SignedInRequest, pk: Any, code: str) -> Response:
        visits = visits_visible_to(request.user).prefetch_related(None)
        visit = self.scoped_get(visits, pk, owner=visit_owner)
        if code not in analytics.FLAG_CODES:
            raise ValidationError(
                {
                    "code": [
                        _("Unknown flag code; one of %(codes)s.")
                        % {"codes": ", ".join(analytics.FLAG_CODES)}
                    ]
                }
            )
        body = FlagAcknowledgeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            flag = services.flag_acknowledge(
                physician=request.user,
                visit=visit,
                code=code,
                note=body.validated_data["note"],
                audit=AuditContext.from_request(request),
            )
        except services.NoOpenFlag as exc:
            raise ApiError(409, "no_open_flag", exc.detail) from exc
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


@replica_reads
class _CourseBase(AuditedApiMixin, APIView):
    audit_resource = "course"

    def _patient(self, request: SignedInRequest, pk: Any) -> Any:
        return self.audited_read(patients_visible_to(request.user), pk, owner=patient_owner)


@extend_schema(tags=["recovery"])
class PatientCourseApi(_CourseBase):
    """Every visit of one patient with its summary, in order."""

    @extend_schema(responses={200: CourseSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        return Response(reports.patient_course(self._patient(request, pk)))


@extend_schema(tags=["recovery"])
class PatientCourseChartApi(_CourseBase):
    """The patient's course as a plotly figure: one pain trace per visit."""

    @extend_schema(responses={200: FigureSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        return Response(reports.course_chart(self._patient(request, pk)))


@replica_reads
class _CohortBase(AuditedApiMixin, APIView):
    """Physicians: their own patients, or their practice's. A practice administrator: the
    practice's. Aggregates either way, so no patient is named."""

    permission_classes = (IsPhysicianOrPracticeAdmin,)
    audit_resource = "cohort"

    def _cohort(self, request: SignedInRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        reject_empty_params(request, ("scope", "condition", "injectate", "body_region"))
        filters = CohortFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = {str(name): filters.validated_data.get(name) for name in filters.fields}
        scope = chosen.pop("scope")
        user = request.user
        if scope == cohort.MINE and not user.is_physician:
            # A PermissionDenied, so the refusal is audited as one (AuditedApiMixin).
            raise PermissionDenied(
                _("A practice administrator has no patients of their own: ask for scope=practice.")
            )
        if scope == cohort.PRACTICE and user.practice_id is None:
            # 400, not 403: the role may read a practice's numbers; this account has no
            # practice to read, and the same request with scope=mine answers.
            raise ApiError(
                400,
                "no_practice",
                _("You belong to no practice: ask for scope=mine."),
                field="scope",
            )
        result = cohort.served(user, scope=scope, **chosen)
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.READ,
            resource="cohort",
            # The practice scope names the practice read; no patient is named either way.
            object_id=user.practice_id if scope == cohort.PRACTICE else "",
        )
        return {"scope": scope, "filters": chosen}, result


@extend_schema(tags=["recovery"])
class CohortApi(_CohortBase):
    """Median relief and IQR per day 0-28 across the visits in scope, with n; rates.

    Aggregates only in both scopes: per day the median, quartiles and n, and counts of
    responders; nothing that names or counts a single patient or visit."""

    @extend_schema(parameters=COHORT_PARAMETERS, responses={200: CohortSerializer})
    def get(self, request: SignedInRequest) -> Response:
        chosen, result = self._cohort(request)
        return Response(
            {
                **chosen,
                "days": cohort.curve_rows(result["curve"]),
                "rates": analytics.jsonable(result["rates"]),
                "as_of": result["as_of"],
            }
        )


@extend_schema(tags=["recovery"])
class CohortChartApi(_CohortBase):
    """The cohort as a plotly figure: median line, IQR band, n in the hover."""

    @extend_schema(parameters=COHORT_PARAMETERS, responses={200: FigureSerializer})
    def get(self, request: SignedInRequest) -> Response:
        _, result = self._cohort(request)
        return Response(charts.cohort_chart(result["curve"], result["rates"]))
