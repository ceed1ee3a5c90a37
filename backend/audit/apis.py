from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from audit.filters import AuditEventFilter
from audit.kinds import ActorKind, ResourceKind, actor_kind, resource_kind
from audit.models import AuditEvent
from audit.selectors import audit_events_for
from core.api import Pagination, reject_empty_params

if TYPE_CHECKING:  # audit sits below accounts: the type only
    from accounts.requests import SignedInRequest


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        allow_null=True, help_text="Null in a patient's own list (``actor_kind`` says who)."
    )
    display_name = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Null in a patient's own list: one sequence numbers every patient's rows, so its "
            "gaps would tell how busy the clinic is."
        ),
    )
    actor = ActorSerializer(allow_null=True)
    patient = serializers.UUIDField(source="patient_id", allow_null=True)
    actor_kind = serializers.ChoiceField(
        choices=ActorKind.choices,
        read_only=True,
        allow_null=True,
        help_text="Who acted, as the patient hears it. Only in a patient's own list.",
    )
    resource_kind = serializers.ChoiceField(
        choices=ResourceKind.choices,
        read_only=True,
        allow_null=True,
        help_text="What kind of their data it was. Only in a patient's own list.",
    )

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
            "actor_kind",
            "resource_kind",
        )
        read_only_fields = fields

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        # actor_kind and resource_kind are no attributes of the row: None until set below.
        data = super().to_representation(instance)
        viewer = self.context["request"].user
        if instance.outcome == AuditEvent.Outcome.DENIED:
            # A refusal must not confirm, after the fact, whose record an id was: only the
            # patient it belongs to sees that. And a patient who probed someone else's data
            # stays anonymous to them (their name is another patient's personal data).
            if instance.patient_id != viewer.pk:
                data["patient"] = None
            if instance.actor_role == "patient" and instance.actor_id != viewer.pk:
                data["actor"] = {"id": None, "display_name": _("Another patient")}
        if viewer.is_patient and instance.patient_id == viewer.pk:
            # A patient's own list: what their app needs to say it in words, and no internal
            # id they do not already hold (their own and their records' ids are theirs).
            data["id"] = None
            if data["actor"] is not None:
                data["actor"]["id"] = None
            data["actor_kind"] = actor_kind(instance, viewer).value
            data["resource_kind"] = resource_kind(instance.resource).value
        return data


@extend_schema(tags=["audit"])
class AuditListApi(ListAPIView):
    """Patients: who accessed their data and when, newest first, with ``actor_kind`` and
    ``resource_kind`` to say each row in plain words. Physicians: their own actions.

    To page through the list as it stood ("load more"), pass the first page's newest
    ``at`` as ``until`` with every later page: rows written meanwhile then do not shift
    the pages."""

    serializer_class = AuditEventSerializer
    pagination_class = Pagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = AuditEventFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return AuditEvent.objects.none()
        return audit_events_for(cast("SignedInRequest", self.request).user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reject_empty_params(request, tuple(AuditEventFilter.base_filters))
        return super().list(request, *args, **kwargs)
