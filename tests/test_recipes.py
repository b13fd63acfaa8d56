"""The training recipes (latent.inputs.catalog.Recipe) are the settings the shipped bundles were built with."""

import json
import shlex

import pytest

from conftest import ROOT


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "mnist-joint", "fashion-mnist-joint"])
def test_each_shipped_bundles_command_gives_back_its_settings(name):
    from latent.cli import build_parser, pipeline_config

    manifest = json.loads((ROOT / "assets" / name / "manifest.json").read_text())
    argv = shlex.split(manifest["command"])[3:]  # after "python -m latent"
    cfg = pipeline_config(build_parser().parse_args(argv))
    ae, t = manifest["config"]["autoencoder"], manifest["config"]["training"]
    assert (cfg.autoencoder.latent_dim, cfg.autoencoder.hidden) == (ae["latent_dim"], ae["hidden"])
    assert (cfg.training.epochs, cfg.training.batch_size, cfg.training.lr, cfg.training.denoise) == (
        t["epochs"],
        t["batch_size"],
        t["lr"],
        t["denoise"],
    )
    assert cfg.training.joint_weight == t.get("joint_weight", 0.0)
    assert cfg.training.joint_dims == (t.get("joint_dims") or 0)
    assert cfg.training.target == (t.get("target") or "clean")
    detector = manifest["config"].get("detector")
    if detector:  # the "none" detector the recipe trains (what `calibrate --recipe` fitted the bundle with)
        assert cfg.detector is not None
        assert (cfg.detector.pool, cfg.detector.epochs, cfg.detector.drawn_share) == (
            detector["pool"],
            detector["epochs"],
            detector.get("drawn_share", 0.0),
        )
        # and the rule it calibrates: one combined test, or the tests each alone
        from latent.inputs.catalog import dataset_info

        combined = dataset_info(manifest["dataset"]["name"]).recipe.combined_none
        assert ("combined" in manifest["calibration"]) == combined
    if t["denoise"]:  # without augmentation the stored changes were never used (fashion-mnist: the digits' set)
        augment = cfg.training.augment.to_dict()
        assert {k: augment[k] for k in t["augment"] if k in augment} == {
            k: v for k, v in t["augment"].items() if k in augment
        }
