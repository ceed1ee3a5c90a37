"""Start-up refuses a translation catalog that is not compiled, or compiled before its last
change (core/checks.py): such a server would answer in English where Spanish was asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error

from core.checks import catalogs_compiled

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt")

PO = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'


def _catalog(tmp_path: Path, settings: Any) -> Path:
    po = tmp_path / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    return po


def test_a_missing_mo_is_an_error(tmp_path: Path, settings: Any) -> None:
    po = _catalog(tmp_path, settings)

    assert catalogs_compiled() == [
        Error(
            f"The translation catalog {po} is not compiled.",
            hint="Compile it: make install (or, from backend/, relief compilemessages).",
            id="relief.E001",
        )
    ]


def test_a_compiled_catalog_passes_and_a_later_change_is_an_error(
    tmp_path: Path, settings: Any
) -> None:
    po = _catalog(tmp_path, settings)
    mo = po.with_suffix(".mo")
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)

    assert catalogs_compiled() == []

    later = mo.stat().st_mtime + 5
    os.utime(po, (later, later))
    [error] = catalogs_compiled()
    assert (error.id, error.msg) == (
        "relief.E001",
        f"The translation catalog {po} is newer than its compiled .mo.",
    )


def test_the_repositorys_catalogs_are_compiled_for_this_run() -> None:
    """The test session compiles them (tests/conftest.py), as make install does."""
    assert catalogs_compiled() == []
