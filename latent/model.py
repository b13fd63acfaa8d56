"""A loaded model bundle: the autoencoder, the per-class mixtures and the map, used together.

`LatentModel.load(dir)` is what the CLI's `evaluate`/`classify`/`info` and every dashboard page
start from. It checks the bundle's hashes, rebuilds the autoencoder from the config in the manifest,
and gives the operations the product is made of: encode images, decode latents, classify with a
"none" answer, place points on the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import artifacts
from .errors import BundleError
from .mixture import NONE, ClassGaussianMixture
from .projection import LatentMap
from .single_mixture import SingleGaussianMixture

NONE_NAME = "none"

AUTOENCODER_FILE = "autoencoder.safetensors"
MIXTURE_FILE = "mixture.npz"
SINGLE_MIXTURE_FILE = "single_mixture.npz"
MAP_FILE = "map.npz"
CALIBRATION_FILE = "calibration.npz"


@dataclass
class Classification:
    """Result of classifying n latents."""

    labels: np.ndarray  # (n,) class index, or NONE (-1) when rejected
    names: list[str]  # (n,) class name or "none"
    proba: np.ndarray  # (n, n_classes) p(class | z)
    max_log_likelihood: np.ndarray  # (n,) max_c log p(z | c), the score the threshold applies to


class LatentModel:
    def __init__(self, directory: Path, manifest: dict, autoencoder, mixture: ClassGaussianMixture,
                 single: SingleGaussianMixture, latent_map: LatentMap, map_data: dict, calibration: dict):
        self.directory = directory
        self.manifest = manifest
        self.autoencoder = autoencoder
        self.mixture = mixture
        self.single = single
        self.map = latent_map
        self.map_labels = map_data["labels"].astype(np.int64)  # (n,) true class of each stored code
        self.ellipse_index = map_data["ellipse_index"]  # (m, 2): class index, component
        self.ellipse_centers = map_data["ellipse_centers"]  # (m, 2)
        self.ellipse_covariances = map_data["ellipse_covariances"]  # (m, 2, 2)
        self.val_max_log_likelihood = np.sort(calibration["val_max_log_likelihood"])  # ascending

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, directory: str | Path) -> "LatentModel":
        from .autoencoder import Autoencoder, AutoencoderConfig

        directory = Path(directory)
        manifest = artifacts.load_manifest(directory, verify=True)
        try:
            cfg = AutoencoderConfig.from_dict(manifest["config"]["autoencoder"])
            autoencoder = Autoencoder(cfg)
            autoencoder.load_state_dict(artifacts.read_safetensors(directory, manifest, AUTOENCODER_FILE))
            mixture = ClassGaussianMixture.from_arrays(artifacts.read_npz(directory, manifest, MIXTURE_FILE),
                                                       manifest["config"]["mixture"])
            single = SingleGaussianMixture.from_arrays(artifacts.read_npz(directory, manifest, SINGLE_MIXTURE_FILE))
            map_data = artifacts.read_npz(directory, manifest, MAP_FILE)
            calibration = artifacts.read_npz(directory, manifest, CALIBRATION_FILE)
            latent_map = LatentMap(map_data["codes"], map_data["coords"])
        except BundleError:
            raise
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            raise BundleError(f"{directory} is inconsistent ({type(exc).__name__}: {exc}); "
                              f"{artifacts.rebuild_hint(manifest, directory)}") from None
        autoencoder.eval()
        return cls(directory, manifest, autoencoder, mixture, single, latent_map, map_data, calibration)

    # ------------------------------------------------------------------ facts

    @property
    def name(self) -> str:
        return self.manifest.get("name", self.directory.name)

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest["dataset"]["class_names"])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def latent_dim(self) -> int:
        return int(self.mixture.n_features_in_)

    @property
    def metrics(self) -> dict:
        return self.manifest.get("metrics", {})

    @property
    def threshold(self) -> float:
        """Default "none" threshold on max_c log p(z | c), calibrated on the validation split."""
        return float(self.manifest["calibration"]["reject_below"])

    def rejection_rate(self, threshold: float) -> float:
        """Share of validation images that `threshold` would answer "none" for."""
        v = self.val_max_log_likelihood
        return float(np.searchsorted(v, threshold, side="left") / len(v))

    def threshold_for_rate(self, rate: float) -> float:
        return float(np.quantile(self.val_max_log_likelihood, rate))

    def label_name(self, label: int) -> str:
        return NONE_NAME if label == NONE else self.class_names[int(label)]

    # ------------------------------------------------------------------ operations

    def encode(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images (uint8, or float in [0, 1]) -> latents (n, d) float32."""
        from .train import encode_images

        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        return encode_images(self.autoencoder, images)

    def decode(self, Z: np.ndarray) -> np.ndarray:
        """Latents (n, d) -> images (n, 28, 28) float32 in [0, 1]."""
        import torch

        Z = np.atleast_2d(np.asarray(Z, dtype=np.float32))
        with torch.no_grad():
            return self.autoencoder.decode(torch.from_numpy(Z)).squeeze(1).numpy()

    def classify(self, Z: np.ndarray, *, reject_below: float | None = None) -> Classification:
        """Classes for latents Z (n, d); rejected ("none") where max log-likelihood < reject_below."""
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        ll = self.mixture.log_likelihoods(Z)
        proba = self.mixture.predict_proba(Z)
        labels = self.mixture.classes_[np.argmax(proba, axis=1)].astype(np.int64)
        best = ll.max(axis=1)
        if reject_below is not None:
            labels = np.where(best < reject_below, NONE, labels)
        return Classification(labels, [self.label_name(label) for label in labels], proba, best)

    def classify_images(self, images: np.ndarray, *, reject_below: float | None = None) -> Classification:
        return self.classify(self.encode(images), reject_below=reject_below)

    def nearest_component(self, z: np.ndarray) -> tuple[int, int, np.ndarray]:
        """(class index, component, responsibilities within that class) of the component that best explains z."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        c = int(np.argmax(self.mixture.log_likelihoods(z)[0]))
        comp = self.mixture.component_log_likelihoods(z, c)[0]
        resp = np.exp(comp - np.max(comp))
        resp /= resp.sum()
        return c, int(np.argmax(comp)), resp[: self.mixture.n_components_[c]]

    def to_map(self, Z: np.ndarray) -> np.ndarray:
        """2-D map positions (n, 2) of latents."""
        return self.map.transform(Z)
