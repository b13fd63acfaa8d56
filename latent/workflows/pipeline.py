"""The whole two-stage method, end to end: data -> autoencoder -> per-class mixtures -> map -> bundle.

`train_bundle` is what `python -m latent train` runs; `evaluate_bundle` is what `evaluate` runs.
Each stage reports through a `log` function (one line per stage or epoch), so the CLI shows
progress and tests can stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from latent import artifacts, outputs
from latent.bundle.model import (
    AUTOENCODER_FILE,
    CALIBRATION_FILE,
    DETECTOR_FILE,
    MAP_FILE,
    MIXTURE_FILE,
    SINGLE_MIXTURE_FILE,
    LatentModel,
)
from latent.errors import ConfigError, LatentError
from latent.inputs.data import Dataset, load_dataset, source_folders
from latent.networks.autoencoder import AutoencoderConfig
from latent.networks.detector import DetectorConfig
from latent.networks.train import TrainConfig, decode_codes
from latent.workflows.filled_squares import set_filled_square_thresholds
from latent.workflows.stage import MixtureConfig, train_stage

# The original write-up's test accuracies, shown beside ours in README and the report page.
WRITEUP_TEST_ACCURACY = {"mnist": 0.9766, "fashion-mnist": 0.8538}


@dataclass
class MapConfig:
    n_points: int = 10000  # test codes stored with the bundle and laid out by UMAP
    n_neighbors: int = 15  # UMAP's n_neighbors
    min_dist: float = 0.1  # UMAP's min_dist


@dataclass
class PipelineConfig:
    dataset: str = "mnist"
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
    mixture: MixtureConfig = field(default_factory=MixtureConfig)
    map: MapConfig = field(default_factory=MapConfig)
    reject_rate: float = 0.005  # share of validation images the latent "none" test (likelihood) refuses
    # The "none" answer's outlier-exposure check (latent.networks.detector), trained where the dataset's record
    # (latent.inputs.catalog) lists foreign kinds; None: the likelihood and reconstruction tests only.
    detector: DetectorConfig | None = field(default_factory=DetectorConfig)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["autoencoder"] = self.autoencoder.to_dict()
        if self.detector is not None:
            d["detector"] = self.detector.to_dict()
        else:  # no detector: no field (a bundle's manifest has the field only when it has the file)
            d.pop("detector")
        return d


def _quiet(_: str) -> None:
    pass


def train_bundle(
    cfg: PipelineConfig,
    out: str | Path,
    *,
    data_dir=None,
    command: str | None = None,
    log: Callable[[str], None] = _quiet,
    progress: bool = False,
    dataset: Dataset | None = None,
) -> dict:
    """Run the whole pipeline and write a bundle to `out`. Returns the manifest.

    `out` is checked first (see latent/outputs.py: only an absent or empty folder, or a bundle this
    tool wrote, is replaced) and the new bundle is moved in whole once it is written.
    """
    from safetensors.torch import save_file

    from latent.bundle.projection import LatentMap, component_ellipses, fit_umap
    from latent.density.single_mixture import SingleGaussianMixture
    from latent.inputs.catalog import dataset_info
    from latent.networks.train import reconstruction_mse
    from latent.workflows.foreign import fit_none_rule

    started = time.time()
    out = Path(out)
    guard = output_guard(cfg.dataset, source_folders(cfg.dataset, data_dir) if dataset is None else [])
    outputs.check_bundle_target(out, **guard)  # before anything else: a refusal takes a second
    for old in outputs.leftovers(out):
        log(f"      note: {old} looks like what an interrupted run left; delete it if no other run is writing")
    log(f"[1/6] loading {cfg.dataset}")
    ds = dataset if dataset is not None else load_dataset(cfg.dataset, data_dir, progress=progress)
    log(
        f"      {len(ds.x_train)} train / {len(ds.x_val)} validation / {len(ds.x_test)} test images, "
        f"{ds.n_classes} classes, from {ds.source}"
    )
    if Path(ds.source).is_dir():  # where the data was actually found
        guard = output_guard(cfg.dataset, [*guard["contains"], Path(ds.source)])
        outputs.check_bundle_target(out, **guard)
    check_class_sizes(ds, cfg.mixture.n_components)

    log(f"[2/6] training the autoencoder (latent size {cfg.autoencoder.latent_dim}, {cfg.training.epochs} epochs)")

    def on_epoch(r: dict) -> None:
        log(
            f"      epoch {r['epoch']:>2}/{cfg.training.epochs}  train loss {r['train_loss']:.4f}  "
            f"val loss {r['val_loss']:.4f}  val mse {r['val_mse']:.4f}  {r['seconds']:.0f}s"
        )

    stage = train_stage(
        ds,
        cfg.autoencoder,
        cfg.training,
        cfg.mixture,
        on_epoch=on_epoch,
        before_mixtures=lambda: log("[3/6] encoding and fitting one Gaussian mixture per class"),
        progress=progress,
    )
    model, history, mixture = stage.autoencoder, stage.history, stage.mixture
    z_train, z_val, z_test = stage.z_train, stage.z_val, stage.z_test
    mc = cfg.mixture
    single = SingleGaussianMixture(
        covariance_type=mc.covariance_type, reg_covar=mc.reg_covar, random_state=cfg.training.seed
    ).fit(z_train, ds.y_train)

    info = dataset_info(cfg.dataset)
    log(
        "[4/6] the 'none' answer: "
        + (
            "training its detector on generated foreign inputs, then "
            if cfg.detector is not None and info.foreign
            else ""
        )
        + "calibrating its tests on the validation split"
    )
    none_rule = fit_none_rule(
        model,
        mixture,
        info,
        ds.x_train,
        ds.y_train,
        ds.x_val,
        ds.y_val,
        augment_cfg=cfg.training.augment if cfg.training.denoise else None,
        detector_cfg=cfg.detector,
        rates={"likelihood": cfg.reject_rate},
        log=log,
        progress=progress,
    )

    n_map = min(cfg.map.n_points, len(z_test))
    log(f"[5/6] laying out {n_map} test codes with UMAP (the first run in a process compiles numba: ~1 min)")
    pick = np.sort(np.random.default_rng(cfg.training.seed).choice(len(z_test), n_map, replace=False))
    coords = fit_umap(
        z_test[pick], n_neighbors=cfg.map.n_neighbors, min_dist=cfg.map.min_dist, random_state=cfg.training.seed
    )
    # Stored codes are float16 (half the bytes of a 64-d map, well inside the shipped 10 MB); the map,
    # its ellipses and every later placement use exactly those stored values.
    map_codes = z_test[pick].astype(np.float16)
    latent_map = LatentMap(map_codes, coords)
    ell_index, ell_centers, ell_covs = component_ellipses(mixture, latent_map, random_state=cfg.training.seed)

    log("[6/6] evaluating and writing the bundle")
    metrics = compute_metrics(mixture, single, ds, z_train, z_val, z_test)
    metrics["test_reconstruction_mse"] = reconstruction_mse(model, ds.x_test)
    metrics["val_reconstruction_mse"] = reconstruction_mse(model, ds.x_val)
    metrics["writeup_test_accuracy"] = WRITEUP_TEST_ACCURACY.get(cfg.dataset)
    metrics.update(calibration_metrics(mixture, z_test, ds.y_test, none_rule.calibration["temperature"]))
    metrics["train_seconds"] = round(time.time() - started, 1)

    tmp = outputs.staging_folder(out)
    try:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / AUTOENCODER_FILE))
        artifacts.write_npz(tmp / MIXTURE_FILE, mixture.to_arrays())
        artifacts.write_npz(tmp / SINGLE_MIXTURE_FILE, single.to_arrays())
        artifacts.write_npz(
            tmp / MAP_FILE,
            {
                "codes": map_codes,
                "coords": coords.astype(np.float32),
                "labels": ds.y_test[pick].astype(np.int16),
                "test_index": pick.astype(np.int32),
                "ellipse_index": ell_index,
                "ellipse_centers": ell_centers,
                "ellipse_covariances": ell_covs,
            },
        )
        artifacts.write_npz(tmp / CALIBRATION_FILE, none_rule.arrays)
        if none_rule.detector is not None:
            save_file({k: v.contiguous() for k, v in none_rule.detector.state_dict().items()}, str(tmp / DETECTOR_FILE))
        write_map_inverse(tmp, latent_map, mixture, decode=lambda z: decode_codes(model, z))
        manifest = artifacts.write_manifest(
            tmp,
            {
                "name": out.name,
                "dataset": {
                    "name": cfg.dataset,
                    "class_names": ds.class_names,
                    "source": ds.source,
                    "n_train": int(len(ds.x_train)),
                    "n_val": int(len(ds.x_val)),
                    "n_test": int(len(ds.x_test)),
                },
                "config": {**cfg.to_dict(), "mixture": mixture_params(mixture)},
                "calibration": {
                    **none_rule.calibration,
                    "val_rejection_rate": cfg.reject_rate,
                    "score": "max over classes of log p(z | class)",
                },
                "metrics": metrics,
                "history": history,
                "command": command or artifacts.current_command(),
            },
        )
        if set_filled_square_thresholds(tmp, ds.x_val, log):  # read from the whole staged bundle, before it moves in
            manifest = artifacts.load_manifest(tmp)
        tmp.chmod(0o755)  # mkdtemp and safetensors create owner-only entries; a bundle is for everyone to read
        for path in tmp.iterdir():
            path.chmod(0o644)
        outputs.swap_in(tmp, out, **guard, log=log)
    except BaseException:
        outputs.discard(tmp)  # this run's staging folder (gone already once it has been moved in)
        raise
    log(
        f"      test accuracy {metrics['test_accuracy']:.4f}, reconstruction mse "
        f"{metrics['test_reconstruction_mse']:.4f}; wrote {out} in {metrics['train_seconds']:.0f}s"
    )
    return manifest


def output_guard(dataset: str, folders: list[Path]) -> dict:
    """What the output must stay clear of: the data folders, and for a folder dataset also their inside."""
    return {"kind": "bundle", "contains": folders, "inside": folders if dataset.startswith("folder:") else []}


def check_class_sizes(ds: Dataset, n_components) -> None:
    """Every class needs as many training images as mixture components: refused before training, not after."""
    need = n_components if isinstance(n_components, int) else 1
    counts = np.bincount(ds.y_train, minlength=ds.n_classes)
    for c in np.flatnonzero(counts < need):
        raise ConfigError(
            f"class {ds.class_names[c]!r} of {ds.name} has {counts[c]} training images, fewer than "
            f"the {need} mixture components asked for; use --components {max(1, int(counts.min()))} "
            f"or give it more images"
        )


def write_map_inverse(directory: Path, latent_map, mixture, *, decode=None) -> None:
    """The map's inverse and density grid (`latent.bundle.map_inverse`): click anywhere on the map -> a code;
    with `decode`, the hover thumbnails of its points."""
    from latent.bundle.map_inverse import build_arrays
    from latent.schema import MAP_INVERSE_FILE

    arrays = build_arrays(latent_map.coords, latent_map.codes, mixture, decode=decode)
    artifacts.write_npz(directory / MAP_INVERSE_FILE, arrays)


def mixture_params(mixture) -> dict:
    """The estimator's constructor arguments, as JSON."""
    return {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in mixture.get_params().items()}


