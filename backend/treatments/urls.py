from __future__ import annotations

from django.urls import path

from treatments import apis

urlpatterns = [
    path("visits/", apis.VisitListApi.as_view(), name="visit-list"),
    path("visits/<uuid:pk>/", apis.VisitDetailApi.as_view(), name="visit-detail"),
]
