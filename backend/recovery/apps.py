from __future__ import annotations

from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import periodic
        from recovery.cohort import REFRESH_EVERY, cohort_refresh_job

        periodic.register("cohort-refresh", cohort_refresh_job, every_seconds=REFRESH_EVERY)
