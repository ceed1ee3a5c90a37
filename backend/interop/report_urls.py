"""Pages outside the API: the printable visit report (mounted at /reports/)."""

from __future__ import annotations

from django.urls import path

from interop import views

urlpatterns = [
    path("visits/<uuid:pk>/", views.visit_report_page, name="visit-report"),
]
