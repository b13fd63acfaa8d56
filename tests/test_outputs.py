"""Commands never delete or overwrite what they did not write, and a bundle is replaced in one move.

The refusals are checked before any training starts: these tests make training itself fail, so a
refusal that came late would show as that failure instead of one `error:` line.
"""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from latent import artifacts
from latent.cli import main
from latent.errors import OutputError


@pytest.fixture()
def no_training(monkeypatch):
    """Any training reached is a failure: a refusal must come first."""
    import latent.networks.train
    import latent.workflows.judge

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the output path was checked")

    monkeypatch.setattr(latent.networks.train, "train_autoencoder", refuse)
    monkeypatch.setattr(latent.workflows.judge, "_network", refuse)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(capsys, argv: list[str], match: str) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and match in err, err
    return err


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _tiny_config():
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, MixtureConfig, PipelineConfig

    return PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(latent_dim=4, channels=(4, 8), hidden=16),
        training=TrainConfig(epochs=1, batch_size=64, seed=1),
        mixture=MixtureConfig(n_components=1),
        map=MapConfig(n_points=60, n_neighbors=5),
        detector=None,
    )  # no "none" detector to train


@pytest.fixture()
def few_digits(digits):
    """A slice of the bundled digits: these tests check files and moves, not what is learnt."""
    from dataclasses import replace

    return replace(
        digits,
        x_train=digits.x_train[:300],
        y_train=digits.y_train[:300],
        x_val=digits.x_val[:60],
        y_val=digits.y_val[:60],
        x_test=digits.x_test[:100],
        y_test=digits.y_test[:100],
    )


@pytest.fixture()
def quick_map(monkeypatch):
    """The map's layout is not what these tests check: a projection on two code axes stands in for UMAP."""
    import latent.bundle.projection

    monkeypatch.setattr(
        latent.bundle.projection, "fit_umap", lambda Z, **kw: np.asarray(Z[:, :2], dtype=np.float32) * 1.0
    )


def test_train_refuses_a_folder_with_foreign_files(tmp_path, capsys, no_training):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("months of work")
    (out / "figures").mkdir()
    (out / "figures" / "plot.png").write_bytes(b"\x89PNG")
    before = _snapshot(out)
    _refused(capsys, ["train", "--dataset", "digits", "--out", str(out), "--quiet"], "is not a model bundle")
    assert _snapshot(out) == before and _hidden(tmp_path) == []


def test_train_refuses_a_bundle_holding_a_file_its_manifest_does_not_list(tiny_bundle, tmp_path, capsys, no_training):
    out = tmp_path / "digits"
    shutil.copytree(tiny_bundle, out)
    (out / "notes.txt").write_text("mine")
    before = _snapshot(out)
    _refused(capsys, ["train", "--dataset", "digits", "--out", str(out), "--quiet"], "notes.txt")
    assert _snapshot(out) == before


def test_train_refuses_the_working_folder_and_above(tmp_path, capsys, monkeypatch, no_training):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    for out in (".", "..", str(work), "./"):
        _refused(capsys, ["train", "--dataset", "digits", "--out", out, "--quiet"], "working folder")
    assert (work / "keep.txt").read_text() == "keep" and _hidden(work) == [] and _hidden(tmp_path) == []


def test_train_refuses_the_assets_folder_even_when_empty(tmp_path, capsys, monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "assets").mkdir()
    _refused(capsys, ["train", "--dataset", "digits", "--out", "assets", "--quiet"], "assets folder")
    assert (tmp_path / "assets").is_dir()


def test_folder_dataset_of_the_working_folder_cannot_become_the_assets_folder(
    tmp_path, capsys, monkeypatch, no_training
):
    """`--dataset folder:.` with the default --out (assets/.) once turned assets/ itself into the bundle."""
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()  # class folders: never read, the refusal comes first
    (tmp_path / "assets" / "mnist").mkdir(parents=True)
    (tmp_path / "assets" / "mnist" / "manifest.json").write_text("{}")
    before = _snapshot(tmp_path / "assets")
    _refused(capsys, ["train", "--dataset", "folder:.", "--quiet"], "assets folder")
    assert _snapshot(tmp_path / "assets") == before


def test_train_refuses_an_output_that_contains_or_sits_inside_a_folder_dataset(tmp_path, capsys, no_training):
    data = tmp_path / "data" / "shapes"
    for name in ("a", "b"):
        (data / name).mkdir(parents=True)
    for out in (tmp_path / "data", data, data / "model"):
        _refused(
            capsys, ["train", "--dataset", f"folder:{data}", "--out", str(out), "--quiet"], "the dataset being read"
        )
    assert sorted(p.name for p in data.iterdir()) == ["a", "b"]


def test_train_refuses_an_output_that_contains_the_idx_data(tmp_path, capsys, no_training):
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    from latent.inputs.data import FILES

    for stem in FILES.values():
        (data / f"{stem}.gz").write_bytes(b"")  # found by name; never read before the refusal
    _refused(
        capsys,
        [
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "data"),
            "--quiet",
        ],
        "the dataset being read",
    )


