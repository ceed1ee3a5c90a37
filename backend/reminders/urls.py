from __future__ import annotations

from django.urls import path

from reminders import apis

urlpatterns = [
    path("reminders/settings/", apis.ReminderSettingsApi.as_view(), name="reminder-settings"),
    path("patients/<uuid:pk>/remind/", apis.PatientRemindApi.as_view(), name="patient-remind"),
]
