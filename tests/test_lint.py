"""The package type-checks (mypy) and the whole repository passes ruff's rules and its formatter
(settings in pyproject.toml: pyflakes, bugbear, isort, pyupgrade, 120 columns)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(ROOT / ".venv" / "bin"))
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -r requirements-dev.txt)")
    return path


def test_mypy_finds_no_type_errors_in_the_package():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    if "No module named mypy" in result.stderr:
        pytest.skip("mypy is not installed (pip install -r requirements-dev.txt)")
    assert result.returncode == 0, result.stdout[-3000:]


def test_ruff_finds_nothing_and_the_code_is_formatted():
    ruff = _tool("ruff")
    check = subprocess.run([ruff, "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    formatted = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert formatted.returncode == 0, "run `ruff format .`:\n" + formatted.stdout[-3000:]
