"""Bundles are checked against a schema on load: each failure the issue's tester found is now one
`BundleError` naming the field or file (and the command that rebuilds the bundle), never another
exception, never NaN. Every edit here rewrites the hashes, so the schema, not the hash, must catch it."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bundle_edits import (
    copy_bundle,
    edit_manifest,
    edit_npz,
    edit_weights,
    npy_header,
    read_manifest,
    rehash,
    write_npy_member,
)
from conftest import ROOT
from latent import artifacts
from latent.bundle.model import LatentModel
from latent.errors import BundleError

REBUILD = "rebuild it with: python -m latent train --dataset digits"


@pytest.fixture()
def bundle(tiny_bundle, tmp_path):
    return copy_bundle(tiny_bundle, tmp_path / "copy")


def refused(bundle, *words: str) -> str:
    """Loading `bundle` raises one BundleError whose message holds every word and the rebuild hint."""
    with pytest.raises(BundleError) as info:
        LatentModel.load(bundle)
    message = str(info.value)
    for word in (*words, REBUILD):
        assert word in message, message
    assert "\n" not in message
    return message


def set_field(path: str, value):
    """An edit that sets manifest[a][b]... (dotted path) to value."""

    def edit(manifest):
        *parents, last = path.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def drop_field(path: str):
    def edit(manifest):
        *parents, last = path.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        del node[last]

    return edit


def test_the_tiny_and_the_shipped_bundles_pass():
    for name in ("mnist", "fashion-mnist", "mnist-joint", "fashion-mnist-joint"):  # 3 of 4 store `blocks`
        model = LatentModel.load(ROOT / "assets" / name)
        assert model.n_classes == 10


def test_removed_options_in_older_manifests_are_accepted_and_ignored(bundle):
    """`blocks` (residual blocks), `latent_noise`, `consistency` and `erase_p` were removed; old manifests keep them."""

    def old_style(manifest):
        manifest["config"]["autoencoder"]["blocks"] = 0
        manifest["config"]["training"].update(latent_noise=0.0, consistency=0.0)
        manifest["config"]["training"].setdefault("augment", {})["erase_p"] = 0.0

    edit_manifest(bundle, old_style)
    assert LatentModel.load(bundle).n_classes == 10
    edit_manifest(bundle, set_field("config.autoencoder.blocks", 2))  # weights with residual blocks: not loadable
    refused(bundle, "config.autoencoder.blocks", "2")


def test_negative_latent_dim_is_named(bundle):
    edit_manifest(bundle, set_field("config.autoencoder.latent_dim", -5))
    refused(bundle, "config.autoencoder.latent_dim", "-5")


def test_a_huge_network_is_refused_before_it_is_built(bundle, monkeypatch):
    import latent.networks.autoencoder

    def never(*args, **kwargs):
        raise AssertionError("a network was built from an unchecked config")

    monkeypatch.setattr(latent.networks.autoencoder.Autoencoder, "__init__", never)
    edit_manifest(bundle, set_field("config.autoencoder.hidden", 10_000_000))
    refused(bundle, "config.autoencoder.hidden")
    edit_manifest(bundle, set_field("config.autoencoder.hidden", 64))
    edit_manifest(bundle, set_field("config.autoencoder.channels", [8, 1_000_000]))
    refused(bundle, "config.autoencoder.channels")


def test_a_network_within_limits_but_unlike_the_weights_is_named(bundle):
    edit_manifest(bundle, set_field("config.autoencoder.hidden", 65))
    refused(bundle, "autoencoder.safetensors", "config.autoencoder")


def test_an_npy_header_claiming_terabytes_is_refused_without_allocating(bundle):
    write_npy_member(bundle, "mixture.npz", "means", npy_header((1 << 38, 16)))  # 32 TiB of float64
    refused(bundle, "mixture.npz", "means")


def test_nan_covariances_are_refused_and_never_printed(bundle, tmp_path, capsys):
    from drawing import draw_digit, save_png
    from latent.cli import main

    image = tmp_path / "seven.png"
    save_png(draw_digit("7"), image)
    edit_npz(bundle, "mixture.npz", lambda a: a["covariances"].__setitem__((0, 0, 0, 0), np.nan))
    refused(bundle, "mixture.npz", "covariances")
    for argv in (["classify", "--model", str(bundle), str(image)], ["evaluate", "--model", str(bundle)]):
        capsys.readouterr()
        assert main(argv) == 1
        out = capsys.readouterr()
        assert "nan" not in out.out.lower()
        assert out.err.count("\n") == 1 and out.err.startswith("error: ") and "covariances" in out.err


def test_a_covariance_that_is_not_positive_definite_is_refused(bundle):
    edit_npz(bundle, "single_mixture.npz", lambda a: a["covariances"].__setitem__(0, -np.eye(8)))
    refused(bundle, "single_mixture.npz", "not positive definite")


def test_weights_that_do_not_sum_to_one_are_refused(bundle):
    edit_npz(bundle, "mixture.npz", lambda a: a["weights"].__imul__(2))
    refused(bundle, "mixture.npz", "weights")


def test_map_codes_of_the_wrong_width_are_refused(bundle):
    edit_npz(bundle, "map.npz", lambda a: a.update(codes=a["codes"][:, :5]))
    refused(bundle, "map.npz", "codes")


def test_nan_or_negative_variance_weights_are_refused(bundle):
    edit_weights(bundle, lambda t: t["encoder.head.1.weight"].__setitem__((0, 0), float("nan")))
    refused(bundle, "autoencoder.safetensors", "encoder.head.1.weight")


def test_a_missing_calibration_section_is_named(bundle):
    edit_manifest(bundle, drop_field("calibration"))
    refused(bundle, "calibration")
    with pytest.raises(BundleError, match="calibration"):
        artifacts.load_manifest(bundle, verify=False)  # what the home page reads


def test_a_broken_combined_test_is_named(bundle):
    combined = read_manifest(bundle)["calibration"]["combined"]
    edit_manifest(bundle, set_field("calibration.combined.features", ["likelihood", "detector", "detector"]))
    refused(bundle, "calibration.combined.features", "twice")
    edit_manifest(bundle, set_field("calibration.combined", {**combined, "scale": [1.0, 0.0, 1.0]}))
    refused(bundle, "calibration.combined.scale[1]", "positive")
    edit_manifest(bundle, set_field("calibration.combined", {**combined, "weights": [1.0, "x", 1.0]}))
    refused(bundle, "calibration.combined.weights[1]", "finite number")


def test_broken_thresholds_for_filled_squares_are_named(bundle):
    edit_manifest(bundle, set_field("calibration.filled_square", {"thresholds": {"combined": "low"}}))
    refused(bundle, "calibration.filled_square.thresholds.combined", "finite number")
    edit_manifest(bundle, set_field("calibration.filled_square", {"thresholds": {"typicality": -1.0}}))
    refused(bundle, "calibration.filled_square.thresholds", "unknown test")
    edit_manifest(bundle, set_field("calibration.filled_square", {"thresholds": {"likelihood": -50.0}}))
    refused(bundle, "calibration.filled_square.thresholds", "unknown test", "likelihood")  # one threshold
    edit_manifest(bundle, set_field("calibration.filled_square", {"thresholds": {"combined": -1.0}, "images": -5}))
    refused(bundle, "calibration.filled_square.images", "whole number")


def test_a_detector_share_outside_zero_to_one_is_named(bundle):
    """`calibrate` retrains the detector with the bundle's stored settings: a drawn_share of 5 asked for
    more drawn images than half a batch holds (a negative sample count: a torch traceback)."""
    edit_manifest(bundle, set_field("config.detector.drawn_share", 5))
    refused(bundle, "config.detector.drawn_share")
    edit_manifest(bundle, set_field("config.detector.drawn_share", "half"))
    refused(bundle, "config.detector.drawn_share")


def test_a_rule_that_needs_the_detector_without_its_file_is_refused(bundle):
    """Was a KeyError traceback from `classify`: the combined score reads the detector's."""
    (bundle / "detector.safetensors").unlink()
    edit_manifest(bundle, lambda m: m["files"].pop("detector.safetensors"))
    refused(bundle, "calibration", "detector.safetensors")


