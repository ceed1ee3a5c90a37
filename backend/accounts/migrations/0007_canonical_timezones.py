# Placeholder reserved for issue #14 (canonical IANA timezones); filled in by that change.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_securityevent_count"),
    ]

    operations = []
