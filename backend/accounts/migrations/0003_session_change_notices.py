"""On PostgreSQL every change to a user or a sign-in session is announced on the
``relief_auth`` channel, from the changing transaction (delivered when it commits), so every
process forgets what it remembered about that session at once (accounts.session_cache)."""

from __future__ import annotations

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION relief_auth_notify() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('relief_auth', '*');
    ELSIF TG_TABLE_NAME = 'accounts_user' THEN
        PERFORM pg_notify('relief_auth', 'user:' || OLD.id::text);
    ELSE
        PERFORM pg_notify('relief_auth', 'session:' || OLD.id::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER relief_auth_user_changed
    AFTER UPDATE OR DELETE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION relief_auth_notify();
CREATE TRIGGER relief_auth_session_changed
    AFTER UPDATE OR DELETE ON accounts_session
    FOR EACH ROW EXECUTE FUNCTION relief_auth_notify();
CREATE TRIGGER relief_auth_user_truncated
    AFTER TRUNCATE ON accounts_user
    FOR EACH STATEMENT EXECUTE FUNCTION relief_auth_notify();
CREATE TRIGGER relief_auth_session_truncated
    AFTER TRUNCATE ON accounts_session
    FOR EACH STATEMENT EXECUTE FUNCTION relief_auth_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS relief_auth_user_changed ON accounts_user;
DROP TRIGGER IF EXISTS relief_auth_session_changed ON accounts_session;
DROP TRIGGER IF EXISTS relief_auth_user_truncated ON accounts_user;
DROP TRIGGER IF EXISTS relief_auth_session_truncated ON accounts_session;
DROP FUNCTION IF EXISTS relief_auth_notify();
"""


def _run(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_invitation_carelink")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
