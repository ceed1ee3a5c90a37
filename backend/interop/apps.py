from __future__ import annotations

from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Data that leaves Relief: FHIR R4 and CSV exports, and the printable visit report."""

    name = "interop"
    default_auto_field = "django.db.models.BigAutoField"
