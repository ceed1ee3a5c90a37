"""The house is one-way (docs/ARCHITECTURE.md): `lint-imports` holds the layers listed in
pyproject.toml. The suite runs it on the code as it is, and on a copy with one upward import
added, so a contract that could never fail would show here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root / "backend")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_app_imports_only_the_layers_below_it() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Imports run downward only KEPT" in result.stdout


def test_an_upward_import_is_refused(tmp_path: Path) -> None:
    """accounts reaching up into recovery (as its patient list once did) breaks the build."""
    shutil.copytree(
        ROOT / "backend", tmp_path / "backend", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    selectors = tmp_path / "backend" / "accounts" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom recovery import reports  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Imports run downward only BROKEN" in result.stdout
    assert "accounts.selectors -> recovery.reports" in result.stdout
