"""Plan the reminders of patients who are within 14 days of a visit when reminders arrive
(later visits are planned as they are recorded)."""

from datetime import timedelta
from itertools import groupby

from django.db import migrations
from django.utils import timezone


def plan_existing(apps, schema_editor):
    from reminders.planning import WINDOW_DAYS, Schedule, planned_reminders

    Visit = apps.get_model("treatments", "Visit")
    User = apps.get_model("accounts", "User")
    Reminder = apps.get_model("reminders", "Reminder")
    ReminderSettings = apps.get_model("reminders", "ReminderSettings")
    now = timezone.now()
    # A day of margin either side of every timezone's "today".
    since = (now - timedelta(days=WINDOW_DAYS + 1)).date()
    rows = (
        Visit.objects.filter(local_date__gte=since)
        .order_by("patient_id")
        .values_list("patient_id", "local_date", "performed_at")
    )
    zones = dict(User.objects.filter(visits__local_date__gte=since).values_list("pk", "timezone"))
    for patient_id, visits in groupby(rows, key=lambda row: row[0]):
        zone = zones[patient_id]
        plan = planned_reminders(
            visits=[(day, at) for _, day, at in visits],
            schedule=Schedule(),
            timezone=zone,
            after=now,
        )
        Reminder.objects.bulk_create(
            [
                Reminder(patient_id=patient_id, kind=kind, local_date=day, due_at=due)
                for (kind, day), due in plan.items()
            ],
            ignore_conflicts=True,
        )
        ReminderSettings.objects.get_or_create(
            patient_id=patient_id, defaults={"planned_timezone": zone}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("treatments", "0002_drop_redundant_fk_indexes"),
    ]

    operations = [migrations.RunPython(plan_existing, migrations.RunPython.noop)]
