# Issue #14 (finding 9): throttled sign-in attempts are counted in one SecurityEvent row per
# kind, address and window instead of one row each.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_refresh_token_parent"),
    ]

    operations = [
        migrations.AddField(
            model_name="securityevent",
            name="count",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="securityevent",
            name="bucket",
            field=models.CharField(blank=True, max_length=128, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="securityevent",
            name="last_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
