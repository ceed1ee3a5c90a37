"""``GET /api/v1/clinic/``: the clinic's name and phone, for anyone (no health data, no
account). The app keeps the answer on the phone so that the call link works offline."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clinic import clinic_info


class ClinicSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The clinic's name (CLINIC_NAME); may be empty.")
    phone = serializers.CharField(
        help_text="The clinic's phone number as written (CLINIC_PHONE); empty when unset."
    )
    tel = serializers.CharField(help_text="The number as a tel: URI; empty when unset.")


class ClinicApi(APIView):
    """The clinic's contact details: a deployment setting, the same for everyone."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="clinic_retrieve", responses={200: ClinicSerializer}, tags=["clinic"]
    )
    def get(self, request: Request) -> Response:
        clinic = clinic_info()
        body = ClinicSerializer({"name": clinic.name, "phone": clinic.phone, "tel": clinic.tel_uri})
        response = Response(body.data)
        # Settings change only with a restart; five minutes of caching costs nothing here.
        response["Cache-Control"] = "public, max-age=300"
        return response
