from __future__ import annotations

from django.urls import path

from accounts import care_apis, practice_apis

urlpatterns = [
    path("invitations/", care_apis.InvitationCreateApi.as_view(), name="invitation-list"),
    path("invitations/accept/", care_apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
    # A practice's people, and a patient's care team.
    path("practice/", practice_apis.PracticeApi.as_view(), name="practice"),
    path(
        "practice/invitations/",
        practice_apis.PracticeInvitationsApi.as_view(),
        name="practice-invitations",
    ),
    path("patients/<uuid:pk>/care-team/", practice_apis.CareTeamApi.as_view(), name="care-team"),
    path(
        "patients/<uuid:pk>/care-team/<uuid:physician_id>/",
        practice_apis.CareTeamMemberApi.as_view(),
        name="care-team-member",
    ),
    path("me/care-team/", practice_apis.MyCareTeamApi.as_view(), name="my-care-team"),
]
