"""Run every benchmark, then say which goals missed: what ``make bench`` runs.

Usage: ``python bench/run_all.py [script.py ...]`` (default: every benchmark, in
``SCRIPTS``' order). Each script runs to its end whatever the others did, prints its table
and rewrites its own section of BENCHMARKS.md, as when run alone; its output is passed through
as it comes. A script exits 0 when it met every goal it checks, ``GOALS_MISSED`` when it
measured and missed one (its printed table's FAIL rows name which), and with anything else
when it could not measure (a traceback, ``sys.exit("...")``, a signal). At the end the runner
prints one line per script and exits 1 if any goal was missed or any script crashed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field

from common import GOALS_MISSED

SCRIPTS = (
    "bench/analytics.py",
    "bench/frontend.py",
    "bench/exports.py",
    "bench/api.py",
    "bench/reminders.py",
    "bench/audit.py",
)


@dataclass
class Outcome:
    """What one benchmark script did: its exit status, the goal ids its table marked FAIL,
    the last line it printed (a crash's reason) and how long it took."""

    script: str
    returncode: int
    missed: list[str] = field(default_factory=list)
    last_line: str = ""
    seconds: float = 0.0

    @property
    def crashed(self) -> bool:
        return self.returncode not in (0, GOALS_MISSED)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.missed

    def describe(self) -> str:
        if self.crashed:
            how = (
                f"killed by signal {-self.returncode}"
                if self.returncode < 0
                else f"exit {self.returncode}"
            )
            text = f"CRASHED ({how}): {self.last_line or 'no output'}"
            if self.missed:  # it had printed a table before it stopped
                text += f"; its table had missed {', '.join(self.missed)}"
        elif self.missed:
            text = f"missed {', '.join(self.missed)}"
        elif self.returncode == GOALS_MISSED:
            text = "missed a goal (no FAIL row in its output)"
        else:
            text = "all goals met"
        return f"{self.script}: {text} ({self.seconds:.0f} s)"


def failed_goal(line: str) -> str | None:
    """The goal id of a results-table row marked FAIL (``| F-2 | ... | FAIL |``), else None."""
    line = line.strip()
    if not (line.startswith("|") and line.endswith("|")):
        return None
    cells = [cell.strip() for cell in line[1:-1].split("|")]
    return cells[0] if len(cells) > 1 and cells[-1] == "FAIL" else None


def run(script: str) -> Outcome:
    """Run one benchmark with this interpreter, passing its output through as it comes."""
    start = time.monotonic()
    missed: list[str] = []
    tail: deque[str] = deque(maxlen=1)
    # Unbuffered: a benchmark's progress lines appear as it goes, not when its pipe fills.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=env,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if (goal := failed_goal(line)) and goal not in missed:
                missed.append(goal)
            if line.strip():
                tail.append(line.strip())
    return Outcome(
        script=script,
        returncode=process.returncode,
        missed=missed,
        last_line=tail[0] if tail else "",
        seconds=time.monotonic() - start,
    )


def summary(outcomes: list[Outcome]) -> str:
    lines = ["", "== Benchmarks: summary", *(f"  {o.describe()}" for o in outcomes)]
    missed = [f"{goal} ({o.script})" for o in outcomes for goal in o.missed]
    crashed = [o.script for o in outcomes if o.crashed]
    if not missed and not crashed and all(o.ok for o in outcomes):
        lines.append(f"All goals met ({len(outcomes)} scripts).")
    else:
        parts = []
        if missed:
            parts.append("missed " + ", ".join(missed))
        if crashed:
            parts.append("crashed: " + ", ".join(crashed))
        if not parts:  # GOALS_MISSED with no FAIL row to name
            parts.append("goals missed: " + ", ".join(o.script for o in outcomes if not o.ok))
        lines.append("FAILED: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    scripts = argv or list(SCRIPTS)
    outcomes = []
    for script in scripts:
        print(f"\n== {script}", flush=True)
        outcomes.append(run(script))
    print(summary(outcomes), flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
