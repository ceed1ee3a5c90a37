"""Web Push API: the server's key, and a patient's phones subscribing and unsubscribing."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from core.api import IsPatient
from core.exceptions import ApiError
from core.schema import ErrorSerializer
from push import services, vapid
from push.serializers import (
    ServerKeySerializer,
    SubscriptionOutSerializer,
    SubscriptionSerializer,
)


@extend_schema(tags=["push"])
class ServerKeyApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: ServerKeySerializer})
    def get(self, request: SignedInRequest) -> Response:
        """The key a browser subscribes with; ``public_key`` is null when this server sends
        no push notifications (then the app does not offer them)."""
        key = vapid.server_key()
        return Response({"public_key": key.public_key if key else None})


@extend_schema(tags=["push"])
class SubscriptionsApi(APIView):
    permission_classes = (IsPatient,)

    @extend_schema(
        request=SubscriptionSerializer,
        responses={
            201: OpenApiResponse(
                SubscriptionOutSerializer,
                "Now held for you (new, or moved from whoever used this browser before).",
            ),
            200: OpenApiResponse(SubscriptionOutSerializer, "Already yours (keys updated)."),
        },
    )
    def post(self, request: SignedInRequest) -> Response:
        """This browser's push subscription (``PushSubscription.toJSON()``): reminders reach
        this phone as notifications."""
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.push_subscribe(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
        return Response(
            SubscriptionOutSerializer(result.subscription).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "endpoint",
                {"type": "string", "minLength": 1, "maxLength": 2048, "pattern": "^[^\\u0000]*$"},
                required=True,
                description="The subscription's endpoint.",
            )
        ],
        responses={
            204: None,
            404: OpenApiResponse(ErrorSerializer, "You hold no subscription at this endpoint."),
        },
    )
    def delete(self, request: SignedInRequest) -> Response:
        """Stop push notifications to this browser."""
        endpoint = request.query_params.get("endpoint", "")
        if not endpoint or len(endpoint) > 2048 or "\x00" in endpoint:
            raise serializers.ValidationError(
                {"endpoint": [_("Give the subscription's endpoint (at most 2048 characters).")]}
            )
        if not services.push_unsubscribe(user=request.user, endpoint=endpoint):
            raise ApiError(404, "not_found", _("No such subscription of yours."), field="endpoint")
        return Response(status=status.HTTP_204_NO_CONTENT)
