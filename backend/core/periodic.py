"""Periodic jobs: what the task worker runs on a clock rather than on demand.

An app registers a job from its ``AppConfig.ready`` with ``register(name, func,
every_seconds=…)``; every ``relief worker`` process calls each job as ``func(now=…)`` about
that often, from a thread of its own beside the task loop. Several workers run, on several
machines, and any of them may have been down: a job must therefore be safe to run in several
processes at once and must not assume it ran at the last interval. Jobs make that true with
the database (a claim, a unique constraint), never with the worker's memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("relief.worker")

Job = Callable[..., object]


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Job
    every_seconds: float


_jobs: dict[str, Periodic] = {}


def register(name: str, func: Job, *, every_seconds: float) -> None:
    """Add (or replace) the job called ``name``."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    _jobs[name] = Periodic(name=name, func=func, every_seconds=every_seconds)


def jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def run_job(job: Periodic, *, now: datetime) -> bool:
    """Run one job once; a failure is logged, never raised (the next tick tries again)."""
    try:
        job.func(now=now)
    except Exception:
        logger.exception("periodic job %s failed", job.name)
        return False
    finally:
        close_old_connections()
    return True


def run_all(*, now: datetime | None = None) -> dict[str, bool]:
    """Every job once, now (``relief worker --once``, tests)."""
    now = now or timezone.now()
    return {job.name: run_job(job, now=now) for job in jobs()}


class Ticker(threading.Thread):
    """Runs each job every ``every_seconds``, checking every ``resolution`` seconds, until
    stopped. The first run of every job is at start: a worker that was down catches up."""

    def __init__(self, *, resolution: float) -> None:
        super().__init__(name="relief-periodic", daemon=True)
        self.resolution = resolution
        self.stopping = threading.Event()
        self._next: dict[str, float] = {}

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        import time

        while not self.stopping.is_set():
            started = time.monotonic()
            for job in jobs():
                if self._next.get(job.name, 0.0) <= started:
                    self._next[job.name] = started + job.every_seconds
                    run_job(job, now=timezone.now())
            self.stopping.wait(self.resolution)
