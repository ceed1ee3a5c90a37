"""Django's admin app, serving Relief's admin site (sign-in limit, optional TOTP).

Kept apart from ``admin_site``: this module is imported while the app registry is being
filled, before django-otp's models may be imported.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ReliefAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.ReliefAdminSite"
