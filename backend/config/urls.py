from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import frontend, health
from config.clinic import ClinicApi

api_v1: list[URLPattern | URLResolver] = [
    path("auth/", include("accounts.urls")),
    path("", include("accounts.care_urls")),
    path("", include("treatments.urls")),
    path("", include("diary.urls")),
    path("", include("reminders.urls")),
    path("", include("recovery.urls")),
    path("", include("audit.urls")),
    path("", include("interop.urls")),
    path("clinic/", ClinicApi.as_view(), name="clinic"),
    path("", include("push.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    # The printable visit report: an HTML page opened with a one-time link (see interop).
    path("reports/", include("interop.report_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    # The web app itself is served from frontend/ by WhiteNoise; these two need a view.
    path("sw.js", frontend.service_worker, name="service-worker"),
    path("vendor/<str:name>", frontend.vendor, name="vendor"),
]

handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"
