from __future__ import annotations

from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from core import periodic
        from recovery.cohort import cohort_refresh_job

        periodic.register(
            "cohort-refresh", cohort_refresh_job, every_seconds=settings.COHORT_REFRESH_SECONDS
        )
