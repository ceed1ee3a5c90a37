"""A patient's lock and a patient's calendar: what visits and check-ins both need of a patient.

Treatments (visits) and the diary (check-ins) form one consistency boundary per patient:
a visit re-places the patient's check-ins and a check-in is placed under the patient's
visits. Both serialise on the patient's own row and both count days on the patient's local
calendar, so these live here, below both apps.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.models import User

_LOCK_SQL: dict[str, str] = {}


def _lock_sql(connection: BaseDatabaseWrapper) -> str:
    """Written once per vendor: it runs on every check-in, and compiling the ORM form of
    ``select_for_update`` cost about 0.9 ms each time."""
    sql = _LOCK_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        user_pk = quote(str(User._meta.pk.column))
        # SQLite has no row locks; it serialises writers.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        sql = f"SELECT {user_pk} FROM {quote(User._meta.db_table)} WHERE {user_pk} = %s{lock}"
        _LOCK_SQL[connection.vendor] = sql
    return sql


def lock_patient(patient: User) -> bool:
    """Serialise writes that place check-ins under visits for one patient; False if the
    patient's row is gone.

    Placement reads the patient's visits and re-placement reads their entries; without a
    lock, a check-in and a new visit committed at the same moment could each miss the
    other. Every such write takes this row lock first (SQLite serialises writes anyway).
    """
    connection = connections[router.db_for_write(User)]
    with connection.cursor() as cursor:
        cursor.execute(
            _lock_sql(connection), [User._meta.pk.get_db_prep_value(patient.pk, connection)]
        )
        return cursor.fetchone() is not None


def local_date_for(patient: User, moment: datetime) -> date:
    """The patient-local calendar date of an instant, in the patient's IANA timezone."""
    return moment.astimezone(ZoneInfo(patient.timezone)).date()
