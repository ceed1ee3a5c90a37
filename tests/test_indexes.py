"""Every index is written on every insert: none may be a leading part of another."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Relief's own tables; not Django's (auth, contenttypes) nor the user model's group and
# permission tables that Django generates.
OURS = r"^(accounts|audit|diary|interop|push|recovery|reminders|treatments)_(?!user_groups$|user_user_permissions$)"


def test_no_plain_index_is_a_prefix_of_another_on_the_same_table():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, x.indisunique,
                   (SELECT array_agg(a.attname || CASE WHEN o.opt & 1 = 1 THEN ' desc' ELSE '' END
                                     ORDER BY k.n)
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                      JOIN unnest(x.indoption::int2[]) WITH ORDINALITY o(opt, n) USING (n)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
              FROM pg_index x
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_namespace s ON s.oid = t.relnamespace
             WHERE s.nspname = 'public' AND x.indexprs IS NULL AND x.indpred IS NULL
               AND t.relname ~ %s
            """,
            [OURS],
        )
        indexes = cursor.fetchall()
    redundant = [
        (table, name, other)
        for table, name, unique, columns in indexes
        for other_table, other, _unique, other_columns in indexes
        if table == other_table
        and name != other
        and not unique
        and len(columns) < len(other_columns)
        and other_columns[: len(columns)] == columns
    ]
    assert redundant == []
    assert {name for table, name, *_ in indexes if table == "diary_entry"} == {
        "diary_entry_pkey",
        "diary_entry_patient_e2391a_idx",
        "diary_entry_visit_i_4e7938_idx",
    }
