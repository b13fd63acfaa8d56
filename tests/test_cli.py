"""`python -m latent`: help, exit codes, one-line errors, JSON output, classify on drawn images."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from drawing import draw_digit, save_png


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "latent", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("command", ["", "train", "evaluate", "sweep", "judge", "classify", "calibrate", "info"])
def test_every_command_has_help(command):
    result = run(*([command] if command else []), "--help")
    assert result.returncode == 0
    assert "usage: python -m latent" in result.stdout


def test_bad_arguments_exit_2():
    assert run("train", "--epochs", "0").returncode == 2
    assert run("train", "--components", "many").returncode == 2
    assert run("frobnicate").returncode == 2


def test_errors_are_one_line_and_exit_1(tmp_path, monkeypatch):
    result = run("info", "--model", tmp_path / "missing")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "rebuild it with" in result.stderr
    assert "Traceback" not in result.stderr

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    offline = run("train", "--dataset", "fashion-mnist", "--data-dir", tmp_path / "empty", env=env)
    assert offline.returncode == 1
    last = offline.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Fashion-MNIST was not found") and "--data-dir" in last
    assert "Traceback" not in offline.stderr


def test_info_and_evaluate_json(tiny_bundle):
    info = run("info", "--model", tiny_bundle)
    assert info.returncode == 0 and "digits" in info.stdout and "sha256" in info.stdout
    result = run("evaluate", "--model", tiny_bundle, "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    for key in (
        "train_accuracy",
        "test_accuracy",
        "test_reconstruction_mse",
        "single_mixture_test_accuracy",
        "per_class_test_accuracy",
    ):
        assert key in metrics
    manifest = json.loads((tiny_bundle / "manifest.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(manifest["metrics"]["test_accuracy"])
    table = run("evaluate", "--model", tiny_bundle)
    assert table.returncode == 0 and "one mixture for all classes" in table.stdout


def test_classify_drawn_images_and_refuse_bad_ones(tiny_bundle, tmp_path):
    good = tmp_path / "seven.png"
    save_png(draw_digit("7", box=(0.05, 0.5, 0.35, 0.95), width=24), good)  # small, off-centre, thick
    paper = tmp_path / "one-on-paper.jpg"
    save_png(255 - draw_digit("1"), paper)  # dark ink on white paper
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    result = run("classify", "--model", tiny_bundle, "--json", good, paper, bad)
    assert result.returncode == 1  # one image failed
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(good), str(paper), str(bad)]
    for row in rows[:2]:
        assert row["label"] in [str(i) for i in range(10)] + ["none"]
        assert sum(row["probabilities"].values()) == pytest.approx(1.0)
    assert "not an image" in rows[2]["error"]
    plain = run("classify", "--model", tiny_bundle, good)
    assert plain.returncode == 0 and plain.stdout.startswith(f"{good}: ")
    # a threshold above any likelihood answers "none"
    never = run("classify", "--model", tiny_bundle, "--threshold", "1e9", "--json", good)
    assert json.loads(never.stdout)["label"] == "none"


def _squares_folder(root):
    """A folder dataset of filled rectangles in two classes: images that are not digits at all."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("wide", "tall"):
        (root / cls).mkdir(parents=True)
        for i in range(30):
            img = np.zeros((28, 28), np.uint8)
            h, w = (8, 20) if cls == "wide" else (20, 8)
            top, left = rng.integers(2, 6, 2)
            img[top : top + h, left : left + w] = 255
            Image.fromarray(img).save(root / cls / f"{i}.png")
    return root


