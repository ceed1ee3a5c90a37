"""The read replica's decisions, without a replica (tests/core/test_read_replica.py runs a
real one): the lag measure, where a read goes, which views may read the replica, the
settings, and /readyz against a replica that is down or is not a standby."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.urls import resolve
from django.utils.functional import SimpleLazyObject

from core import replica
from core.replica import DEFAULT, REPLICA, ReplicaStatus, choose, lag_seconds, parse_lsn
from tests.test_two_instances import redis_url

ROOT = Path(__file__).resolve().parents[2]


def test_an_lsn_becomes_one_comparable_number():
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")
    assert parse_lsn(None) is None


def test_a_caught_up_replica_of_an_idle_primary_is_not_lagging():
    # Its last applied transaction is an hour old because nothing was committed since.
    assert lag_seconds(caught_up=True, replay_age=3600.0) == 0.0


def test_a_replica_with_wal_to_apply_is_as_far_behind_as_its_last_applied_transaction():
    assert lag_seconds(caught_up=False, replay_age=4.5) == 4.5
    assert lag_seconds(caught_up=False, replay_age=-0.2) == 0.0  # clocks a little apart
    # Nothing applied since it started, and WAL waiting: unknown, so not usable.
    assert lag_seconds(caught_up=False, replay_age=None) is None


OK = ReplicaStatus("ok", replay_lsn=1000, lag_seconds=0.5)


@pytest.mark.parametrize(
    ("status", "wrote", "expected"),
    [
        (OK, None, (REPLICA, "replica")),
        (OK, 1000, (REPLICA, "replica")),  # the replica has applied the user's last write
        (OK, 999, (REPLICA, "replica")),
        (OK, 1001, (DEFAULT, "own write not replayed yet")),
        (OK, replica._NOT_KNOWN, (DEFAULT, "own writes unknown (cache)")),
        (ReplicaStatus("lagging", 5000, 12.0), None, (DEFAULT, "replica lagging")),
        (ReplicaStatus("down"), None, (DEFAULT, "replica down")),
        (ReplicaStatus("not_standby"), None, (DEFAULT, "replica is not a standby")),
        (ReplicaStatus("unknown", 5000), None, (DEFAULT, "replica unknown")),
    ],
)
def test_where_an_eligible_read_goes(status: ReplicaStatus, wrote: int | None, expected: tuple):
    assert choose(status=status, wrote_lsn=wrote) == expected


READ_FROM_REPLICA = [
    "/api/v1/cohort/",
    "/api/v1/cohort/chart/",
    "/api/v1/patients/",
    "/api/v1/patients/00000000-0000-0000-0000-000000000001/course/",
    "/api/v1/patients/00000000-0000-0000-0000-000000000001/course/chart/",
    "/api/v1/patients/00000000-0000-0000-0000-000000000001/fhir/",
    "/api/v1/patients/00000000-0000-0000-0000-000000000001/entries.csv",
    "/api/v1/practice/outcomes.csv",
    "/reports/visits/00000000-0000-0000-0000-000000000001/",
]
READ_FROM_PRIMARY = [
    "/api/v1/entries/",  # the patient's own list, read right after writing
    "/api/v1/entries/sync/",
    "/api/v1/patients/00000000-0000-0000-0000-000000000001/",
    "/api/v1/visits/",
    "/api/v1/visits/00000000-0000-0000-0000-000000000001/recovery/",
    "/api/v1/auth/me/",
    "/api/v1/auth/token/",
    "/api/v1/audit/",
    "/api/v1/practice/",
    "/api/v1/invitations/",
    "/readyz",
]


@pytest.mark.parametrize("path", READ_FROM_REPLICA)
def test_the_cohort_course_exports_and_lists_may_read_the_replica(path: str):
    assert replica._opted_in(resolve(path).func)


@pytest.mark.parametrize("path", READ_FROM_PRIMARY)
def test_other_views_read_the_primary(path: str):
    assert not replica._opted_in(resolve(path).func)


@pytest.fixture
def eligible(rf: RequestFactory) -> Iterator[replica._RequestState]:
    """A GET of a marked view, as the middleware leaves it (the switch open)."""
    state = replica._RequestState(request=rf.get("/api/v1/cohort/"))
    token = replica._state.set(state)
    yield state
    replica._state.reset(token)


def test_authentication_reads_the_primary_and_decides_nothing(eligible: replica._RequestState):
    # The session middleware's lazy user: the request is not authenticated yet.
    eligible.request.user = SimpleLazyObject(lambda: pytest.fail("evaluated"))  # type: ignore[union-attr]
    assert replica.read_alias() == DEFAULT
    assert eligible.alias is None


def test_the_choice_is_kept_for_the_request(eligible: replica._RequestState):
    eligible.alias, eligible.reason = REPLICA, "replica"
    assert replica.read_alias() == REPLICA


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_go_to_the_primary(eligible: replica._RequestState):
    eligible.alias, eligible.reason = REPLICA, "replica"
    with transaction.atomic():
        assert replica.read_alias() == DEFAULT
    assert replica.read_alias() == REPLICA


def test_a_request_that_writes_reads_the_primary_from_then_on(eligible: replica._RequestState):
    eligible.request.user = SimpleNamespace(is_authenticated=True, pk="someone")  # type: ignore[union-attr]
    eligible.alias, eligible.reason = REPLICA, "replica"
    assert replica.ReplicaRouter().db_for_write(object) == DEFAULT
    assert (eligible.alias, eligible.reason) == (DEFAULT, "the request wrote")
    assert replica.read_alias() == DEFAULT


def test_what_authentication_writes_does_not_keep_the_request_off_the_replica(
    eligible: replica._RequestState,
):
    # The printable report uses up its link before it knows the user.
    assert replica.ReplicaRouter().db_for_write(object) == DEFAULT
    assert eligible.alias is None


def test_a_view_not_marked_reads_the_primary():
    assert replica._state.get() is None
    assert replica.read_alias() == DEFAULT


def test_without_a_replica_every_read_goes_to_the_primary(settings):
    assert "replica" not in settings.DATABASES
    assert replica.read_alias() == DEFAULT
    assert replica.health() is None
    router = replica.ReplicaRouter()
    assert router.db_for_write(object) == DEFAULT
    assert router.allow_migrate(REPLICA, "diary") is False
    assert router.allow_migrate(DEFAULT, "diary") is True


def relief_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT / "backend"),
        **extra,
    }


def run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        env=relief_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SETUP = "import django; django.setup()"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "", "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1/x"},
            "DATABASE_REPLICA_URL must be a postgres:// URL, and DATABASE_URL too.",
        ),
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1/x",
                "DATABASE_REPLICA_URL": "sqlite:////tmp/x.sqlite3",
            },
            "DATABASE_REPLICA_URL must be a postgres:// URL, and DATABASE_URL too.",
        ),
        (
            {"DATABASE_REPLICA_MAX_LAG": "0"},
            "DATABASE_REPLICA_MAX_LAG must be seconds between 0 and 3600.",
        ),
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1/x",
                "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1/x",
                "CACHE_URL": "",
            },
            "DATABASE_REPLICA_URL needs CACHE_URL (redis://…) as well.",
        ),
    ],
)
def test_a_misconfigured_replica_stops_start_up(env: dict[str, str], message: str):
    out = run(SETUP, RELIEF_ALLOW_SQLITE="1", **env)
    assert out.returncode != 0
    assert message in out.stderr


def _test_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


READYZ = (
    "import json, django; django.setup();"
    "from django.test import Client;"
    "r = Client().get('/readyz');"
    "print(r.status_code, json.dumps(r.json()))"
)


@pytest.mark.postgres
def test_readyz_stays_ready_when_the_replica_is_down(db: None):
    # Nothing listens on port 1: the connection is refused at once.
    out = run(
        READYZ,
        DATABASE_URL=_test_database_url(),
        DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:1/relief",
        CACHE_URL=redis_url(),
    )
    assert out.returncode == 0, out.stderr
    status, body = out.stdout.strip().split(" ", 1)
    assert (status, json.loads(body)) == (
        "200",
        {"status": "ok", "database": "ok", "replica": {"state": "down"}},
    )


@pytest.mark.postgres
def test_a_replica_url_naming_a_primary_is_never_read(db: None):
    # A promoted replica, or a URL pointing at the primary by mistake: not a standby, so its
    # data is not taken for the primary's.
    url = _test_database_url()
    out = run(READYZ, DATABASE_URL=url, DATABASE_REPLICA_URL=url, CACHE_URL=redis_url())
    assert out.returncode == 0, out.stderr
    status, body = out.stdout.strip().split(" ", 1)
    assert (status, json.loads(body)) == (
        "200",
        {"status": "ok", "database": "ok", "replica": {"state": "not_standby"}},
    )
