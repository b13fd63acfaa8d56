"""A loaded model bundle: the autoencoder, the per-class mixtures and the map, used together.

`LatentModel.load(dir)` is what the CLI's `evaluate`/`classify` and every dashboard page start
from. It checks the bundle against its schema (`latent.schema`: manifest fields, sizes before
allocation, weight shapes against the config, array shapes, finite values, usable covariances) and
its hashes, rebuilds the autoencoder from the config in the manifest, runs every part once on inputs
the bundle itself defines, and gives the operations the product is made of: encode images, decode
latents, classify with a "none" answer, place points on the map. A bundle that fails any check is
one `BundleError` naming the file and the field; outputs are never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latent import artifacts, schema
from latent.bundle import width
from latent.bundle.projection import LatentMap
from latent.bundle.rejection import NoneRule
from latent.density.scorer import NONE, MixtureScorer, SingleMixtureScorer
from latent.errors import BundleError
from latent.inputs.catalog import dataset_info
from latent.schema import (
    AUTOENCODER_FILE,
    CALIBRATION_FILE,
    DETECTOR_FILE,
    MAP_FILE,
    MIXTURE_FILE,
    SINGLE_MIXTURE_FILE,
    SchemaError,
)

NONE_NAME = "none"
__all__ = [
    "LatentModel",
    "Classification",
    "AUTOENCODER_FILE",
    "MIXTURE_FILE",
    "SINGLE_MIXTURE_FILE",
    "MAP_FILE",
    "CALIBRATION_FILE",
    "DETECTOR_FILE",
]


def configure_torch_for_serving() -> None:
    """Set torch up as the dashboard's process runs a model: many small requests, each a few images.

    One thread per op: concurrent sessions already use the cores, and two intra-op threads on a busy
    2-core machine made one encode 10-30x slower (benchmarks/load_bench.py). And torch's own kernels,
    not oneDNN: Streamlit runs every rerun in a new thread, where oneDNN's first convolution costs
    several milliseconds more than the next (an encode ~12 ms instead of ~1.3), and torch's kernels read
    one image faster; they encode large batches more slowly, which the app rarely does
    (benchmarks/torch_kernels.py).
    Process-wide: call it in a process that serves, not in one that trains."""
    import torch

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False  # type: ignore[assignment]  # torch types it as its descriptor


@dataclass
class Classification:
    """Result of classifying n latents."""

    labels: np.ndarray  # (n,) class index, or NONE (-1) when rejected
    names: list[str]  # (n,) class name or "none"
    proba: np.ndarray  # (n, n_classes) p(class | z)
    max_log_likelihood: np.ndarray  # (n,) max_c log p(z | c), the score the threshold applies to
    reasons: list[str | None] | None = None  # (n,) why each "none" (None: answered); None when not asked
    scores: dict[str, np.ndarray] | None = None  # each "none" test's score, (n,) each (see latent.bundle.rejection)
    log_likelihoods: np.ndarray | None = None  # (n, n_classes) log p(z | c), kept so a caller need not recompute it
    narrowed: np.ndarray | None = None  # (n,) True where the input was read at its usual width (latent.bundle.width)


class LatentModel:
    def __init__(
        self,
        directory: Path,
        manifest: dict,
        autoencoder,
        mixture: MixtureScorer,
        single: SingleMixtureScorer,
        latent_map: LatentMap,
        map_data: dict,
        calibration: dict,
        detector=None,
    ):
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
        # Each "none" test's scores on the validation images (ascending), the thresholds' reference.
        self.val_scores = {
            test: np.sort(calibration[key])
            for test, key in (
                ("likelihood", "val_max_log_likelihood"),
                ("reconstruction", "val_log_reconstruction_error"),
                ("detector", "val_detector"),
                ("combined", "val_combined"),
            )
            if key in calibration
        }
        self.detector = detector  # latent.networks.detector.Detector, or None (bundles before it: likelihood only)
        self.rule = NoneRule.from_calibration(manifest["calibration"])
        self.temperature = float(manifest["calibration"].get("temperature", 1.0))
        # (above, typical): wide inputs are read at a typical width too (latent.bundle.width); None: never
        self.wide_reading = dataset_info(manifest["dataset"].get("name")).wide_reading

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, directory: str | Path) -> LatentModel:
        """Check and load a bundle (see the module docstring); BundleError names what is wrong."""
        directory = Path(directory)
        manifest = artifacts.load_manifest(directory, verify=True)  # the manifest schema, then sizes and hashes
        n_classes = len(manifest["dataset"]["class_names"])
        latent_dim = manifest["config"]["autoencoder"]["latent_dim"]

        def checked(name: str, check, *args) -> None:
            try:
                check(*args)
            except SchemaError as exc:
                raise artifacts.bundle_error(directory, manifest, name, exc) from None

        autoencoder = _load_autoencoder(directory, manifest, checked)
        arrays = {
            name: artifacts.read_npz(directory, manifest, name)
            for name in (MIXTURE_FILE, SINGLE_MIXTURE_FILE, MAP_FILE, CALIBRATION_FILE)
        }
        checked(MIXTURE_FILE, schema.check_mixture_arrays, arrays[MIXTURE_FILE], n_classes, latent_dim)
        checked(
            SINGLE_MIXTURE_FILE, schema.check_single_mixture_arrays, arrays[SINGLE_MIXTURE_FILE], n_classes, latent_dim
        )
        n_components = arrays[MIXTURE_FILE]["n_components"]
        checked(MAP_FILE, schema.check_map_arrays, arrays[MAP_FILE], n_classes, latent_dim, n_components)
        checked(CALIBRATION_FILE, schema.check_calibration_arrays, arrays[CALIBRATION_FILE])
        # The numpy-only scoring cores of the two estimators: loading a model never imports scikit-learn.
        mixture = MixtureScorer.from_arrays(arrays[MIXTURE_FILE])
        single = SingleMixtureScorer.from_arrays(arrays[SINGLE_MIXTURE_FILE])
        for name, scorer in ((MIXTURE_FILE, mixture), (SINGLE_MIXTURE_FILE, single)):
            if not np.all(np.isfinite(scorer.precisions_cholesky_)):
                raise artifacts.bundle_error(directory, manifest, name, "a covariance is too close to singular to use")
        map_data = arrays[MAP_FILE]
        latent_map = LatentMap(map_data["codes"], map_data["coords"])
        detector = _load_detector(directory, manifest, checked) if DETECTOR_FILE in manifest["files"] else None
        model = cls(
            directory, manifest, autoencoder, mixture, single, latent_map, map_data, arrays[CALIBRATION_FILE], detector
        )
        model.self_check()
        return model

    def self_check(self) -> None:
        """Run every part once on inputs the bundle itself defines (the component means, a blank and a
        full image): weights that are finite but overflow are refused at load time, not on a visitor's
        first drawing."""
        used = np.arange(self.mixture.weights_.shape[1])[None, :] < self.mixture.n_components_[:, None]
        Z = np.concatenate([self.mixture.means_[used], self.single.means_, self.map.codes[:8].astype(np.float64)])
        images = self.decode(Z)
        images = np.concatenate(
            [images, np.zeros((1, *images.shape[1:]), np.float32), np.ones((1, *images.shape[1:]), np.float32)]
        )
        self.classify(self.encode(images))

    def _broken(self, name: str, problem: str) -> BundleError:
        return artifacts.bundle_error(self.directory, self.manifest, name, problem)

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

    def label_name(self, label: int) -> str:
        return NONE_NAME if label == NONE else self.class_names[int(label)]

    # ------------------------------------------------------------------ operations

    def encode(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images (uint8, or float in [0, 1]) -> latents (n, d) float32."""
        from latent.networks.train import encode_images

        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        Z = encode_images(self.autoencoder, images)
        if not np.all(np.isfinite(Z)):
            raise self._broken(AUTOENCODER_FILE, "its encoder gives NaN or infinite codes")
        return Z

    def decode(self, Z: np.ndarray) -> np.ndarray:
        """Latents (n, d) -> images (n, 28, 28) float32 in [0, 1]."""
        from latent.networks.train import decode_codes

        images = decode_codes(self.autoencoder, Z)
        if not np.all(np.isfinite(images)):
            raise self._broken(AUTOENCODER_FILE, "its decoder gives NaN or infinite pixels")
        return images

    def classify(self, Z: np.ndarray, *, reject_below: float | None = None) -> Classification:
        """Classes for latents Z (n, d); rejected ("none") where max log-likelihood < reject_below.

        Probabilities are p(class | z) with the bundle's calibrated temperature (latent.density.calibration)."""
        from latent.density.calibration import tempered_proba

        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        ll = self.mixture.log_likelihoods(Z)  # one pass over Z: the probabilities come from ll
        proba = tempered_proba(ll, np.log(self.mixture.class_prior_), self.temperature)
        if not (np.all(np.isfinite(proba)) and np.all(ll < np.inf)):
            raise self._broken(MIXTURE_FILE, "its mixtures give no finite likelihood for these codes")
        labels = self.mixture.classes_[np.argmax(proba, axis=1)].astype(np.int64)
        best = ll.max(axis=1)
        if reject_below is not None:
            labels = np.where(best < reject_below, NONE, labels)
        return Classification(labels, [self.label_name(label) for label in labels], proba, best, log_likelihoods=ll)

    def classify_images(
        self,
        images: np.ndarray,
        *,
        reject_below: float | None = None,
        rule: NoneRule | None = None,
        Z: np.ndarray | None = None,
        reconstructions: np.ndarray | None = None,
    ) -> Classification:
        """Classes for (n, 28, 28) model inputs (their codes `Z` and decoded `reconstructions`, when already
        computed). With `rule` (e.g.
        `model.rule`), every "none" test of latent.bundle.rejection applies and each answer carries its reason
        and scores; else only the latent test with `reject_below` (None: never "none")."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        narrowed = None
        if Z is None:  # else the caller encoded the inputs as read (`as_read`)
            images, narrowed = self.as_read(images)
            Z = self.encode(images)
        if rule is None:
            result = self.classify(Z, reject_below=reject_below)
            result.narrowed = narrowed
            return result
        result = self.classify(Z)
        scores = {
            "likelihood": result.max_log_likelihood,
            "reconstruction": self.reconstruction_error(images, Z, reconstructions),
        }
        if self.detector is not None:
            scores["detector"] = self.detector.score(images)
        scores = rule.with_scores(scores)
        reasons = rule.reasons(scores)
        labels = np.array(
            [NONE if r else label for r, label in zip(reasons, result.labels, strict=True)], dtype=np.int64
        )
        return Classification(
            labels,
            [self.label_name(label) for label in labels],
            result.proba,
            result.max_log_likelihood,
            reasons,
            scores,
            result.log_likelihoods,
            narrowed,
        )

    def as_read(self, images: np.ndarray, stretched: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(n, 28, 28) inputs as the model reads them, and (n,) which of them were read narrower: an input
        drawn wider than the training digits, or (`stretched`, (n,) bool) a picture stretched to fill its
        box whatever its width now, is also read at their usual width, and the reading whose code is more
        likely wins (latent.bundle.width). Unchanged (the same array) when none is read again."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        narrowed = np.zeros(len(images), dtype=bool)
        if self.wide_reading is None:
            return images, narrowed
        above, typical = self.wide_reading
        again = np.zeros(len(images), dtype=bool)
        again[width.wide(images, above)] = True
        if stretched is not None:
            again |= np.asarray(stretched, dtype=bool)
        which = np.flatnonzero(again)
        if not len(which):
            return images, narrowed
        redrawn = np.stack([width.at_width(images[i], typical) for i in which])
        redrawn = np.round(redrawn * 255).astype(np.uint8) if images.dtype == np.uint8 else redrawn.astype(images.dtype)
        as_drawn = self.classify(self.encode(images[which])).max_log_likelihood
        better = self.classify(self.encode(redrawn)).max_log_likelihood > as_drawn
        out = images.copy()
        out[which[better]] = redrawn[better]
        narrowed[which[better]] = True
        return out, narrowed

    def reconstruction_error(
        self, images: np.ndarray, Z: np.ndarray | None = None, reconstructions: np.ndarray | None = None
    ) -> np.ndarray:
        """log mean squared error per pixel of decode(encode(x)), shape (n,): the "can it redraw it" score."""
        x = np.asarray(images)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        x = x.reshape(len(x), -1)
        if reconstructions is None:
            reconstructions = self.decode(self.encode(images) if Z is None else Z)
        rec = np.asarray(reconstructions, dtype=np.float32).reshape(len(x), -1)
        return np.log(((rec - x) ** 2).mean(axis=1).astype(np.float64) + 1e-8)

    def nearest_component(
        self, z: np.ndarray, log_likelihoods: np.ndarray | None = None
    ) -> tuple[int, int, np.ndarray]:
        """(class index, component, responsibilities within that class) of the component that best explains z.

        `log_likelihoods`: z's (n_classes,) class log-likelihoods when already computed (`classify` keeps them)."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        ll = self.mixture.log_likelihoods(z)[0] if log_likelihoods is None else np.asarray(log_likelihoods)
        c = int(np.argmax(ll))
        comp = self.mixture.component_log_likelihoods(z, c)[0]
        resp = np.exp(comp - np.max(comp))
        resp /= resp.sum()
        return c, int(np.argmax(comp)), resp[: self.mixture.n_components_[c]]

    def to_map(self, Z: np.ndarray) -> np.ndarray:
        """2-D map positions (n, 2) of latents."""
        return self.map.transform(Z)