def compute_metrics(mixture, single, ds: Dataset, z_train, z_val, z_test) -> dict:
    """The write-up's table and more: accuracy per split, per class, the single-mixture baseline."""
    pred_test = mixture.predict(z_test)
    n = ds.n_classes
    confusion = np.zeros((n, n), dtype=int)
    np.add.at(confusion, (ds.y_test, pred_test), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "train_accuracy": float(np.mean(mixture.predict(z_train) == ds.y_train)),
        "val_accuracy": float(np.mean(mixture.predict(z_val) == ds.y_val)),
        "test_accuracy": float(np.mean(pred_test == ds.y_test)),
        "single_mixture_train_accuracy": float(np.mean(single.predict(z_train) == ds.y_train)),
        "single_mixture_test_accuracy": float(np.mean(single.predict(z_test) == ds.y_test)),
        "per_class_test_accuracy": {name: float(a) for name, a in zip(ds.class_names, per_class, strict=True)},
        "confusion_matrix": confusion.tolist(),
        "test_mean_log_likelihood": float(np.mean(mixture.score_samples(z_test))),
    }


def calibration_metrics(mixture, z_test, y_test, temperature: float) -> dict:
    """Expected calibration error on the test split before and after the temperature (latent.density.calibration)."""
    from latent.density.calibration import reliability, tempered_proba

    ll, log_prior = mixture.log_likelihoods(z_test), np.log(mixture.class_prior_)
    y = np.searchsorted(mixture.classes_, y_test)
    before, after = (reliability(tempered_proba(ll, log_prior, t), y) for t in (1.0, temperature))
    curve = {
        name: {"confidence": r.confidence.tolist(), "accuracy": r.accuracy.tolist(), "count": r.count.tolist()}
        for name, r in (("uncalibrated", before), ("calibrated", after))
    }
    return {
        "temperature": float(temperature),
        "test_ece_uncalibrated": before.ece,
        "test_ece": after.ece,
        "test_reliability": curve,
    }