def test_evaluate_ood_and_save_into_the_manifest(tiny_bundle, tmp_path):
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    foreign = _squares_folder(tmp_path / "squares")
    result = run("evaluate", "--model", bundle, "--ood", f"folder:{foreign}", "--save", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["ood_auroc"] > 0.9 and 0 <= metrics["ood_auroc_likelihood"] <= 1
    assert metrics["morph_dense_log_likelihood"] > metrics["morph_straight_log_likelihood"]
    stored = json.loads((bundle / "manifest.json").read_text())["evaluation"]
    assert stored["ood_auroc"] == pytest.approx(metrics["ood_auroc"]) and "--ood" in stored["command"]
    assert run("info", "--model", bundle).returncode == 0  # the rewritten manifest still verifies
    table = run("evaluate", "--model", bundle, "--ood", f"folder:{foreign}")
    assert table.returncode == 0 and "AUROC, combined score" in table.stdout
    # a second measure keeps the first one's figures, and both commands are named
    assert run("evaluate", "--model", bundle, "--compare-auto", "--save").returncode == 0
    stored = json.loads((bundle / "manifest.json").read_text())["evaluation"]
    assert stored["ood_auroc"] == pytest.approx(metrics["ood_auroc"]) and "components_auto_test_accuracy" in stored
    assert [("--ood" in c, "--compare-auto" in c) for c in stored["commands"]] == [(True, False), (False, True)]
    assert run("info", "--model", bundle).returncode == 0


def test_a_command_that_measures_a_section_again_replaces_the_one_that_measured_it():
    """`--junk` figures are stored whole: after `--junk --no-leave-one-out`, a `--junk --leave-out-epochs 2`
    replaces them, and the manifest named both commands behind figures only the second measured."""
    from latent.workflows.evaluation import merged_commands

    ood = "python -m latent evaluate --model m --ood fashion-mnist --save"
    quick = "python -m latent evaluate --model m --junk --no-leave-one-out --save"
    full = "python -m latent evaluate --model m --junk --leave-out-epochs 2 --save"
    assert merged_commands({"commands": [ood, quick]}, full) == [ood, full]
    assert merged_commands({"commands": [ood, full]}, full) == [ood, full]  # a repeated one moves to the end
    both = "python -m latent evaluate --model m --ood mnist --compare-auto --save"
    assert merged_commands({"commands": [both]}, ood) == [both, ood]  # its --compare-auto figures stay
    assert merged_commands({"commands": [ood]}, None) == [ood]
    spelled = "python -m latent evaluate --model m --ood=fashion-mnist --save"  # argparse's other spelling
    assert merged_commands({"commands": [spelled]}, quick) == [spelled, quick]


def test_evaluate_compares_bic_chosen_components(tiny_bundle):
    result = run("evaluate", "--model", tiny_bundle, "--compare-auto", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    ks = metrics["components_auto_per_class"]
    assert sorted(ks) == [str(i) for i in range(10)] and all(1 <= k <= 10 for k in ks.values())
    assert 0.5 < metrics["components_auto_test_accuracy"] <= 1


def test_joint_without_a_weight_takes_the_datasets_recipe():
    from latent.cli import build_parser, pipeline_config

    def config(*argv):
        return pipeline_config(build_parser().parse_args(["train", *argv]))

    clothes = config("--dataset", "fashion-mnist", "--joint")
    assert (clothes.autoencoder.latent_dim, clothes.autoencoder.hidden, clothes.training.epochs) == (80, 384, 16)
    assert (clothes.training.joint_weight, clothes.training.joint_dims) == (0.07, 16)
    # mirror images and small shifts, each redrawn as it is (plain augmentation, not denoising)
    assert clothes.training.denoise and clothes.training.target == "augmented"
    assert clothes.training.augment.hflip_p > 0 and clothes.training.augment.rotate_deg == 0
    digits = config("--dataset", "mnist", "--joint")  # the shipped mnist-joint recipe: every dimension shaped
    assert (digits.autoencoder.latent_dim, digits.training.joint_weight, digits.training.joint_dims) == (16, 0.1, 0)
    assert digits.training.target == "clean" and digits.training.augment.hflip_p == 0  # a mirrored 2 is no 2
    chosen = config("--dataset", "fashion-mnist", "--joint", "0.2", "--joint-dims", "8", "--hidden", "256")
    assert (chosen.training.joint_weight, chosen.training.joint_dims, chosen.autoencoder.hidden) == (0.2, 8, 256)
    plain = config("--dataset", "fashion-mnist")  # two-stage: the joint recipe does not leak in
    assert (plain.autoencoder.latent_dim, plain.training.joint_weight, plain.autoencoder.hidden) == (64, 0.0, 256)
    assert not plain.training.denoise
    denoised = config("--dataset", "fashion-mnist", "--joint", "--augment-target", "clean")
    assert denoised.training.target == "clean"
    assert run("train", "--joint", "-1").returncode == 2


def test_classify_refuses_unreadable_paths_with_one_line_each(tiny_bundle, tmp_path):
    """A folder named x.png, a FIFO (never opened: it would block), a missing file: one 'error:' line each."""
    import os

    folder = tmp_path / "folder.png"
    folder.mkdir()
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.png"
    good = tmp_path / "seven.png"
    save_png(draw_digit("7"), good)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "latent",
            "classify",
            "--model",
            str(tiny_bundle),
            str(folder),
            str(fifo),
            str(missing),
            str(good),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("error: ") for line in errors), result.stderr
    assert "folder.png is a folder" in errors[0]
    assert "fifo.png is not a regular file" in errors[1]
    assert "missing.png" in errors[2] and "No such file" in errors[2]
    assert result.stdout.startswith(f"{good}: ")  # the good image after them is still classified