def _load_autoencoder(directory: Path, manifest: dict, checked):
    """The autoencoder, after its config (manifest), its weight file's header and its values pass the schema."""
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig, state_shapes

    cfg = AutoencoderConfig.from_dict(manifest["config"]["autoencoder"])  # in range: checked with the manifest
    header = artifacts.safetensors_header(directory, manifest, AUTOENCODER_FILE)
    checked(AUTOENCODER_FILE, schema.check_weight_shapes, header, state_shapes(cfg))  # before allocating
    tensors = artifacts.read_safetensors(directory, manifest, AUTOENCODER_FILE)
    checked(AUTOENCODER_FILE, schema.check_weight_values, {k: v.numpy() for k, v in tensors.items()})
    autoencoder = Autoencoder(cfg)
    autoencoder.load_state_dict(tensors)
    return autoencoder.eval()


def _load_detector(directory: Path, manifest: dict, checked):
    """The "none" detector (latent.networks.detector), after its config, weight header and values pass the schema."""
    from latent.networks.detector import Detector, DetectorConfig, state_shapes

    cfg = DetectorConfig.from_dict(manifest["config"].get("detector", {}))
    header = artifacts.safetensors_header(directory, manifest, DETECTOR_FILE)
    checked(DETECTOR_FILE, schema.check_weight_shapes, header, state_shapes(cfg), "config.detector")
    tensors = artifacts.read_safetensors(directory, manifest, DETECTOR_FILE)
    checked(DETECTOR_FILE, schema.check_weight_values, {k: v.numpy() for k, v in tensors.items()})
    detector = Detector(cfg)
    detector.load_state_dict(tensors)
    return detector.eval()
