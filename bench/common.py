"""Helpers every benchmark script shares: where its database lives, what machine it ran on,
and rewriting its own section of BENCHMARKS.md (each script owns one marked section)."""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str) -> str:
    """DATABASE_URL's PostgreSQL server, with the database ``name`` (a throwaway one)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relief")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"{Path(sys.argv[0]).name} needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunsplit(parts._replace(path=f"/{name}"))


def machine(*versions: str) -> str:
    """Architecture, CPU count and model, Python, PostgreSQL, plus the given versions."""
    with psycopg.connect(database_url("postgres")) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    cpu = "unknown CPU"
    if Path("/proc/cpuinfo").exists():
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1) if found else cpu
    parts = [f"Python {platform.python_version()}", *versions, f"PostgreSQL {server}"]
    return f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}); " + ", ".join(parts)


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the ``<!-- name:start -->`` ... ``<!-- name:end -->`` section."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nWritten by `make bench`.\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown}\n{end}"
    if start in text and end in text:
        pattern = f"{re.escape(start)}.*?{re.escape(end)}"
        text = re.sub(pattern, lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