def evaluate_bundle(model: LatentModel, dataset: Dataset, log: Callable[[str], None] = _quiet) -> dict:
    """Recompute the metrics of a loaded bundle on a dataset's train/validation/test splits."""
    from latent.networks.train import reconstruction_mse

    if dataset.class_names != model.class_names:
        raise LatentError(
            f"dataset {dataset.name} has classes {dataset.class_names}, "
            f"but model {model.name} was trained on {model.class_names}"
        )
    log(f"encoding {len(dataset.x_train)} train, {len(dataset.x_val)} validation, {len(dataset.x_test)} test images")
    z_train, z_val, z_test = (model.encode(x) for x in (dataset.x_train, dataset.x_val, dataset.x_test))
    log("classifying")
    metrics = compute_metrics(model.mixture, model.single, dataset, z_train, z_val, z_test)
    metrics["test_reconstruction_mse"] = reconstruction_mse(model.autoencoder, dataset.x_test)
    rejected = model.classify_images(dataset.x_test, rule=model.rule).labels < 0
    metrics["test_rejection_rate"] = float(rejected.mean())
    metrics.update(calibration_metrics(model.mixture, z_test, dataset.y_test, model.temperature))
    metrics["writeup_test_accuracy"] = WRITEUP_TEST_ACCURACY.get(dataset.name)
    return metrics


