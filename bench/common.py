"""Helpers every benchmark script shares: where its database lives, what machine it ran on,
and rewriting its own section of BENCHMARKS.md (each script owns one marked section)."""

from __future__ import annotations

import io
import os
import platform
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
# A benchmark's exit status when it measured everything and missed a goal (its table's FAIL
# rows say which). Any other non-zero status means it could not measure: a crash, a missing
# tool, a server that did not start. bench/run_all.py reports the two differently.
GOALS_MISSED = 3

# The keys the app processes a benchmark starts run with (one pair per benchmark run,
# unless the caller's environment sets them).
SECRET_KEY, JWT_SIGNING_KEY = secrets.token_urlsafe(50), secrets.token_urlsafe(50)


def child_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a Relief process (a server, a worker, a migrate) the benchmark
    starts on the database at ``url``: production settings, quiet logs, and ``extra``."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", SECRET_KEY),
        "JWT_SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY", JWT_SIGNING_KEY),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT / "backend"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def database_url(name: str) -> str:
    """DATABASE_URL's PostgreSQL server, with the database ``name`` (a throwaway one)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relief")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"{Path(sys.argv[0]).name} needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(name: str, env: Callable[[str], dict[str, str]]) -> str:
    """Drop and create the throwaway database ``name`` on DATABASE_URL's server and migrate
    it (``env(url)`` is the migration's environment); returns its URL."""
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = database_url(name)
    subprocess.run(
        [sys.executable, "-m", "config.cli", "migrate", "-v", "0"],
        env=env(url),
        check=True,
        cwd=ROOT,
    )
    return url


# The column order of the CSV rows the benchmark seeds write, per table.
COPY_COLUMNS = {
    "accounts_user": ("id", "password", "is_superuser", "email", "display_name", "role",
                      "timezone", "is_active", "is_staff", "date_joined"),
    "accounts_carelink": ("physician_id", "patient_id", "created_at"),
    "treatments_visit": ("id", "patient_id", "physician_id", "performed_at", "local_date",
                         "condition", "baseline_pain", "post_injection_pain", "notes",
                         "created_at", "updated_at"),
    "treatments_injectionsite": ("visit_id", "body_region", "muscle", "side", "lidocaine",
                                 "saline", "magnesium", "volume_ml"),
    "diary_entry": ("id", "patient_id", "felt_at", "recorded_at", "updated_at", "local_date",
                    "visit_id", "day", "pain", "soreness", "bruising", "iced", "heated",
                    "strenuous_activity", "notes", "version"),
}  # fmt: skip


def copy_csv(conn: psycopg.Connection, table: str, rows: io.StringIO) -> None:
    """COPY the CSV text in ``rows`` (columns as in ``COPY_COLUMNS``) into ``table``, 1 MiB
    at a time."""
    rows.seek(0)
    columns = ", ".join(COPY_COLUMNS[table])
    if table == "accounts_user":
        # ``language`` (#18) has its default in Django only, and the seeds' rows predate it:
        # the throwaway database gets the default in SQL, so every seed's rows still load.
        conn.execute("ALTER TABLE accounts_user ALTER COLUMN language SET DEFAULT 'en'")
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


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
