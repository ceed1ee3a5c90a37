"""Reads from a PostgreSQL streaming replica, where that is safe (``DATABASE_REPLICA_URL``).

What may read the replica: a GET or HEAD of a view marked ``@replica_reads`` (the cohort,
the course, the exports and the printable report, the physician's patient list), once the
request is authenticated,
outside any transaction. Everything else reads and writes the primary: every write, every
read inside ``transaction.atomic`` (an audited read takes the record and writes its audit
row in one transaction on the primary, so what the audit row names is what was read), the
authentication of the request (a logout or a deactivation takes effect at once), and
every request of a view that is not marked.

A request's reads go to one database, chosen at its first eligible read and kept for the
request (one consistent picture), except that a request which writes through the ORM once
authenticated reads the primary from then on. The replica is chosen only if all of these hold:

- it is not known to be dead (a *circuit breaker*: after a failure this process leaves it
  alone for ``BREAKER_SECONDS``, so a dead replica does not cost every request a connect
  timeout);
- it is a standby (``pg_is_in_recovery()``), no more than ``DATABASE_REPLICA_MAX_LAG``
  seconds behind (see :func:`_measure`), measured at most every ``STATUS_SECONDS`` per
  process;
- it has replayed the user's own last write: after each write request (any method but
  GET, HEAD, OPTIONS, once it has committed) the primary's WAL position is kept for the user
  in the shared cache, and the user's reads stay on the primary until the replica's replay
  position has passed it (*read your own writes*). Other users' writes carry no such
  promise: a physician may see a patient's check-in up to the lag bound late.

A replica that fails in the middle of a request (connection lost, or a query cancelled by
a conflict with recovery) raises :class:`ReplicaUnavailable` instead of a database error;
the middleware then runs the view again, once, with every read on the primary, so the
caller gets the same answer as if there were no replica. (An audit row the first run wrote
stays: that run did read the record.) A streamed export whose body is already on its way
cannot be restarted: the download breaks off (the chunked body lacks its last chunk, so
the client knows it is incomplete) and the next attempt reads the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import DatabaseError, InterfaceError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject

from core.outage import is_connection_loss

logger = logging.getLogger("relief.replica")

DEFAULT = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD"})
WRITE_EXEMPT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

STATUS_SECONDS = 1.0  # a process measures the replica's position and lag at most this often
BREAKER_SECONDS = 5.0  # after a failure, the replica is left alone this long
# How long a user's last write position is kept: past it, a replica that still lacks the
# write is more than the lag bound behind (see _measure), so it is skipped anyway.
WRITE_KEPT_MARGIN = 60

V = TypeVar("V")


class ReplicaUnavailable(Exception):
    """The replica failed during a request: the request is run again on the primary.

    Deliberately not a ``DatabaseError``: the API's exception handler would answer 503 and
    close the outage gate (``core.outage``), which is about the primary."""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads(view: V) -> V:
    """Mark a view whose GET/HEAD reads may be served by the read replica.

    Only for views whose answer may be up to ``DATABASE_REPLICA_MAX_LAG`` seconds old for
    data other users wrote, and which write nothing the same request reads back outside a
    transaction (audit rows are written, never read back)."""
    view.replica_reads = True  # type: ignore[attr-defined]
    return view


def _opted_in(view_func: Callable[..., Any]) -> bool:
    target = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    return bool(getattr(target or view_func, "replica_reads", False))


# --- The request's switch ------------------------------------------------------------------


@dataclass
class _RequestState:
    """One request's routing: may it read the replica, and where do its reads go."""

    request: HttpRequest | None = None  # set for a GET/HEAD of a marked view
    alias: str | None = None  # chosen at the first eligible read, kept for the request
    reason: str = ""
    fell_back: bool = False  # the replica failed mid-request: run again on the primary


_state: ContextVar[_RequestState | None] = ContextVar("relief_replica_state", default=None)


def _reset(**_: Any) -> None:
    _state.set(None)


# A streamed export reads while its body is sent, after the middleware has returned: the
# request's choice lives until the response is closed.
request_finished.connect(_reset, dispatch_uid="relief.replica.reset")


def _signed_in_user_id(request: HttpRequest) -> Any:
    """The request's user once authentication has settled it (DRF's JWT authentication, or
    a view that set ``request.user`` itself), else None: the session middleware's lazy user
    is not evaluated here (that would read the database from inside the router)."""
    user = vars(request).get("user")
    if user is None or isinstance(user, LazyObject) or not user.is_authenticated:
        return None
    return user.pk