def calibrate_bundle(
    directory: str | Path,
    *,
    data_dir=None,
    detector_cfg: DetectorConfig | None = None,
    rates: dict | None = None,
    command: str | None = None,
    log: Callable[[str], None] = _quiet,
    progress: bool = False,
) -> dict:
    """Fit the "none" answer (detector, thresholds, temperature) of an existing bundle, as `train` does in
    its stage 4, without retraining its autoencoder or mixtures; the bundle gets the new detector and
    calibration files and a manifest that records them. Returns the new manifest.

    The bundle is replaced as `train` replaces one (latent/outputs.py): only a bundle holding nothing
    its manifest does not list, rewritten in a hidden sibling and moved in whole."""
    import shutil

    from safetensors.torch import save_file

    from latent.inputs.catalog import dataset_info
    from latent.workflows.foreign import augment_of, fit_none_rule

    directory = Path(directory)
    outputs.check_bundle_target(directory, kind="bundle")
    model = LatentModel.load(directory)
    name = model.manifest["dataset"]["name"]
    ds = load_dataset(name, data_dir, progress=progress)
    if ds.class_names != model.class_names:
        raise LatentError(
            f"dataset {name} has classes {ds.class_names}, but {directory} was trained on {model.class_names}"
        )
    if detector_cfg is None:  # the bundle's own recipe when it has one: calibrating again reproduces it
        stored = model.manifest["config"].get("detector")
        detector_cfg = DetectorConfig.from_dict(stored) if stored else DetectorConfig()
    rates = {"likelihood": model.manifest["calibration"].get("val_rejection_rate", 0.005), **(rates or {})}
    log(f"fitting the 'none' answer of {directory} on {name}")
    fit = fit_none_rule(
        model.autoencoder,
        model.mixture,
        dataset_info(name),
        ds.x_train,
        ds.y_train,
        ds.x_val,
        ds.y_val,
        augment_cfg=augment_of(model.manifest),
        detector_cfg=detector_cfg,
        rates=rates,
        log=log,
        progress=progress,
    )
    staged = outputs.staging_folder(directory)
    try:
        for file in model.manifest["files"]:
            if file not in (CALIBRATION_FILE, DETECTOR_FILE):
                shutil.copy2(directory / file, staged / file)
        artifacts.write_npz(staged / CALIBRATION_FILE, fit.arrays)
        if fit.detector is not None:
            save_file({k: v.contiguous() for k, v in fit.detector.state_dict().items()}, str(staged / DETECTOR_FILE))
        manifest = dict(model.manifest)
        manifest.pop("files", None)
        manifest["config"] = {**manifest["config"], "detector": detector_cfg.to_dict()}
        manifest["calibration"] = {
            **fit.calibration,
            "val_rejection_rate": rates["likelihood"],
            "score": "max over classes of log p(z | class)",
            "command": command or artifacts.current_command(),
            "calibrated": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        z_test = model.encode(ds.x_test)
        manifest["metrics"] = {
            **manifest.get("metrics", {}),
            **calibration_metrics(model.mixture, z_test, ds.y_test, fit.calibration["temperature"]),
        }
        manifest = artifacts.write_manifest(staged, manifest)
        if set_filled_square_thresholds(staged, ds.x_val, log):  # read from the whole staged bundle
            manifest = artifacts.load_manifest(staged)
        staged.chmod(0o755)
        for path in staged.iterdir():
            path.chmod(0o644)
        outputs.swap_in(staged, directory, kind="bundle", log=log)
    except BaseException:
        outputs.discard(staged)
        raise
    return manifest
