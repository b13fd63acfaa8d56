"""One assets folder for the command line and the app, whatever the working folder (latent.paths)."""

import json
import subprocess
import sys

from conftest import ROOT


def test_assets_root_is_the_checkouts_from_any_working_folder(tmp_path, monkeypatch):
    from latent import paths

    monkeypatch.delenv(paths.ASSETS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.assets_root() == ROOT / "assets"
    assert paths.sweeps_root() == ROOT / "assets" / "sweeps" and paths.judges_root() == ROOT / "assets" / "judges"
    monkeypatch.setenv(paths.ASSETS_ENV, str(tmp_path / "mine"))
    assert paths.assets_root() == tmp_path / "mine"


def test_the_app_and_the_command_line_read_the_same_folder(monkeypatch):
    import ui.common
    from latent import paths

    monkeypatch.delenv(paths.ASSETS_ENV, raising=False)
    assert ui.common.ASSETS == paths.assets_root()


def test_model_names_a_shipped_bundle_and_a_path_still_works(tmp_path, monkeypatch):
    from latent import paths

    monkeypatch.delenv(paths.ASSETS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.bundle_path("mnist") == ROOT / "assets" / "mnist"
    (tmp_path / "mnist").mkdir()  # a folder of that name here wins: a path is a path
    assert paths.bundle_path("mnist") == paths.Path("mnist")
    assert paths.bundle_path("nothing-here") == paths.Path("nothing-here")  # fails later with the usual message
    assert paths.bundle_path("sub/mnist") == paths.Path("sub/mnist")


def test_info_finds_the_shipped_bundle_from_another_folder(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "latent", "info", "--model", "mnist", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dataset"]["name"] == "mnist"


def test_sweep_defaults_to_the_assets_folder_from_any_working_folder(tmp_path, monkeypatch):
    """A sweep run outside the repository root used to land in ./assets/sweeps, where the report page never looked."""
    from latent import cli, paths

    assets = tmp_path / "assets-elsewhere"
    monkeypatch.setenv(paths.ASSETS_ENV, str(assets))
    monkeypatch.chdir(tmp_path)
    seen = {}
    monkeypatch.setattr("latent.workflows.sweep.check_sweep_target", lambda out: (seen.setdefault("sweep", out), 1 / 0))
    try:
        cli.main(["sweep", "--dataset", "digits", "--dims", "2"])
    except ZeroDivisionError:
        pass
    assert seen["sweep"] == assets / "sweeps" / "digits.json"
