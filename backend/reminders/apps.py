"""Reminders keep their planned rows in step with the apps below through signals, received
here so that visits and accounts never import reminders (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils import timezone


def _visit_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A visit recorded, moved or deleted: its window of reminders moves with it, in the
    visit's own transaction."""
    from reminders.planning import reminders_replan

    reminders_replan(patient=instance.patient, now=timezone.now())


def _patient_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A patient in a new timezone: their reminders move to the same local times there.
    One indexed read for any other save of a user."""
    from reminders.models import ReminderSettings
    from reminders.planning import reminders_replan

    update_fields = kwargs.get("update_fields")
    if created or not instance.is_patient:
        return
    if update_fields is not None and "timezone" not in update_fields:
        return
    moved = (
        ReminderSettings.objects.filter(patient=instance)
        .exclude(planned_timezone=instance.timezone)
        .exists()
    )
    if moved:
        reminders_replan(patient=instance, now=timezone.now())


class RemindersConfig(AppConfig):
    name = "reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import User
        from core import periodic
        from reminders.tasks import (
            SWEEP_SECONDS,
            TICK_SECONDS,
            reminders_sweep_job,
            reminders_tick_job,
        )
        from treatments.models import Visit

        periodic.register("reminders-tick", reminders_tick_job, every_seconds=TICK_SECONDS)
        periodic.register("reminders-sweep", reminders_sweep_job, every_seconds=SWEEP_SECONDS)

        post_save.connect(_visit_changed, sender=Visit, dispatch_uid="reminders-visit-saved")
        post_delete.connect(_visit_changed, sender=Visit, dispatch_uid="reminders-visit-deleted")
        post_save.connect(_patient_saved, sender=User, dispatch_uid="reminders-patient-saved")
