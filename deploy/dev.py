"""``make run``: Django's development server and the task worker, started and stopped together.

Ctrl-C (or SIGTERM) stops both; if either exits, the other is stopped too. The worker sends
the mail (under DEBUG, files in var/mail/ named on the console) and the reminders.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELIEF = str(Path(sys.executable).parent / "relief")


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    # Ctrl-C reached the children too (one process group): give them a moment to stop on
    # their own (the worker finishing its task) before SIGTERM, which a worker already
    # stopping takes as "stop now".
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(2)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    port = os.environ.get("PORT") or "8000"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    processes = [
        subprocess.Popen([RELIEF, "worker"], cwd=ROOT),
        subprocess.Popen([RELIEF, "runserver", f"127.0.0.1:{port}"], cwd=ROOT),
    ]
    try:
        while not stop.wait(0.5):
            if any(process.poll() is not None for process in processes):
                print("make run: the web server or the worker exited; stopping.", file=sys.stderr)
                break
    finally:
        stop_all(processes)
    print("make run: stopped.", flush=True)


if __name__ == "__main__":
    main()
