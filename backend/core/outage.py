"""The database outage gate (``/healthz`` and ``/readyz`` are in ``config.health``).

The gate exists because of how a connection pool behaves when PostgreSQL goes away: every
request waits ``DATABASE_POOL_TIMEOUT`` for a connection that cannot come, each sync worker
is held that long, and the requests queued behind it wait longer still; when the database
returns, the pool's reconnection attempts are spaced by a growing back-off, so errors can
outlast the outage by many seconds. Once a process has seen the database fail, the gate
answers 503 with ``Retry-After`` at once, probing the server with one direct connection at
most every ``PROBE_INTERVAL`` seconds; when a probe succeeds it replaces the pool with a fresh
one, so service resumes at the next request instead of after the back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("relief.health")

RETRY_AFTER = "5"
PROBE_INTERVAL = 0.5  # seconds between two probes of a process while the database is down
PROBE_CONNECT_TIMEOUT = 2  # seconds; a refused connection fails at once anyway


class _Outage:
    """This process's view of the database: down since when, and the last probe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.probed_at = 0.0

    def saw(self, exc: BaseException) -> None:
        """Note a database error; only a lost server (not a deadlock, not SQLite's lock)
        closes the gate. The next request probes at once, so a single dropped connection
        costs one 503."""
        if connection.vendor != "postgresql" or not is_connection_loss(exc):
            return
        with self.lock:
            if self.down_since is None:
                self.down_since = time.monotonic()
                self.probed_at = 0.0
                logger.warning("database unavailable: answering 503 until a probe succeeds")

    def is_down(self) -> bool:
        """True while the database is known to be down; probes when the interval is over."""
        if self.down_since is None:
            return False
        with self.lock:
            if self.down_since is None:
                return False
            now = time.monotonic()
            if now - self.probed_at < PROBE_INTERVAL:
                return True
            self.probed_at = now
            if not _probe():
                return True
            outage = now - self.down_since
            self.down_since = None
        # A fresh pool: the old one's idle connections died with the server, and its
        # reconnection back-off would delay the first working request.
        connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL's (the gate's only)
        logger.warning("database back after %.1f s: connection pool renewed", outage)
        return False

    def reset(self) -> None:
        with self.lock:
            self.down_since = None
            self.probed_at = 0.0


outage = _Outage()

# PostgreSQL's own words for "the server is not there": connection exceptions (class 08),
# admin or crash shutdown, and "the database system is starting up / shutting down".
_LOST = ("57P01", "57P02", "57P03")


def is_connection_loss(exc: BaseException) -> bool:
    """The server went away or cannot be reached, as opposed to an error in one query."""
    import psycopg

    if isinstance(exc, InterfaceError):
        return True
    cause = exc.__cause__
    if cause is None:
        return False
    if type(cause).__module__.startswith("psycopg_pool"):
        return True  # no connection within DATABASE_POOL_TIMEOUT
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in _LOST
    # No SQLSTATE: the client library's own failure (refused, closed by the server).
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError)


def _probe() -> bool:
    """One direct connection (not from the pool), closed at once."""
    import psycopg

    params = connection.get_connection_params()
    params["connect_timeout"] = PROBE_CONNECT_TIMEOUT
    try:
        psycopg.connect(**params).close()
    except psycopg.Error:
        return False
    return True


def unavailable_response() -> JsonResponse:
    response = JsonResponse(
        {"code": "service_unavailable", "detail": _("Temporarily unavailable. Try again.")},
        status=503,
    )
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageGate:
    """503 at once while this process knows the database to be down (``/healthz`` still
    answers: the process itself is alive). Also turns an outage raised by a non-API view
    into the same 503 (the API's exception handler does that for API views)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/healthz" and outage.is_down():
            return unavailable_response()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError | InterfaceError) and is_outage(exception):
            outage.saw(exception)
            return unavailable_response()
        return None


def is_outage(exc: Exception) -> bool:
    """Connection loss or pool exhaustion, as opposed to a bug in a query."""
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        cause = exc.__cause__
        if type(cause).__module__ == "sqlite3":
            # SQLite reports SQL mistakes as OperationalError too; only these are outages.
            return any(s in str(cause) for s in ("locked", "unable to open", "disk I/O"))
        return True
    cause = exc.__cause__
    return cause is not None and type(cause).__module__.startswith("psycopg_pool")
