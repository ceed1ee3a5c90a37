"""Run a callable from many threads at once (each with its own database connection)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def run_concurrently(count: int, work: Callable[[int], T]) -> list[T]:
    """Start ``count`` threads that call ``work(i)`` together; return their results."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            result = work(i)
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def someone_waits_for_a_lock() -> bool:
    """Whether any session of this (PostgreSQL) test database is waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def behind_a_held_transaction(hold: Callable[[], object], work: Callable[[], T]) -> T:
    """Run ``hold`` in a transaction of its own thread and keep it open; run ``work`` in
    another thread; once ``work`` is seen waiting for a lock the held transaction has
    (PostgreSQL), commit it and return what ``work`` returns. Fails if ``work`` never
    waited: then the test would not show what it claims."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                hold()
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def worker() -> T:
        try:
            return work()
        finally:
            connection.close()

    holding = threading.Thread(target=holder)
    holding.start()
    assert held.wait(10), "the holding transaction did not start"
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(worker)
        deadline = time.monotonic() + 10
        while not (waited := someone_waits_for_a_lock()) and time.monotonic() < deadline:
            time.sleep(0.02)
        release.set()
        holding.join(10)
        assert waited, "the work never waited for the held transaction's lock"
        return result.result(10)
