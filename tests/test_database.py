from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_tests_run_in_the_test_database_never_the_configured_one():
    if connection.vendor != "postgresql":
        assert "test_relief" in str(connection.settings_dict["NAME"])
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0].startswith("test_")
