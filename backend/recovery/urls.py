from __future__ import annotations

from django.urls import path

from recovery import apis, patients

urlpatterns = [
    path("patients/", patients.PatientListApi.as_view(), name="patient-list"),
    path("patients/<uuid:pk>/", patients.PatientDetailApi.as_view(), name="patient-detail"),
    path("visits/<uuid:pk>/recovery/", apis.VisitRecoveryApi.as_view(), name="visit-recovery"),
    path(
        "visits/<uuid:pk>/recovery/chart/",
        apis.VisitRecoveryChartApi.as_view(),
        name="visit-recovery-chart",
    ),
    path(
        "visits/<uuid:pk>/flags/<str:code>/acknowledge/",
        apis.FlagAcknowledgeApi.as_view(),
        name="visit-flag-acknowledge",
    ),
    path("patients/<uuid:pk>/course/", apis.PatientCourseApi.as_view(), name="patient-course"),
    path(
        "patients/<uuid:pk>/course/chart/",
        apis.PatientCourseChartApi.as_view(),
        name="patient-course-chart",
    ),
    path("cohort/", apis.CohortApi.as_view(), name="cohort"),
    path("cohort/chart/", apis.CohortChartApi.as_view(), name="cohort-chart"),
]
