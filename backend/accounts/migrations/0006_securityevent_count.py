# Placeholder reserved for issue #14 (sign-in limits: SecurityEvent count); filled in by that change.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_refresh_token_parent"),
    ]

    operations = []
