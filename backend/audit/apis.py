from __future__ import annotations

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from audit.models import AuditEvent
from audit.selectors import audit_events_for
from core.api import Pagination

if TYPE_CHECKING:  # audit sits below accounts: the type only
    from accounts.requests import SignedInRequest


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    display_name = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    actor = ActorSerializer(allow_null=True)
    patient = serializers.UUIDField(source="patient_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "at",
            "actor",
            "actor_role",
            "action",
            "resource",
            "object_id",
            "patient",
            "outcome",
        )
        read_only_fields = fields

    def to_representation(self, instance: AuditEvent) -> dict:
        data = super().to_representation(instance)
        viewer = self.context["request"].user
        if instance.outcome == AuditEvent.Outcome.DENIED:
            # A refusal must not confirm, after the fact, whose record an id was: only the
            # patient it belongs to sees that. And a patient who probed someone else's data
            # stays anonymous to them (their name is another patient's personal data).
            if instance.patient_id != viewer.pk:
                data["patient"] = None
            if instance.actor_role == "patient" and instance.actor_id != viewer.pk:
                data["actor"] = {"id": None, "display_name": "Another patient"}
        return data


@extend_schema(tags=["audit"])
class AuditListApi(ListAPIView):
    """Patients: who accessed their data and when. Physicians: their own actions."""

    serializer_class = AuditEventSerializer
    pagination_class = Pagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return AuditEvent.objects.none()
        return audit_events_for(cast("SignedInRequest", self.request).user)
