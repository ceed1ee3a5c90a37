"""bench/run_all.py, what ``make bench`` runs: every benchmark runs whatever the others did,
then the run names the missed goals and crashed scripts and fails.

The benchmarks here are tiny scripts written to tmp_path that keep the real ones' contract
(print a results table, exit ``GOALS_MISSED`` on a FAIL row) and log that they ran; the
runner runs them as real subprocesses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"

HEADER = f"""\
import sys
from pathlib import Path
sys.path.insert(0, {str(BENCH)!r})
from common import GOALS_MISSED
with open(Path(__file__).parent / "ran.log", "a") as log:
    log.write(Path(__file__).name + "\\n")
print("| id | measure | absolute | ratio | goal | result |")
print("|---|---|---|---|---|---|")
"""

MISSES_F2 = """\
print("| F-1 | first visit usable | 0.73 s | - | <= 2.0 s | PASS |")
print("| F-2 | repeat visit usable / its first paint | 0.40 s / 0.24 s | 1.67x | <= 1.1 | FAIL |")
print("| F-3 | plotly bytes before a chart | 0 B | - | 0 | PASS |")
sys.exit(GOALS_MISSED)
"""

MISSES_TWO = """\
print("| W-1 (ref.) | put / pgbench, 2 connections | 498 / 3559 | 0.14x | - | - |")
print("| W-2 | writes / reads | 100 / 212 req/s | 0.47x | >= 0.9 | FAIL |")
print("| W-3 | sync rows/s / COPY rows/s | 100 / 71303 | 0.00x | >= 0.3 | FAIL |")
sys.exit(GOALS_MISSED)
"""

PASSES = """\
print("| E-1 | peak RSS 100k / 1k | 123 / 119 MiB | 1.03x | <= 1.10 | PASS |")
"""

CRASHES = """\
raise RuntimeError("gunicorn did not start")
"""


def benchmarks(tmp_path: Path, **bodies: str) -> list[str]:
    """Write one fake benchmark per keyword (``name=body``) and return their paths, in order."""
    paths = []
    for name, body in bodies.items():
        path = tmp_path / f"{name}.py"
        path.write_text(HEADER + body)
        paths.append(str(path))
    return paths


def run_all(scripts: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), *scripts],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ran(tmp_path: Path) -> list[str]:
    return (tmp_path / "ran.log").read_text().split()


def summary(stdout: str) -> list[str]:
    """The summary's lines, without the timings."""
    lines = stdout.split("== Benchmarks: summary\n", 1)[1].splitlines()
    return [re.sub(r" \(\d+ s\)$", "", line) for line in lines]


def test_every_benchmark_runs_when_the_first_misses_a_goal(tmp_path: Path) -> None:
    scripts = benchmarks(tmp_path, frontend=MISSES_F2, exports=PASSES, api=PASSES)

    result = run_all(scripts)

    assert ran(tmp_path) == ["frontend.py", "exports.py", "api.py"]
    assert result.returncode == 1
    # Each benchmark's own output is passed through, in order, before the summary.
    assert result.stdout.index("| F-2 |") < result.stdout.index("| E-1 |")
    assert result.stdout.index("| E-1 |") < result.stdout.index("== Benchmarks: summary")


def test_the_summary_names_every_missed_goal_and_its_script(tmp_path: Path) -> None:
    frontend, exports, api = benchmarks(
        tmp_path, frontend=MISSES_F2, exports=PASSES, api=MISSES_TWO
    )

    result = run_all([frontend, exports, api])

    assert result.returncode == 1
    assert summary(result.stdout) == [
        f"  {frontend}: missed F-2",
        f"  {exports}: all goals met",
        f"  {api}: missed W-2, W-3",
        f"FAILED: missed F-2 ({frontend}), W-2 ({api}), W-3 ({api}).",
    ]


def test_a_crashed_benchmark_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    analytics, frontend = benchmarks(tmp_path, analytics=CRASHES, frontend=PASSES)

    result = run_all([analytics, frontend])

    assert ran(tmp_path) == ["analytics.py", "frontend.py"]
    assert result.returncode == 1
    assert summary(result.stdout) == [
        f"  {analytics}: CRASHED (exit 1): RuntimeError: gunicorn did not start",
        f"  {frontend}: all goals met",
        f"FAILED: crashed: {analytics}.",
    ]


def test_a_benchmark_that_stops_with_a_message_is_a_crash_not_a_miss(tmp_path: Path) -> None:
    (frontend,) = benchmarks(
        tmp_path, frontend='sys.exit("/usr/bin/chromium is missing (apt-get install chromium)")\n'
    )

    result = run_all([frontend])

    assert result.returncode == 1
    assert summary(result.stdout) == [
        f"  {frontend}: CRASHED (exit 1): /usr/bin/chromium is missing (apt-get install chromium)",
        f"FAILED: crashed: {frontend}.",
    ]


def test_the_run_passes_when_every_goal_is_met(tmp_path: Path) -> None:
    scripts = benchmarks(tmp_path, analytics=PASSES, exports=PASSES)

    result = run_all(scripts)

    assert result.returncode == 0
    assert summary(result.stdout) == [
        f"  {scripts[0]}: all goals met",
        f"  {scripts[1]}: all goals met",
        "All goals met (2 scripts).",
    ]
