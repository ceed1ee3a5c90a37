# Issue #14, finding 8: invitation mail is queued with the invitation and sent after the
# commit; the physician sees what became of it (accounts/mail.py).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_canonical_timezones"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboundMail",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("to", models.EmailField(max_length=254)),
                ("subject", models.CharField(max_length=255)),
                ("body", models.TextField(blank=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Not tried yet"),
                            ("sent", "Sent"),
                            ("failed", "Last attempt failed"),
                        ],
                        default="pending",
                        max_length=8,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=255)),
                ("discard_after", models.DateTimeField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("next_attempt_at__isnull", False)),
                        fields=["next_attempt_at"],
                        name="outboundmail_due",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="invitation",
            name="mail",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invitation",
                to="accounts.outboundmail",
            ),
        ),
    ]
