from __future__ import annotations

from django.urls import path

from push import apis

urlpatterns = [
    path("push/key/", apis.ServerKeyApi.as_view(), name="push-key"),
    path("push/subscriptions/", apis.SubscriptionsApi.as_view(), name="push-subscriptions"),
]
