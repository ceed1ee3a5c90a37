from __future__ import annotations

from django.urls import path

from diary import apis

urlpatterns = [
    path("entries/", apis.EntryListApi.as_view(), name="entry-list"),
    path("entries/sync/", apis.EntrySyncApi.as_view(), name="entry-sync"),
    path("entries/<uuid:pk>/", apis.EntryDetailApi.as_view(), name="entry-detail"),
]
