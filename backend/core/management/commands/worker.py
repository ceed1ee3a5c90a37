"""``relief worker``: run the background work (queued tasks and the periodic jobs).

The task loop is django-tasks-db's own worker (each task row claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an exclusive transaction on SQLite), so
any number of these processes can run on any number of machines. Beside it, a thread runs
the periodic jobs (``core.periodic``). Ctrl-C or SIGTERM lets the running task finish, then
stops; a second Ctrl-C stops at once. A worker killed mid-task leaves that task's own record
(a mail, a reminder) due, and the periodic jobs pick it up again: work is neither lost nor,
by the claims those records carry, done twice.
"""

from __future__ import annotations

import socket
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from core import periodic


class Command(BaseCommand):
    help = "Run queued tasks (mail, reminders) and the periodic jobs, until stopped."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--poll",
            type=float,
            default=settings.WORKER_POLL_SECONDS,
            help="Seconds between looks for a new task when idle (WORKER_POLL_SECONDS).",
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=settings.WORKER_TICK_SECONDS,
            help="Seconds between runs of the periodic jobs (WORKER_TICK_SECONDS).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run every periodic job once, then every task that is due, then exit.",
        )
        parser.add_argument("--worker-id", default="", help="A name for this worker's logs.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or (f"{socket.gethostname()[:40]}-{get_random_string(8)}")
        worker = Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=options["poll"],
            batch=options["once"],
            backend_name="default",
            startup_delay=not options["once"],
            max_tasks=None,
            worker_id=worker_id,
        )
        if options["once"]:
            periodic.run_all()
            worker.run()
            return
        ticker = periodic.Ticker(resolution=min(options["tick"], 1.0))
        for job in periodic.jobs():
            job_every = min(job.every_seconds, options["tick"])
            periodic.register(job.name, job.func, every_seconds=job_every)
        self.stdout.write(
            f"Relief worker {worker_id}: tasks every {options['poll']:g} s when idle, "
            f"periodic jobs ({', '.join(j.name for j in periodic.jobs()) or 'none'}) "
            f"every {options['tick']:g} s. Ctrl-C stops.",
        )
        self.stdout.flush()
        ticker.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            ticker.stop()
