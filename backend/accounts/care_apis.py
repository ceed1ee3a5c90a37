"""Care team API: invitations (the physician's patient list is ``recovery.patients``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import invitations
from accounts.invitation_codes import accept_url, qr_svg_data_uri
from accounts.models import OutboundMail
from accounts.requests import SignedInRequest
from accounts.serializers import TimezoneField, UserSerializer
from core.api import IsPhysician, Pagination, StrictSerializer, reject_empty_params
from core.exceptions import ApiError
from core.i18n import Language, language_from_request, supported_language

INVITEE_LANGUAGE_HELP = (
    "The language to invite them in (`en` English, `es` Spanish): the mail's, and their "
    "account's unless they choose another when signing up. Omitted: the mail goes in the "
    "language of this request, and the account takes the one their sign-up asks for."
)


def invitee_language_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Language.choices, required=False, help_text=INVITEE_LANGUAGE_HELP
    )


class ChosenLanguageField(serializers.ChoiceField):
    """An invitation's chosen language; null where none was (stored as "")."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


def invitation_language_field() -> serializers.ChoiceField:
    return ChosenLanguageField(
        choices=Language.choices,
        allow_null=True,
        help_text="The language chosen for them (their mail's); null when none was.",
    )


def request_language() -> str:
    """The language this request speaks (the signed-in user's, see core/i18n.py)."""
    return supported_language(get_language()) or Language.EN.value


class InvitationCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    display_name = serializers.CharField(max_length=150)
    language = invitee_language_field()


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
    language = invitation_language_field()
    expires_at = serializers.DateTimeField()
    code = serializers.CharField(
        help_text="The one-time code, grouped for reading (`K7QX-M2PD-R9TB-W4HZ`); accepted "
        "in any case, with or without dashes or spaces. Shown only in this response."
    )
    accept_url = serializers.URLField(
        help_text="The sign-up link with the code filled in (also in the mail)."
    )
    qr_svg = serializers.CharField(
        help_text="A QR code of `accept_url` as an SVG `data:` URI for an <img>."
    )


def app_origin(request: Any) -> str:
    """The app's origin for sign-up links: PUBLIC_URL, or the one this request came to."""
    return str(settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/"))


def issued_answer(issued: invitations.IssuedInvitation, site: str) -> dict[str, Any]:
    """The answer to a new invitation (``InvitationSerializer``'s fields): its code, link
    and QR, and what became of its mail so far (tried after the commit)."""
    inv = issued.invitation
    assert inv.mail is not None  # stored with the invitation
    inv.mail.refresh_from_db()
    link = accept_url(site, issued.code)
    return {
        "id": inv.id,
        "email": inv.email,
        "display_name": inv.display_name,
        "language": inv.language,
        "role": inv.role,
        "expires_at": inv.expires_at,
        "code": issued.code,
        "accept_url": link,
        "qr_svg": qr_svg_data_uri(link),
        "mail": inv.mail,
    }


class InvitationListSerializer(InvitationMailFields):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    language = invitation_language_field()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)


class InvitationAcceptSerializer(StrictSerializer):
    code = serializers.CharField(max_length=64)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    timezone = TimezoneField(
        help_text="IANA timezone, e.g. Europe/Berlin: a canonical zone, or a legacy alias "
        "(US/Eastern, Asia/Calcutta), which is stored under its canonical name."
    )
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        help_text="The account's language (`en` English, `es` Spanish). Omitted: the one "
        "the invitation chose for them, else the first of Accept-Language that Relief "
        "speaks, else English.",
    )


@extend_schema(tags=["care team"])
class InvitationCreateApi(APIView):
    """A physician invites a patient; the code is returned once and sent by email."""

    permission_classes = (IsPhysician,)
    pagination_class = Pagination

    @extend_schema(responses={200: InvitationListSerializer(many=True)})
    def get(self, request: SignedInRequest) -> Response:
        """The physician's invitations, newest first, with what became of each mail."""
        reject_empty_params(request, ("page", "page_size"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            invitations.invitations_of(physician=request.user), request, view=self
        )
        return paginator.get_paginated_response(InvitationListSerializer(page, many=True).data)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def post(self, request: SignedInRequest) -> Response:
        """Create an invitation. The mail is sent after the invitation is stored; whether it
        went is in ``mail_status``, and a mail server that is down is never an error: the
        code in this answer works either way."""
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site = app_origin(request)
        issued = invitations.invitation_create(
            physician=request.user,
            site=site,
            mail_language=request_language(),
            **serializer.validated_data,
        )
        body = issued_answer(issued, site)
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
                code=data["code"],
                password=data["password"],
                timezone_name=data["timezone"],
                language=data.get("language"),
                fallback_language=language_from_request(request._request),
            )
        except invitations.InvitationInvalid:
            raise ApiError(
                400, "invalid_code", _("This code is unknown, used or expired."), field="code"
            ) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)
