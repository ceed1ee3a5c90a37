from __future__ import annotations

from django.urls import path

from interop import apis

urlpatterns = [
    path("patients/<uuid:pk>/fhir/", apis.PatientFhirExportApi.as_view(), name="patient-fhir"),
    path(
        "patients/<uuid:pk>/entries.csv",
        apis.PatientCsvExportApi.as_view(),
        name="patient-entries-csv",
    ),
    path(
        "practice/outcomes.csv",
        apis.PracticeOutcomesExportApi.as_view(),
        name="practice-outcomes-csv",
    ),
    path(
        "visits/<uuid:pk>/report-link/",
        apis.VisitReportLinkApi.as_view(),
        name="visit-report-link",
    ),
]
