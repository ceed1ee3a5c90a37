"""A practice's people (members, and the administrator's invitations) and a patient's care
team (which physicians of the practice treat them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import care_team, invitations
from accounts.care_apis import (
    InvitationMailFields,
    InvitationSerializer,
    app_origin,
    invitation_language_field,
    invitee_language_field,
    issued_answer,
    request_language,
)
from accounts.models import PRACTICE_ROLES, Practice, User
from accounts.requests import SignedInRequest
from accounts.selectors import patient_owner, patients_visible_to, practice_members
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from core.api import (
    IsPatient,
    IsPhysician,
    IsPracticeAdmin,
    IsPracticeMember,
    Pagination,
    StrictSerializer,
    reject_empty_params,
)
from core.exceptions import ApiError

PRACTICE_ROLE_CHOICES = [str(role) for role in PRACTICE_ROLES]


# --- the practice and its people -----------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=PRACTICE_ROLE_CHOICES)


class PracticeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    members = MemberSerializer(many=True)


def own_practice(user: User) -> Practice:
    """The signed-in member's practice; 404 for an account that has none (a physician made
    by `createsuperuser`; staff and administrators always have one, a database constraint)."""
    if user.practice is None:
        raise NotFound(_("You are not in a practice."))
    return user.practice


@extend_schema(tags=["practice"])
class PracticeApi(APIView):
    """The signed-in physician's, staff member's or administrator's practice: its name and
    its members with their roles. Patients have none (403)."""

    permission_classes = (IsPracticeMember,)

    @extend_schema(responses={200: PracticeSerializer})
    def get(self, request: SignedInRequest) -> Response:
        practice = own_practice(request.user)
        body = {"id": practice.pk, "name": practice.name, "members": practice_members(practice)}
        return Response(PracticeSerializer(body).data)


class PracticeInvitationCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    display_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=PRACTICE_ROLE_CHOICES)
    language = invitee_language_field()


class PracticeInvitationSerializer(InvitationSerializer):
    role = serializers.ChoiceField(choices=PRACTICE_ROLE_CHOICES)


class PracticeInvitationListSerializer(InvitationMailFields):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.ChoiceField(choices=PRACTICE_ROLE_CHOICES)
    language = invitation_language_field()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    invited_by = serializers.CharField(
        source="invited_by.display_name",
        allow_null=True,
        default=None,
        help_text="Who sent it; null when `relief practice create` did.",
    )


@extend_schema(tags=["practice"])
class PracticeInvitationsApi(APIView):
    """A practice administrator invites physicians, staff and administrators of their
    practice; the code is returned once and mailed."""

    permission_classes = (IsPracticeAdmin,)
    pagination_class = Pagination

    @extend_schema(responses={200: PracticeInvitationListSerializer(many=True)})
    def get(self, request: SignedInRequest) -> Response:
        """The practice's open invitations (not accepted, not expired), newest first."""
        reject_empty_params(request, ("page", "page_size"))
        practice = own_practice(request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            invitations.practice_invitations_open(practice=practice),
            request,
            view=self,
        )
        return paginator.get_paginated_response(
            PracticeInvitationListSerializer(page, many=True).data
        )

    @extend_schema(
        request=PracticeInvitationCreateSerializer,
        responses={201: PracticeInvitationSerializer},
    )
    def post(self, request: SignedInRequest) -> Response:
        """Invite someone to the practice as a physician, staff or administrator. An email
        that already has an account is a 400 naming `email`."""
        serializer = PracticeInvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        practice = own_practice(request.user)
        site = app_origin(request)
        try:
            issued = invitations.practice_invitation_create(
                practice=practice,
                invited_by=request.user,
                site=site,
                mail_language=request_language(),
                **serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        body = issued_answer(issued, site)
        return Response(PracticeInvitationSerializer(body).data, status=status.HTTP_201_CREATED)


# --- a patient's care team ---------------------------------------------------------------


class TeamPracticeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TeamPhysicianSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()


class CareTeamSerializer(serializers.Serializer):
    practice = TeamPracticeSerializer(allow_null=True)
    physicians = TeamPhysicianSerializer(many=True)


class CareTeamAddSerializer(StrictSerializer):
    physician = serializers.UUIDField(help_text="A physician of your practice.")


def _team_body(patient: User) -> dict[str, Any]:
    physicians = list(care_team.care_team_of(patient))
    practice = physicians[0].practice if physicians else None
    return {"practice": practice, "physicians": physicians}


@extend_schema(tags=["care team"])
class CareTeamApi(AuditedApiMixin, APIView):
    """The physicians on one of your patients' care team; add a colleague of your practice
    (cover during a holiday). Only physicians on the team see the patient."""

    permission_classes = (IsPhysician,)
    audit_resource = care_team.CARE_TEAM

    @extend_schema(responses={200: CareTeamSerializer})
    def get(self, request: SignedInRequest, pk: Any) -> Response:
        patient = self.scoped_get(patients_visible_to(request.user), pk, owner=patient_owner)
        return Response(CareTeamSerializer(_team_body(patient)).data)

    @extend_schema(
        request=CareTeamAddSerializer, responses={200: CareTeamSerializer, 201: CareTeamSerializer}
    )
    def post(self, request: SignedInRequest, pk: Any) -> Response:
        """Add a colleague: 201 with the team, or 200 if they were on it already. A
        physician of another practice, or someone who is not a physician, is a 400 naming
        `physician`. Audited with the patient, who sees it in their list."""
        patient = self.scoped_get(patients_visible_to(request.user), pk, owner=patient_owner)
        serializer = CareTeamAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            _, created = care_team.care_team_add(
                patient=patient,
                colleague_id=serializer.validated_data["physician"],
                audit=AuditContext.from_request(request),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        except care_team.ActorNotOnCareTeam:
            raise NotFound() from None  # taken off the team a moment ago: as any other patient
        return Response(
            CareTeamSerializer(_team_body(patient)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=["care team"])
class CareTeamMemberApi(AuditedApiMixin, APIView):
    """Take a physician (a colleague, or yourself) off one of your patients' care team.
    Never the last one; the physician removed loses access to the patient at once."""

    permission_classes = (IsPhysician,)
    audit_resource = care_team.CARE_TEAM

    @extend_schema(responses={204: None})
    def delete(self, request: SignedInRequest, pk: Any, physician_id: Any) -> Response:
        patient = self.scoped_get(patients_visible_to(request.user), pk, owner=patient_owner)
        try:
            care_team.care_team_remove(
                patient=patient, physician_id=physician_id, audit=AuditContext.from_request(request)
            )
        except care_team.NotOnCareTeam:
            raise NotFound(_("This physician is not on the patient's care team.")) from None
        except care_team.ActorNotOnCareTeam:
            raise NotFound() from None  # taken off the team a moment ago: as any other patient
        except care_team.LastPhysician:
            raise ApiError(
                400,
                "last_physician",
                _("A patient's care team keeps at least one physician."),
                field="physician",
            ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyTeamPhysicianSerializer(serializers.Serializer):
    display_name = serializers.CharField()


class MyCareTeamSerializer(serializers.Serializer):
    practice = serializers.CharField(
        source="practice.name", allow_null=True, help_text="The practice's name."
    )
    physicians = MyTeamPhysicianSerializer(many=True)


@extend_schema(tags=["care team"])
class MyCareTeamApi(AuditedApiMixin, APIView):
    """The signed-in patient's care team: their physicians' names and their practice."""

    permission_classes = (IsPatient,)
    audit_resource = care_team.CARE_TEAM

    @extend_schema(responses={200: MyCareTeamSerializer})
    def get(self, request: SignedInRequest) -> Response:
        return Response(MyCareTeamSerializer(_team_body(request.user)).data)
