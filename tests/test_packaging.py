"""pyproject.toml: the package's dependencies are requirements.txt's pins, and the `latent` command is
`python -m latent`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_dependencies_are_requirements_txt_and_torch_stays_pinned():
    project = pyproject()
    assert "dependencies" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    pins = [line for line in lines if line]
    assert "torch==2.13.0" in pins  # anything looser pulls a multi-GB CUDA build
    assert all("==" in pin for pin in pins), pins  # setuptools reads this file: plain pinned requirements only


def test_the_latent_command_is_the_function_python_m_latent_runs():
    import latent.cli

    module, function = pyproject()["project"]["scripts"]["latent"].split(":")
    assert (module, function) == ("latent.cli", "main") and callable(latent.cli.main)
    assert "from .cli import main" in (ROOT / "latent" / "__main__.py").read_text()  # importing it runs the CLI


def test_latent_command_runs_like_python_m_latent_when_installed():
    """After `pip install -r requirements-dev.txt` (which installs this package editable) the command exists."""
    command = Path(sys.executable).parent / "latent"
    if not command.exists() and shutil.which("latent") is None:
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    command = command if command.exists() else Path(shutil.which("latent"))
    module = subprocess.run([sys.executable, "-m", "latent", "--help"], capture_output=True, text=True, timeout=120)
    installed = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=120, cwd="/")
    assert installed.returncode == module.returncode == 0, installed.stderr[-2000:]
    assert installed.stdout == module.stdout
