"""Model bundles: what they hold, that they round-trip, and that tampering is caught."""

import json
import shutil

import numpy as np
import pytest

from latent import artifacts
from latent.bundle.model import LatentModel
from latent.errors import BundleError


@pytest.fixture()
def bundle_copy(tiny_bundle, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(tiny_bundle, target)
    return target


def test_manifest_records_everything(tiny_bundle):
    manifest = json.loads((tiny_bundle / "manifest.json").read_text())
    assert manifest["schema_version"] == artifacts.SCHEMA_VERSION
    assert manifest["dataset"]["name"] == "digits" and manifest["dataset"]["class_names"][3] == "3"
    assert manifest["config"]["autoencoder"]["latent_dim"] == 8
    assert manifest["config"]["mixture"]["n_components"] == 2
    assert {"torch", "numpy", "scikit-learn"} <= set(manifest["versions"])
    assert manifest["command"].startswith("python -m latent train")
    for key in ("train_accuracy", "test_accuracy", "test_reconstruction_mse", "single_mixture_test_accuracy"):
        assert 0 <= manifest["metrics"][key] <= 1, key
    files = {p.name for p in tiny_bundle.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    for name, info in manifest["files"].items():
        assert info["sha256"] == artifacts.sha256_file(tiny_bundle / name)
    assert not [p for p in tiny_bundle.iterdir() if p.suffix in (".pkl", ".pt", ".pth", ".joblib")]


def test_loaded_model_reproduces_its_metrics(tiny_bundle, digits):
    model = LatentModel.load(tiny_bundle)
    pred = model.classify(model.encode(digits.x_test)).labels
    assert np.mean(pred == digits.y_test) == pytest.approx(model.metrics["test_accuracy"])
    # The map reproduces the stored coordinates for the stored codes (exact placement).
    np.testing.assert_allclose(model.to_map(model.map.codes[:50]), model.map.coords[:50], atol=1e-5)
    assert len(model.ellipse_centers) == int(model.mixture.n_components_.sum())


def test_tampered_file_is_named_with_rebuild_command(bundle_copy):
    path = bundle_copy / "mixture.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        BundleError, match=r"mixture\.npz does not match its SHA-256.*rebuild it with: python -m latent train"
    ):
        LatentModel.load(bundle_copy)


def test_missing_file_and_manifest(bundle_copy):
    (bundle_copy / "autoencoder.safetensors").unlink()
    with pytest.raises(BundleError, match=r"autoencoder\.safetensors is missing"):
        LatentModel.load(bundle_copy)
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(BundleError, match=r"manifest\.json is missing"):
        LatentModel.load(bundle_copy)
    with pytest.raises(BundleError, match="does not exist"):
        LatentModel.load(bundle_copy / "nope")


def test_newer_schema_and_broken_json_are_refused(bundle_copy):
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["schema_version"] = artifacts.SCHEMA_VERSION + 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="newer than this code"):
        LatentModel.load(bundle_copy)
    path.write_text("{ not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        LatentModel.load(bundle_copy)


def test_pickled_arrays_are_never_loaded(bundle_copy):
    """An npz holding an object array (which needs pickle) is refused even with valid hashes."""
    path = bundle_copy / "calibration.npz"
    np.savez(path, val_max_log_likelihood=np.array([{"evil": 1}], dtype=object))
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    manifest["files"]["calibration.npz"]["sha256"] = artifacts.sha256_file(path)
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=r"calibration\.npz cannot be read"):
        LatentModel.load(bundle_copy)
