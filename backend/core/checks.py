"""Start-up checks of Relief's own: every translation catalog is compiled and current.

The ``.mo`` files are built from the committed ``.po`` files (``make install``,
``deploy/serve.py``, the Docker build, the test session), never committed. A server
started without one would answer in English where Spanish was asked for, silently; one
started with a stale one would miss the newest messages. Either stops start-up instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register


def stale_catalogs() -> list[tuple[Path, str]]:
    """Each ``.po`` under ``LOCALE_PATHS`` whose ``.mo`` is missing or older, with why."""
    found = []
    for base in settings.LOCALE_PATHS:
        for po in sorted(Path(base).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if not mo.exists():
                found.append((po, "is not compiled"))
            elif mo.stat().st_mtime < po.stat().st_mtime:
                found.append((po, "is newer than its compiled .mo"))
    return found


def catalogs_compiled(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return [
        Error(
            f"The translation catalog {po} {why}.",
            hint="Compile it: make install (or, from backend/, relief compilemessages).",
            id="relief.E001",
        )
        for po, why in stale_catalogs()
    ]


def register_all() -> None:
    """Called once from ``CoreConfig.ready``."""
    register(catalogs_compiled)
