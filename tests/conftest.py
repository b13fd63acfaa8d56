"""Shared fixtures: real small data, and one tiny trained bundle per test session."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """$LATENT_DATA_DIR when it holds MNIST (CI points it at ../shared/data), else None."""
    value = os.environ.get("LATENT_DATA_DIR")
    if value and (Path(value) / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        return Path(value)
    return None


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """Generated inputs are cached (latent.workflows.foreign.cache_dir); the suite keeps its own, not the user's."""
    os.environ["LATENT_CACHE_DIR"] = str(tmp_path_factory.mktemp("latent-cache"))


@pytest.fixture(scope="session")
def digits():
    from latent.inputs.data import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory, digits) -> Path:
    """A bundle trained end to end on scikit-learn's digits in a few seconds (UMAP included)."""
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.detector import DetectorConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, MixtureConfig, PipelineConfig, train_bundle

    out = tmp_path_factory.mktemp("bundles") / "digits"
    cfg = PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(latent_dim=8, channels=(8, 16), hidden=64),
        training=TrainConfig(epochs=30, batch_size=32, lr=3e-3, seed=0),
        mixture=MixtureConfig(n_components=2),
        map=MapConfig(n_points=300, n_neighbors=10),
        # a small "none" detector: a few generated inputs per kind, enough to have every test in the bundle
        detector=DetectorConfig(channels=(8, 16), hidden=32, epochs=2, n_per_kind=80, n_varied=60, n_cal=40),
    )
    train_bundle(cfg, out, dataset=digits, command="python -m latent train --dataset digits (test fixture)")
    return out


def blobs(n_per_class: int = 200, dim: int = 2, seed: int = 0, spread: float = 8.0):
    """Three well separated Gaussian classes; returns Z, y, and the true centres."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0] * dim, [spread] + [0.0] * (dim - 1), [0.0, spread] + [0.0] * (dim - 2)])
    Z = np.concatenate([rng.normal(c, 1.0, (n_per_class, dim)) for c in centers])
    y = np.repeat(np.arange(3), n_per_class)
    return Z, y, centers
