from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import AppConfig

# Finished task rows are kept this long (to look into a failure), then removed by the worker.
TASK_RESULTS_KEPT = timedelta(days=14)


def prune_task_results(*, now: datetime) -> int:
    from django_tasks_db.models import DBTaskResult

    deleted, _ = (
        DBTaskResult.objects.finished().filter(finished_at__lt=now - TASK_RESULTS_KEPT).delete()
    )
    return deleted


class CoreConfig(AppConfig):
    """Installed for its management command (``relief worker``) and the periodic jobs'
    registry; it has no models."""

    name = "core"

    def ready(self) -> None:
        from core import checks, periodic

        checks.register_all()

        periodic.register("task-results-prune", prune_task_results, every_seconds=3600)
