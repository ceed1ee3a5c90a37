from __future__ import annotations

from django.urls import path

from accounts import care_apis

urlpatterns = [
    path("invitations/", care_apis.InvitationCreateApi.as_view(), name="invitation-list"),
    path("invitations/accept/", care_apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
]