# --- The replica's state in this process -----------------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    """What a measurement found: ``usable`` is False when the replica is down, is not a
    standby, or is behind by more than the bound."""

    state: str  # "ok", "lagging", "down", "not_standby", "unknown" (the primary did not say)
    replay_lsn: int | None = None
    lag_seconds: float | None = None

    @property
    def usable(self) -> bool:
        return self.state == "ok"


class _Replica:
    """The breaker and the last measurement, shared by the threads of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open_until = 0.0
        self.status: ReplicaStatus | None = None
        self.measured_at = 0.0

    def broken(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, why: str) -> None:
        """Leave the replica alone for ``BREAKER_SECONDS`` and drop this thread's
        connection to it (it is dead, or will be reopened fresh)."""
        with self.lock:
            if not self.broken():
                logger.warning("read replica skipped for %.0f s: %s", BREAKER_SECONDS, why)
            self.open_until = time.monotonic() + BREAKER_SECONDS
            self.status = None
        _close_replica_connection()

    def current(self) -> ReplicaStatus:
        """The replica's status, measured at most every ``STATUS_SECONDS``."""
        if self.broken():
            return ReplicaStatus("down")
        now = time.monotonic()
        with self.lock:
            if self.status is not None and now - self.measured_at < STATUS_SECONDS:
                return self.status
        try:
            status = _measure()
        except (DatabaseError, InterfaceError, ReplicaUnavailable) as exc:
            self.trip(f"{type(exc).__name__}: {exc}".strip())
            return ReplicaStatus("down")
        with self.lock:
            self.status, self.measured_at = status, time.monotonic()
        return status

    def reset(self) -> None:
        with self.lock:
            self.open_until = 0.0
            self.status = None
            self.measured_at = 0.0


replica = _Replica()


def _close_replica_connection() -> None:
    if not replica_configured():
        return
    # A dead connection may fail to close; it is gone either way.
    with suppress(DatabaseError, InterfaceError):
        connections[REPLICA].close()


def parse_lsn(text: str | None) -> int | None:
    """A ``pg_lsn`` (``16/B374D848``) as one comparable integer."""
    if not text:
        return None
    high, low = str(text).split("/")
    return (int(high, 16) << 32) + int(low, 16)


def lag_seconds(*, caught_up: bool, replay_age: float | None) -> float | None:
    """How far behind the replica's data may be, in seconds; None: unknown.

    ``replay_age`` is now() - pg_last_xact_replay_timestamp(): the age of the last
    transaction it applied. While anything is waiting to be applied, every transaction it
    lacks is younger than that, so the age bounds its staleness from above. When it has
    applied everything the primary has flushed it is current, however old that last
    transaction is: an idle primary commits nothing, and the age grows without the replica
    falling behind at all."""
    if caught_up:
        return 0.0
    return None if replay_age is None else max(replay_age, 0.0)


