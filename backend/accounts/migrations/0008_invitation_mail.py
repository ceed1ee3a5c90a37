# Placeholder reserved for issue #14 (invitation mail outcome); filled in by that change.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_canonical_timezones"),
    ]

    operations = []
