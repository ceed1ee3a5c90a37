"""The Spanish catalog is complete (#18): every message the server's code and templates mark
for translation today is in the committed backend/locale/es/LC_MESSAGES/django.po, translated,
not fuzzy, with the same placeholders as its English; and it holds no message the code no
longer has. The messages are extracted afresh with `relief makemessages` in a temporary copy
of backend/, never touching the committed file.

When this fails: from backend/, `relief makemessages -l es --add-location=file --no-obsolete`,
translate what is new (and remove "#, fuzzy" after checking each guess), `make install`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
CATALOG = BACKEND / "locale" / "es" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None or shutil.which("msgcmp") is None,
    reason="GNU gettext is missing (apt-get install gettext)",
)


def _gettext(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What makemessages extracts from the code as it is now, untranslated (a .pot)."""
    copy = tmp_path_factory.mktemp("extract") / "backend"
    shutil.copytree(
        BACKEND,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po", "static"),
    )
    before = CATALOG.read_bytes()
    env = {**os.environ, "DEBUG": "true", "PYTHONPATH": str(copy)}
    relief = Path(sys.executable).parent / "relief"
    result = subprocess.run(
        [str(relief), "makemessages", "-l", "es", "--no-obsolete", "--no-location"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert CATALOG.read_bytes() == before, "makemessages must not touch the committed catalog"
    extracted = copy / "locale" / "es" / "LC_MESSAGES" / "django.po"
    assert extracted.exists(), result.stdout + result.stderr
    return extracted


def test_every_message_of_the_code_is_in_the_catalog_and_translated(fresh: Path) -> None:
    # msgcmp: each msgid of the fresh extraction must be defined, and translated, in the
    # committed catalog (no fuzzy matching: a near miss is a missing message).
    result = _gettext("msgcmp", "--no-fuzzy-matching", str(CATALOG), str(fresh))
    assert result.returncode == 0, "messages missing or untranslated:\n" + result.stderr


def test_the_catalog_holds_no_message_the_code_no_longer_has(fresh: Path) -> None:
    result = _gettext(
        "msgcmp", "--no-fuzzy-matching", "--use-untranslated", str(fresh), str(CATALOG)
    )
    assert result.returncode == 0, "messages no longer in the code:\n" + result.stderr


def test_nothing_is_untranslated_or_fuzzy() -> None:
    for flag in ("--untranslated", "--only-fuzzy"):
        result = _gettext("msgattrib", flag, "--no-wrap", str(CATALOG))
        assert result.returncode == 0, result.stderr
        entries = [
            line
            for line in result.stdout.splitlines()
            if line.startswith("msgid ") and line != 'msgid ""'
        ]
        assert entries == [], f"{flag}: {entries}"


def test_placeholders_match_and_the_catalog_compiles() -> None:
    """msgfmt --check: the same %(name)s placeholders in msgstr as in msgid (python-format),
    plural forms as the header says, a well-formed header."""
    result = _gettext("msgfmt", "--check", "--statistics", "-o", os.devnull, str(CATALOG))
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_a_wrong_placeholder_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a msgstr that drops a placeholder is refused."""
    broken = tmp_path / "broken.po"
    broken.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, python-format\nmsgid "Hello %(name)s,"\nmsgstr "Hola, %(nombre)s:"\n',
        encoding="utf-8",
    )
    result = _gettext("msgfmt", "--check", "-o", os.devnull, str(broken))
    assert result.returncode != 0
