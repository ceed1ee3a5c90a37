"""Running the real task worker from a test.

``run_worker_once()`` is ``relief worker --once`` in this process: every periodic job once,
then every task that is due, with django-tasks-db's own worker loop. It commits, so the
tests that use it are ``transaction=True`` (the worker also closes stale connections, which
a test wrapped in one transaction must not see). ``tests/core/test_worker.py`` runs worker
processes of their own.
"""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def run_worker_once() -> None:
    call_command("worker", "--once", stdout=StringIO())
