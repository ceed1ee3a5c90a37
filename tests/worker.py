"""Running the real task worker from a test.

``run_worker_once()`` is ``relief worker --once`` in this process: every periodic job once,
then every task that is due, with django-tasks-db's own worker loop. It commits, so the
tests that use it are ``transaction=True`` (the worker also closes stale connections, which
a test wrapped in one transaction must not see).

``start_worker()`` starts a ``relief worker`` process against this test's database (a
PostgreSQL URL, or the SQLite test file through ``SQLITE_PATH``), as an operator would;
``smtp_inbox()`` is a real SMTP server (aiosmtpd) on a free port that keeps what it gets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def run_worker_once() -> None:
    call_command("worker", "--once", stdout=StringIO())


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def database_env() -> dict[str, str]:
    """This test's database, for a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(db["NAME"])}
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return {
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "DATABASE_POOL_MIN_SIZE": "1",
    }


def start_worker(*args: str, smtp_port: int, **env: str) -> subprocess.Popen[str]:
    """``relief worker --poll 0.2 --tick 1 ARGS`` with mail to 127.0.0.1:smtp_port."""
    full = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SQLITE_PATH", "EMAIL_URL"}
    }
    full.update(
        database_env(),
        PYTHONPATH=str(ROOT / "backend"),
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="5",
        LOG_LEVEL="WARNING",
    )
    full.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "config.cli", "worker", "--poll", "0.2", "--tick", "1", *args],
        env=full,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_worker(process: subprocess.Popen[str]) -> str:
    """SIGTERM (the task in hand finishes), then its stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return err


def wait_until(condition: Callable[[], bool], *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)