def test_files_as_a_list_and_a_metric_as_text_are_named(bundle):
    edit_manifest(bundle, set_field("metrics.test_accuracy", "0.98"))
    with pytest.raises(BundleError, match=r"metrics\.test_accuracy"):
        artifacts.load_manifest(bundle, verify=False)
    edit_manifest(bundle, set_field("metrics.test_accuracy", 0.98))
    edit_manifest(bundle, lambda m: m.update(files=list(m["files"])))
    refused(bundle, "files")


def test_evaluation_commands_must_be_a_list_of_command_lines(bundle):
    edit_manifest(bundle, lambda m: m.setdefault("evaluation", {}).update(commands="python -m latent evaluate"))
    refused(bundle, "evaluation.commands")
    edit_manifest(bundle, set_field("evaluation.commands", ["python -m latent evaluate", 5]))
    refused(bundle, "evaluation.commands.1")
    edit_manifest(bundle, set_field("evaluation.commands", ["python -m latent evaluate", "ok"]))
    assert LatentModel.load(bundle).manifest["evaluation"]["commands"][1] == "ok"


def test_too_few_or_repeated_class_names_are_named(bundle):
    edit_manifest(bundle, lambda m: m["dataset"]["class_names"].pop())
    refused(bundle, "class")
    edit_manifest(bundle, lambda m: m["dataset"]["class_names"].append("9"))
    edit_manifest(bundle, set_field("dataset.class_names", [str(i) for i in range(9)] + ["0"]))
    refused(bundle, "dataset.class_names", "more than once")