def test_retraining_replaces_a_bundle_in_one_move(tiny_bundle, tmp_path, few_digits, monkeypatch, quick_map):
    """The old bundle is moved aside and the new one moved in: a reader sees one whole bundle or none."""
    from latent.bundle.model import LatentModel
    from latent.workflows.pipeline import train_bundle

    out = tmp_path / "digits"
    shutil.copytree(tiny_bundle, out)
    old_manifest = (out / "manifest.json").read_text()
    seen = []

    def look() -> None:
        """What a reader of `out` finds after each file-system step."""
        if not out.exists():
            seen.append(None)
            return
        files = {p.name for p in out.iterdir()}
        manifest = artifacts.load_manifest(out, verify=True)  # a whole bundle, never a mixture of two
        assert files == {*manifest["files"], "manifest.json"}
        seen.append((out / "manifest.json").read_text())

    def watched(real):
        def step(*args, **kwargs):
            real(*args, **kwargs)
            look()

        return step

    for name in ("rename", "unlink", "rmdir"):  # pathlib and shutil.rmtree go through these
        monkeypatch.setattr(os, name, watched(getattr(os, name)))
    manifest = train_bundle(_tiny_config(), out, dataset=few_digits, command="retrain test")
    new_manifest = (out / "manifest.json").read_text()
    changes = [state for i, state in enumerate(seen) if i == 0 or state != seen[i - 1]]
    assert new_manifest != old_manifest and changes[-2:] == [None, new_manifest], changes  # old, none, new
    assert set(changes) <= {old_manifest, None, new_manifest}
    assert LatentModel.load(out).manifest["command"] == "retrain test" == manifest["command"]
    assert _hidden(tmp_path) == []  # the staging and the old bundle are both gone
    assert {p.name for p in out.iterdir()} == {*manifest["files"], "manifest.json"}


def test_a_failed_swap_leaves_the_old_bundle_in_place(tiny_bundle, tmp_path, few_digits, monkeypatch, quick_map):
    from latent.workflows.pipeline import train_bundle

    out = tmp_path / "digits"
    shutil.copytree(tiny_bundle, out)
    before = _snapshot(out)
    real_rename = os.rename

    def fail_moving_in(src, dst):
        if Path(dst) == out and Path(src).name.startswith(".digits-") and "-old-" not in Path(src).name:
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", fail_moving_in)
    with pytest.raises(OutputError, match=r"could not move the new model bundle into .*No space left.*unchanged"):
        train_bundle(_tiny_config(), out, dataset=few_digits, command="test")
    assert _snapshot(out) == before and _hidden(tmp_path) == []


def test_train_writes_into_an_empty_or_new_folder(tmp_path, few_digits, quick_map):
    from latent.workflows.pipeline import train_bundle

    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        manifest = train_bundle(_tiny_config(), out, dataset=few_digits, command="test")
        assert {p.name for p in out.iterdir()} == {*manifest["files"], "manifest.json"}
    assert _hidden(tmp_path) == [] and _hidden(tmp_path / "new") == []


def test_leftovers_of_killed_runs_and_broken_folders_are_not_listed(tiny_bundle, tmp_path):
    root = tmp_path / "assets"
    shutil.copytree(tiny_bundle, root / "digits")
    shutil.copytree(tiny_bundle, root / ".digits-k3x9_q")  # a run killed after writing its manifest
    shutil.copytree(tiny_bundle, root / "half")
    (root / "half" / "mixture.npz").unlink()  # a copy that stopped halfway
    (root / "junk").mkdir()
    (root / "junk" / "manifest.json").write_text("not json")
    (root / "judges").mkdir()
    assert artifacts.find_bundles(root) == [root / "digits"]


def test_evaluate_save_does_not_adopt_foreign_files(tiny_bundle, tmp_path, capsys, no_training):
    """`update_manifest` rehashes the files the manifest lists; a stranger's file stays unlisted (and protected)."""
    out = tmp_path / "digits"
    shutil.copytree(tiny_bundle, out)
    (out / "notes.txt").write_text("mine")
    artifacts.update_manifest(out, evaluation={"test_accuracy": 0.5})
    manifest = json.loads((out / "manifest.json").read_text())
    assert "notes.txt" not in manifest["files"] and manifest["evaluation"]["test_accuracy"] == 0.5
    _refused(capsys, ["train", "--dataset", "digits", "--out", str(out), "--quiet"], "notes.txt")
    assert (out / "notes.txt").read_text() == "mine"


def test_judge_refuses_a_folder_it_did_not_write(tmp_path, capsys, no_training):
    out = tmp_path / "judge"
    out.mkdir()
    (out / "manifest.json").write_text('{"mine": true}')
    _refused(capsys, ["judge", "--dataset", "digits", "--out", str(out)], "is not a judge")
    assert (out / "manifest.json").read_text() == '{"mine": true}' and _hidden(tmp_path) == []


def test_sweep_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys, no_training):
    out = tmp_path / "results.json"
    out.write_text('{"my": "results"}')
    _refused(capsys, ["sweep", "--dataset", "digits", "--dims", "2", "--out", str(out)], "is not a sweep")
    assert out.read_text() == '{"my": "results"}'
    folder = tmp_path / "folder.json"
    folder.mkdir()
    _refused(capsys, ["sweep", "--dataset", "digits", "--dims", "2", "--out", str(folder)], "is a folder")


def test_sweep_replaces_its_own_file_atomically(tmp_path, digits):
    from latent.cli import build_parser, pipeline_config
    from latent.workflows.sweep import write_sweep

    out = tmp_path / "sweep.json"
    cfg = pipeline_config(build_parser().parse_args(["sweep", "--dataset", "digits"]))
    write_sweep(out, "digits", cfg, [{"latent_dim": 2, "test_accuracy": 0.5}], "first")
    write_sweep(out, "digits", cfg, [{"latent_dim": 2, "test_accuracy": 0.6}], "second")
    assert json.loads(out.read_text())["command"] == "second" and sorted(p.name for p in tmp_path.iterdir()) == [
        "sweep.json"
    ]
