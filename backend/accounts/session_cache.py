"""Which sign-in sessions are valid, remembered per process and forgotten at once.

Every authenticated request must fail as soon as its session is revoked (logout, refresh
token reuse), its user deactivated or their password changed. Asking the database on every
request does that at the cost of a query per request. On PostgreSQL this module keeps the
answer in process memory instead and forgets it the moment the database says so:

- triggers on ``accounts_user`` and ``accounts_session`` (migration 0003) send
  ``NOTIFY relief_auth`` with ``user:<id>`` or ``session:<id>`` for every change and ``*``
  for a TRUNCATE, from the same transaction as the change, so the message exists exactly
  when the change is committed, whichever process, instance or SQL client made it;
- each process holds one ``LISTEN relief_auth`` connection, opened *before* it trusts
  anything it remembers, and reads what has arrived on that socket (a non-blocking read)
  before every lookup;
- if that connection is lost, everything remembered is dropped and lookups go to the
  database until a new listener is in place; a change committed in the instant that
  connection dies, before the loss shows on its socket, could miss this process, so
  whatever is remembered is checked in the database again after ``RECHECK_AFTER`` seconds;
- changes made through the ORM in this process are also forgotten directly (a test's
  transaction is never committed, so its NOTIFY is never sent).

Elsewhere (SQLite: one process, no NOTIFY) nothing is remembered and every request asks
the database, as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "relief_auth"
MAX_SESSIONS = 20_000  # per process; past this everything is dropped and relearnt
RECONNECT_AFTER = 5.0  # seconds between attempts to re-open a lost listener
# Even with a live listener, a session is checked in the database again after this long.
# It bounds the one case a notice can miss: the listener's connection dying in the same
# instant a change commits, before its socket reports the loss.
RECHECK_AFTER = 10.0


@dataclass(frozen=True)
class Known:
    """A session the database said was valid, with the user fields authentication loads."""

    user_id: str
    expires_at: datetime
    checked: float  # time.monotonic() of the database's answer
    user_fields: tuple[str, ...]
    user_values: tuple[Any, ...]


class SessionCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, Known] = {}
        self._listener: Any = None
        self._next_attempt = 0.0
        self._generation = 0  # bumped by every notice: a lookup racing one is not kept
        self._enabled_flag: bool | None = None
        # A forked child must not use (nor, by dropping it, close) its parent's socket.
        self._inherited: list[Any] = []
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        if self._listener is not None:
            self._inherited.append(self._listener)  # kept referenced: never closed here
        self._listener, self._known = None, {}
        self._next_attempt = 0.0

    # -- listening ----------------------------------------------------------------------
    def _enabled(self) -> bool:
        if self._enabled_flag is None:
            self._enabled_flag = bool(
                settings.RELIEF_SESSION_CACHE and connections["default"].vendor == "postgresql"
            )
        return self._enabled_flag

    def _listen(self) -> bool:
        """True when a live listener is in place (opening one if due)."""
        if self._listener is not None:
            return True
        now = time.monotonic()
        if now < self._next_attempt:
            return False
        self._next_attempt = now + RECONNECT_AFTER
        import psycopg

        db = connections["default"].settings_dict
        try:
            conn = psycopg.connect(
                dbname=db["NAME"],
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
                autocommit=True,
                connect_timeout=2,
                application_name="relief-session-cache",
            )
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:
            logger.warning("session cache: no listener; checking sessions in the database")
            return False
        self._forget_payload("*")  # nothing learnt before this listener can be trusted
        self._listener = conn
        return True

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        self._forget_payload("*")
        with suppress(Exception):
            listener.close()

    def _drain(self) -> bool:
        """Apply every change notice that has arrived. False if the listener is gone."""
        pgconn = self._listener.pgconn
        try:
            pgconn.consume_input()  # libpq's socket is non-blocking: reads what is there
        except Exception:
            self._drop_listener()
            return False
        if pgconn.status != 0:  # CONNECTION_OK
            self._drop_listener()
            return False
        while (notice := pgconn.notifies()) is not None:
            self._forget_payload(notice.extra.decode())
        return True

    def _forget_payload(self, payload: str) -> None:
        self._generation += 1
        kind, _, key = payload.partition(":")
        if kind == "session":
            self._known.pop(key, None)
        elif kind == "user":
            self._known = {k: v for k, v in self._known.items() if v.user_id != key}
        else:
            self._known.clear()

    # -- lookups ------------------------------------------------------------------------
    def ready(self) -> int | None:
        """Bring the cache up to date. Returns its generation, or None when it must not be
        used for this request (then ask the database)."""
        if not self._enabled():
            return None
        with self._lock:
            if self._listen() and self._drain():
                return self._generation
            return None

    def get(self, session_id: str, user_id: str, now: datetime) -> Known | None:
        """What was remembered, if the cache was brought up to date by ``ready()``."""
        known = self._known.get(session_id)
        if known is None or known.user_id != user_id or known.expires_at <= now:
            return None
        if time.monotonic() - known.checked > RECHECK_AFTER:
            return None
        return known

    def remember(self, session_id: str, known: Known, generation: int) -> None:
        """Keep what the database said, unless a notice arrived since ``ready()``."""
        with self._lock:
            if self._listener is None or generation != self._generation:
                return
            if len(self._known) >= MAX_SESSIONS:
                self._known.clear()
            self._known[session_id] = known

    def forget(self, *, session_ids: Any = (), user_id: Any = None) -> None:
        """Drop sessions or a user's sessions now (this process's own ORM changes)."""
        with self._lock:
            for session_id in session_ids:
                self._known.pop(str(session_id), None)
            if user_id is not None:
                self._forget_payload(f"user:{user_id}")

    def close(self) -> None:
        """Close the listener (before its database is dropped, e.g. after a test run)."""
        with self._lock:
            if self._listener is not None:
                self._drop_listener()

    def forget_all(self) -> None:
        with self._lock:
            self._forget_payload("*")


session_cache = SessionCache()