def test_file_names_outside_the_bundle_are_refused_before_hashing(bundle, monkeypatch):
    hashed = []
    real = artifacts.sha256_file
    monkeypatch.setattr(artifacts, "sha256_file", lambda path: hashed.append(path) or real(path))
    digest = hashlib.sha256(b"").hexdigest()
    for name in ("../../../etc/passwd", "/etc/passwd", "sub/map.npz", ".hidden"):
        edit_manifest(bundle, lambda m, name=name: m["files"].update({name: {"sha256": digest, "bytes": 0}}))
        refused(bundle, "not a plain file name")
        edit_manifest(bundle, lambda m, name=name: m["files"].pop(name))
    assert not [p for p in hashed if "passwd" in str(p)]


def test_a_file_that_links_outside_the_bundle_is_refused(bundle, tmp_path):
    outside = tmp_path / "outside.npz"
    (bundle / "map.npz").rename(outside)
    (bundle / "map.npz").symlink_to(outside)
    rehash(bundle)
    refused(bundle, "map.npz", "outside the bundle")


def test_schema_version_as_text_gets_its_own_message(bundle):
    edit_manifest(bundle, set_field("schema_version", "1"))
    message = refused(bundle, "schema_version must be a whole number", "'1'")
    assert "newer" not in message


def test_errors_quote_bundle_text_on_one_line(bundle):
    edit_manifest(bundle, set_field("dataset.class_names", ["a\nb"] + [str(i) for i in range(1, 10)]))
    refused(bundle, r"'a\nb'")
    edit_manifest(bundle, set_field("dataset.class_names", [str(i) for i in range(10)]))
    edit_manifest(bundle, set_field("command", "python -m latent train\nrm -rf /"))
    with pytest.raises(BundleError) as info:
        LatentModel.load(bundle)
    assert "\n" not in str(info.value) and "field command" in str(info.value)


def test_cli_info_refuses_a_broken_bundle_in_one_line(bundle, capsys):
    from latent.cli import main

    edit_manifest(bundle, set_field("config.autoencoder.latent_dim", -5))
    assert main(["info", "--model", str(bundle)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "latent_dim" in err


def test_limits_live_in_one_place():
    from latent import schema
    from latent.inputs.preprocess import SIZE

    assert schema.LIMITS.image_size == SIZE
    assert schema.LIMITS.schema_version == artifacts.SCHEMA_VERSION
