# Issue #14: every stored timezone becomes a canonical IANA name that browsers' Intl knows.

from django.db import migrations

from accounts.timezones import canonical_timezones, timezone_repaired


def canonicalise_timezones(apps, schema_editor):
    """A non-canonical zone becomes its canonical equivalent ("US/Eastern" becomes
    "America/New_York", "posix/Europe/Berlin" "Europe/Berlin"), or UTC when there is none
    ("localtime", "Factory", "Etc/GMT+5"). One UPDATE per distinct stored name."""
    User = apps.get_model("accounts", "User")
    canonical = canonical_timezones()
    stored = User.objects.values_list("timezone", flat=True).distinct().order_by()
    for name in [name for name in stored if name not in canonical]:
        User.objects.filter(timezone=name).update(timezone=timezone_repaired(name))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_securityevent_count"),
    ]

    operations = [
        # Not reversible in content (the old names are gone), but harmless to step back over.
        migrations.RunPython(canonicalise_timezones, migrations.RunPython.noop),
    ]