def _measure() -> ReplicaStatus:
    """One query on the replica, one on the primary (the order matters: the primary's flush
    position is read after the replica's replay position, so "caught up" is never claimed
    for WAL the replica had not yet seen)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8"
        )
        in_recovery, replay_text, replay_age = cursor.fetchone()
    if not in_recovery:
        # A promoted replica (after a failover) or a URL that names a primary: its data is
        # not the primary's, so never read it as if it were.
        return ReplicaStatus("not_standby")
    replay_lsn = parse_lsn(replay_text)
    try:
        with connections[DEFAULT].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
            flushed = parse_lsn(cursor.fetchone()[0])
    except (DatabaseError, InterfaceError):
        # The primary's trouble, not the replica's: no breaker; the request meets it anyway.
        return ReplicaStatus("unknown", replay_lsn)
    caught_up = replay_lsn is not None and flushed is not None and replay_lsn >= flushed
    lag = lag_seconds(caught_up=caught_up, replay_age=replay_age)
    bound = settings.DATABASE_REPLICA_MAX_LAG
    state = "ok" if replay_lsn is not None and lag is not None and lag <= bound else "lagging"
    return ReplicaStatus(state, replay_lsn, None if lag is None else round(lag, 3))


# --- Read your own writes ---------------------------------------------------------------------


def _write_key(user_id: Any) -> str:
    return f"replica:wrote:{user_id}"


def remember_write(user_id: Any) -> None:
    """Keep the primary's WAL position for the user: their later reads stay on the primary
    until the replica has replayed it. Called after the request's transactions committed.
    The insert position is at or past the end of every commit record written so far, also
    with ``synchronous_commit = off``."""
    try:
        with connections[DEFAULT].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            position = parse_lsn(cursor.fetchone()[0])
    except (DatabaseError, InterfaceError):
        # No position, no promise to keep: the primary is not answering, so nor is the
        # request that wrote. The next write of this user sets it again.
        logger.warning("could not read the primary's WAL position after a write")
        return
    try:
        kept = cache.get(_write_key(user_id))
        if position is not None and (kept is None or position > kept):
            timeout = WRITE_KEPT_MARGIN + settings.DATABASE_REPLICA_MAX_LAG
            cache.set(_write_key(user_id), position, timeout=int(timeout) + 1)
    except Exception:  # any cache backend's failure: the write itself has succeeded
        logger.warning("could not keep the user's last write position in the cache")


_NOT_KNOWN = -1


def _last_write(user_id: Any) -> int | None:
    """The user's last write position; ``_NOT_KNOWN`` when the cache does not answer (then
    nothing can be promised, and the primary answers)."""
    try:
        return cache.get(_write_key(user_id))
    except Exception:  # any cache backend's failure
        return _NOT_KNOWN


def choose(*, status: ReplicaStatus, wrote_lsn: int | None) -> tuple[str, str]:
    """Where an eligible request reads, and why (pure: the router feeds it)."""
    if status.state == "down":
        return DEFAULT, "replica down"
    if status.state == "not_standby":
        return DEFAULT, "replica is not a standby"
    if not status.usable:
        return DEFAULT, f"replica {status.state}"
    if wrote_lsn == _NOT_KNOWN:
        return DEFAULT, "own writes unknown (cache)"
    if wrote_lsn is not None and (status.replay_lsn is None or status.replay_lsn < wrote_lsn):
        return DEFAULT, "own write not replayed yet"
    return REPLICA, "replica"


def _choose_for(user_id: Any) -> tuple[str, str]:
    if replica.broken():
        return DEFAULT, "replica down"
    status = replica.current()
    alias, reason = choose(status=status, wrote_lsn=_last_write(user_id))
    if alias == REPLICA:
        # Connect now, where a failure costs nothing but the choice: a query that fails
        # later means running the view again.
        try:
            connection = connections[REPLICA]
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except (DatabaseError, InterfaceError) as exc:
            replica.trip(f"connect: {exc}")
            return DEFAULT, "replica down"
    return alias, reason


def read_alias() -> str:
    """The database for a read now (see the module's docstring)."""
    state = _state.get()
    if state is None or state.request is None:
        return DEFAULT
    if connections[DEFAULT].in_atomic_block:
        return DEFAULT
    if state.alias is not None:
        return state.alias
    user_id = _signed_in_user_id(state.request)
    if user_id is None:
        return DEFAULT  # authentication is still running: it reads the primary
    state.alias, state.reason = _choose_for(user_id)
    logger.debug("%s %s reads the %s: %s", state.request.method, state.request.path,
                 "replica" if state.alias == REPLICA else "primary", state.reason)  # fmt: skip
    return state.alias


class ReplicaRouter:
    """Reads of eligible requests may go to the replica; everything else to the primary.
    Migrations run on the primary only (the replica is its physical copy)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        # A request that writes through the ORM once it is authenticated reads the primary
        # from then on, so that it sees what it wrote. Not counted: what authentication
        # writes (the printable report's link is used up before the user is known; it is
        # not what the page reads), and audit rows, written with SQL of their own and never
        # read back.
        state = _state.get()
        if (
            state is not None
            and state.request is not None
            and not state.fell_back
            and _signed_in_user_id(state.request) is not None
        ):
            state.alias, state.reason = DEFAULT, "the request wrote"
        return DEFAULT

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT


# --- Failures in the middle of a request ------------------------------------------------------

# Cancelled on the standby because replay needed what the query held ("conflict with
# recovery"): the primary answers the same query without that conflict.
_RECOVERY_CONFLICT = "40001"


def _replica_errors(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: dict[str, Any]) -> Any:  # fmt: skip
    """Turn the replica's loss (or a recovery conflict) into ReplicaUnavailable."""
    try:
        return execute(sql, params, many, context)
    except (DatabaseError, InterfaceError) as exc:
        if is_connection_loss(exc):
            replica.trip(f"connection lost: {exc}")
            raise ReplicaUnavailable(str(exc)) from exc
        if getattr(exc.__cause__, "sqlstate", None) == _RECOVERY_CONFLICT:
            raise ReplicaUnavailable(str(exc)) from exc
        raise


def _watch_replica(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.alias == REPLICA and _replica_errors not in connection.execute_wrappers:
        connection.execute_wrappers.append(_replica_errors)


connection_created.connect(_watch_replica, dispatch_uid="relief.replica.watch")


class ReplicaReadsMiddleware:
    """Opens the switch for marked views, falls back to the primary when the replica fails
    mid-request, and remembers each write's WAL position for its user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _state.set(_RequestState())
        response = self.get_response(request)
        if request.method not in WRITE_EXEMPT_METHODS:
            user_id = _signed_in_user_id(request)
            if user_id is not None:
                remember_write(user_id)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> None:
        state = _state.get()
        if state is not None and request.method in SAFE_METHODS and _opted_in(view_func):
            state.request = request

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not isinstance(exception, ReplicaUnavailable):
            return None
        state = _state.get()
        match = request.resolver_match
        if state is None or state.fell_back or match is None:
            return None  # nothing left to fall back to
        logger.warning("read replica failed mid-request; running it again on the primary")
        # Every read of the second run goes to the primary (no request: not eligible).
        _state.set(_RequestState(alias=DEFAULT, reason="replica failed", fell_back=True))
        return match.func(request, *match.args, **match.kwargs)


def health() -> dict[str, Any] | None:
    """The replica's state for /readyz, or None without a replica. Never raises."""
    if not replica_configured():
        return None
    status = replica.current()
    body: dict[str, Any] = {"state": status.state}
    if status.lag_seconds is not None:
        body["lag_seconds"] = status.lag_seconds
    return body
