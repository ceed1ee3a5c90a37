from __future__ import annotations

from django.urls import path

from accounts import care_apis

urlpatterns = [
    path("invitations/", care_apis.InvitationCreateApi.as_view(), name="invitation-list"),
    path("invitations/accept/", care_apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("patients/", care_apis.PatientListApi.as_view(), name="patient-list"),
    path("patients/<uuid:pk>/", care_apis.PatientDetailApi.as_view(), name="patient-detail"),
]
