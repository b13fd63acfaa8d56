"""What a valid model bundle holds, checked before anything in it is used.

A bundle comes from elsewhere (a colleague, a download), and its SHA-256 hashes only prove that the
files are the ones its manifest lists, not that the manifest is sane. So every field the code reads
is checked here: types, ranges that keep memory bounded (checked *before* a network or an array is
allocated), file names that stay inside the bundle, array shapes that agree with the config and with
each other, finite values, usable covariances. A failure raises `SchemaError` naming the field; the
loaders (`latent.artifacts`, `latent.bundle.model`) turn it into one `BundleError` that names the file and
the command that rebuilds the bundle.

Every bound is in `LIMITS`, in one place. This module imports numpy only (the home page reads a
manifest without torch); the weight checks take the tensors as numpy arrays.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, TypeGuard, overload

import numpy as np

MANIFEST = "manifest.json"
AUTOENCODER_FILE = "autoencoder.safetensors"
MIXTURE_FILE = "mixture.npz"
SINGLE_MIXTURE_FILE = "single_mixture.npz"
MAP_FILE = "map.npz"
CALIBRATION_FILE = "calibration.npz"
MAP_INVERSE_FILE = "map_inverse.npz"  # optional: bundles from before it lack it (latent.bundle.map_inverse)
MODEL_FILES = (AUTOENCODER_FILE, MIXTURE_FILE, SINGLE_MIXTURE_FILE, MAP_FILE, CALIBRATION_FILE)
DETECTOR_FILE = "detector.safetensors"  # optional: the "none" answer's outlier-exposure check


class SchemaError(ValueError):
    """One field of a bundle is wrong; the message names the field (the loader adds file and remedy)."""


@dataclass(frozen=True)
class Limits:
    """The bounds a bundle must stay within. Generous for any model this tool trains (the shipped
    ones use latent 16-80, hidden 256-384, channels 32/64, 10 classes x 6 components, 10 000 map
    points, weights below 25), tight enough that a hostile manifest cannot make the loader allocate
    gigabytes or run for minutes."""

    schema_version: int = 1  # newest manifest layout this code reads
    latent_dim: int = 1024
    channels: int = 1024  # per convolution
    hidden: int = 8192
    image_size: int = 28  # the only input side the readers produce (latent.inputs.preprocess.SIZE)
    parameters: int = 50_000_000  # autoencoder weights (200 MB as float32)
    weight_abs: float = 1e4  # largest |weight| accepted; trained ones stay below ~100
    classes: int = 1000
    components: int = 100  # per class mixture, and in the single mixture
    map_points: int = 50_000  # stored codes: placing a walk costs (points x map_points) floats
    map_grid: int = 512  # cells per side of the map's density grid (a 96 x 96 grid is shipped)
    log_likelihood_abs: float = 1e6  # calibration scores and the threshold
    temperature: tuple[float, float] = (0.01, 1e4)  # the class probabilities' temperature
    sum_tolerance: float = 1e-4  # mixture weights, priors and p(class | component) sum to 1
    symmetry_tolerance: float = 1e-6  # relative, for covariance matrices
    text_chars: int = 200  # a name, a class name
    long_text_chars: int = 4096  # a command, a path
    files: int = 64  # entries in the manifest's file list
    file_bytes: int = 1 << 30  # any one bundle file on disk
    npz_members: int = 64  # arrays in one npz file
    npz_bytes: int = 512 << 20  # all arrays of one npz file, uncompressed
    history_epochs: int = 10_000
    evaluation_commands: int = 50  # evaluate commands named behind the stored figures


LIMITS = Limits()

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def show(value, limit: int = 40) -> str:
    """A short, one-line repr of a value for an error message (never the whole of a huge one)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- scalar fields


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@overload
def section(d: dict, key: str, where: str, *, required: Literal[True] = True) -> dict: ...
@overload
def section(d: dict, key: str, where: str, *, required: bool) -> dict | None: ...
def section(d: dict, key: str, where: str, *, required: bool = True) -> dict | None:
    """d[key] as a dict (None when absent and optional)."""
    if key not in d:
        if required:
            raise SchemaError(f"field {where}{key} is missing")
        return None
    value = d[key]
    if not isinstance(value, dict):
        raise SchemaError(f"field {where}{key} must be an object (a dict), got {show(value)}")
    return value


def integer(d: dict, key: str, where: str, lo: int, hi: int | None = None, *, required: bool = True) -> int | None:
    if key not in d and not required:
        return None
    value = d.get(key)
    if not _is_int(value) or value < lo or (hi is not None and value > hi):
        span = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        raise SchemaError(
            f"field {where}{key} must be a whole number {span}, got {show(value) if key in d else 'nothing'}"
        )
    return value


def number(
    d: dict,
    key: str,
    where: str,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    required: bool = True,
    allow_none: bool = False,
) -> float | None:
    if key not in d and not required:
        return None
    value = d.get(key)
    if value is None and allow_none and key in d:
        return None
    if not _is_number(value) or not lo <= value <= hi:
        span = "" if (lo, hi) == (-math.inf, math.inf) else f" from {lo:g} to {hi:g}"
        raise SchemaError(
            f"field {where}{key} must be a finite number{span}, got {show(value) if key in d else 'nothing'}"
        )
    return value


def text(
    d: dict,
    key: str,
    where: str,
    *,
    max_chars: int = LIMITS.text_chars,
    required: bool = True,
    allow_empty: bool = True,
) -> str | None:
    """A one-line string (no control characters: an error message that quotes it stays one line)."""
    if key not in d and not required:
        return None
    value = d.get(key)
    if not isinstance(value, str):
        raise SchemaError(f"field {where}{key} must be text, got {show(value) if key in d else 'nothing'}")
    check_text(value, f"{where}{key}", max_chars=max_chars, allow_empty=allow_empty)
    return value


def check_text(value: str, field: str, *, max_chars: int = LIMITS.text_chars, allow_empty: bool = True) -> None:
    if len(value) > max_chars:
        raise SchemaError(f"field {field} is {len(value)} characters long, more than {max_chars}")
    if _CONTROL.search(value):
        raise SchemaError(f"field {field} holds a control character (a newline, a tab…): {show(value)}")
    if not value.strip() and not allow_empty:
        raise SchemaError(f"field {field} is empty")


def choice(d: dict, key: str, where: str, options, *, required: bool = True):
    if key not in d and not required:
        return None
    value = d.get(key)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or value not in options:
        raise SchemaError(
            f"field {where}{key} must be one of {', '.join(map(str, options))}; got "
            f"{show(value) if key in d else 'nothing'}"
        )
    return value


# --------------------------------------------------------------------------- the manifest


def check_schema_version(manifest: dict) -> int:
    """The layout version: a whole number this code knows (newer ones get their own message)."""
    if "schema_version" not in manifest:
        raise SchemaError("field schema_version is missing: this is not a Latent Explorer manifest")
    version = manifest["schema_version"]
    if not _is_int(version):
        raise SchemaError(
            f"field schema_version must be a whole number (like {LIMITS.schema_version}), got {show(version)}"
        )
    if version > LIMITS.schema_version:
        raise SchemaError(
            f"schema version {version} is newer than this code understands ({LIMITS.schema_version}): "
            "update Latent Explorer"
        )
    if version < 1:
        raise SchemaError(f"field schema_version must be from 1 to {LIMITS.schema_version}, got {version}")
    return version


def check_file_name(name) -> None:
    """A plain file name inside the bundle: no folder part, no '..', not hidden, not the manifest."""
    if not isinstance(name, str) or not name or len(name) > LIMITS.text_chars:
        raise SchemaError(f"file name {show(name)} is not a plain file name")
    if "/" in name or "\\" in name or name.startswith(".") or _CONTROL.search(name) or ":" in name or name == MANIFEST:
        raise SchemaError(f"file name {show(name)} is not a plain file name inside the bundle")


def check_files(manifest: dict) -> dict:
    """`files`: {plain name: {"sha256": 64 hex digits, "bytes": size}}."""
    files = section(manifest, "files", "")
    if len(files) > LIMITS.files:
        raise SchemaError(f"field files lists {len(files)} files, more than {LIMITS.files}")
    for name, info in files.items():
        check_file_name(name)
        where = f"files[{name!r}]."
        if not isinstance(info, dict):
            raise SchemaError(f"field files[{name!r}] must be an object with sha256 and bytes, got {show(info)}")
        if not isinstance(info.get("sha256"), str) or not _SHA256.fullmatch(info["sha256"]):
            raise SchemaError(f"field {where}sha256 must be 64 hexadecimal digits, got {show(info.get('sha256'))}")
        integer(info, "bytes", where, 0, LIMITS.file_bytes)
    return files


def check_manifest(manifest) -> dict:
    """What every bundle's manifest shares (models and judges): a known version and a sane file list."""
    if not isinstance(manifest, dict):
        raise SchemaError(f"not a Latent Explorer manifest (a JSON object): got {show(manifest)}")
    check_schema_version(manifest)
    check_files(manifest)
    return manifest


def check_model_manifest(manifest) -> dict:
    """Everything of a model bundle's manifest that the CLI and the dashboard read."""
    check_manifest(manifest)
    if manifest.get("kind", "model") != "model":
        raise SchemaError(f"this is a {show(manifest.get('kind'))} bundle, not a model bundle")
    for name in MODEL_FILES:
        if name not in manifest["files"]:
            raise SchemaError(f"field files does not list {name}")
    text(manifest, "name", "", required=False)
    for key in ("command", "created"):
        text(manifest, key, "", max_chars=LIMITS.long_text_chars, required=False)
    n_classes = check_dataset(section(manifest, "dataset", ""))
    check_config(section(manifest, "config", ""))
    calibration = section(manifest, "calibration", "")
    check_calibration(calibration)
    uses_detector = calibration.get("detector_below") is not None or "detector" in (
        (calibration.get("combined") or {}).get("features") or []
    )
    if uses_detector and DETECTOR_FILE not in manifest["files"]:
        raise SchemaError(f"field calibration uses the detector's score, but files does not list {DETECTOR_FILE}")
    metrics = section(manifest, "metrics", "", required=False)
    if metrics is not None:
        check_metrics(metrics, "metrics.", n_classes)
    evaluation = section(manifest, "evaluation", "", required=False)
    if evaluation is not None:
        check_metrics(evaluation, "evaluation.", n_classes)
    check_history(manifest)
    versions = section(manifest, "versions", "", required=False) or {}
    for key in versions:
        check_text(key, "versions (a library name)")
        text(versions, key, "versions.")
    return manifest


def check_class_names(names, field: str = "dataset.class_names") -> int:
    """A list of 2..LIMITS.classes unique, non-empty, one-line strings. Returns the count."""
    if not isinstance(names, list):
        raise SchemaError(f"field {field} must be a list of names, got {show(names)}")
    if not 2 <= len(names) <= LIMITS.classes:
        raise SchemaError(f"field {field} must list from 2 to {LIMITS.classes} classes, got {len(names)}")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise SchemaError(f"field {field}[{i}] must be text, got {show(name)}")
        check_text(name, f"{field}[{i}]", allow_empty=False)
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise SchemaError(f"field {field} names {show(twice)} more than once")
    return len(names)


def check_dataset(dataset: dict) -> int:
    text(dataset, "name", "dataset.", allow_empty=False)
    text(dataset, "source", "dataset.", max_chars=LIMITS.long_text_chars, required=False)
    for key in ("n_train", "n_val", "n_test"):
        integer(dataset, key, "dataset.", 0, required=False)
    return check_class_names(dataset.get("class_names"))


AUTOENCODER_KEYS = ("latent_dim", "channels", "hidden", "blocks", "image_size")  # blocks: removed, 0 accepted
MIXTURE_KEYS = (
    "n_components",
    "covariance_type",
    "reg_covar",
    "class_prior",
    "max_components",
    "max_iter",
    "n_init",
    "random_state",
)
COVARIANCE_TYPES = ("full", "diag", "tied", "spherical")  # as latent.density.gaussian.COVARIANCE_TYPES


def check_config(config: dict) -> None:
    check_autoencoder_config(section(config, "autoencoder", "config."))
    check_mixture_config(section(config, "mixture", "config."))
    training = section(config, "training", "config.", required=False)
    if training is not None:
        check_training_config(training)
    map_cfg = section(config, "map", "config.", required=False)
    if map_cfg is not None:
        integer(map_cfg, "n_points", "config.map.", 1, required=False)
    detector = section(config, "detector", "config.", required=False)
    if detector is not None:
        check_detector_config(detector)
    number(config, "reject_rate", "config.", 0, 1, required=False)
    text(config, "dataset", "config.", required=False)


def check_autoencoder_config(ae: dict) -> None:
    """The network's shape, within LIMITS, before anything is built from it."""
    where = "config.autoencoder."
    unknown = sorted(set(ae) - set(AUTOENCODER_KEYS))
    if unknown:
        raise SchemaError(f"field config.autoencoder has unknown keys {show(unknown)}")
    integer(ae, "latent_dim", where, 1, LIMITS.latent_dim)
    integer(ae, "hidden", where, 1, LIMITS.hidden)
    if "blocks" in ae and (ae["blocks"] != 0 or isinstance(ae["blocks"], bool)):  # a removed option, always 0
        raise SchemaError(
            f"field {where}blocks must be 0 (residual blocks were removed; a bundle built with them "
            f"cannot be loaded), got {show(ae['blocks'])}"
        )
    if ae.get("image_size", LIMITS.image_size) != LIMITS.image_size or isinstance(ae.get("image_size"), bool):
        raise SchemaError(f"field {where}image_size must be {LIMITS.image_size}, got {show(ae.get('image_size'))}")
    channels = ae.get("channels")
    if (
        not isinstance(channels, list)
        or len(channels) != 2
        or not all(_is_int(c) and 1 <= c <= LIMITS.channels for c in channels)
    ):
        raise SchemaError(
            f"field {where}channels must be two whole numbers from 1 to {LIMITS.channels}, got {show(channels)}"
        )


def check_detector_config(det: dict) -> None:
    """The detector network's shape (latent.networks.detector.DetectorConfig), within LIMITS, before it is built."""
    where = "config.detector."
    integer(det, "hidden", where, 1, LIMITS.hidden)
    channels = det.get("channels")
    if (
        not isinstance(channels, list)
        or len(channels) != 2
        or not all(_is_int(c) and 1 <= c <= LIMITS.channels for c in channels)
    ):
        raise SchemaError(
            f"field {where}channels must be two whole numbers from 1 to {LIMITS.channels}, got {show(channels)}"
        )
    integer(det, "pool", where, 1, 7, required=False)
    for key in ("dropout", "blur_p", "drawn_share"):  # shares: `calibrate` trains with them
        number(det, key, where, 0, 1, required=False)


def check_mixture_config(mix: dict) -> None:
    where = "config.mixture."
    unknown = sorted(set(mix) - set(MIXTURE_KEYS))
    if unknown:
        raise SchemaError(f"field config.mixture has unknown keys {show(unknown)}")
    if mix.get("n_components") != "auto":
        integer(mix, "n_components", where, 1, LIMITS.components)
    choice(mix, "covariance_type", where, COVARIANCE_TYPES, required=False)
    number(mix, "reg_covar", where, 0, required=False)
    if isinstance(mix.get("class_prior"), list):
        raise SchemaError(
            f"field {where}class_prior must be uniform or empirical (the fitted priors are stored in mixture.npz)"
        )
    choice(mix, "class_prior", where, ("uniform", "empirical"), required=False)
    integer(mix, "max_components", where, 1, LIMITS.components, required=False)
    integer(mix, "max_iter", where, 1, required=False)
    integer(mix, "n_init", where, 1, required=False)
    if mix.get("random_state") is not None:
        integer(mix, "random_state", where, 0, required=False)


# latent_noise and consistency: removed options, still in older manifests (always 0 there); read as a record.
TRAINING_NUMBERS = ("lr", "weight_decay", "latent_noise", "joint_weight", "consistency")
TRAINING_INTEGERS = ("epochs", "batch_size", "seed", "joint_dims")


def check_training_config(training: dict) -> None:
    """The training fields the report describes (the rest is a record, shown as JSON)."""
    where = "config.training."
    for key in TRAINING_NUMBERS:
        number(training, key, where, required=False)
    for key in TRAINING_INTEGERS:
        integer(training, key, where, 0, required=False)
    if "denoise" in training and not isinstance(training["denoise"], bool):
        raise SchemaError(f"field {where}denoise must be true or false, got {show(training['denoise'])}")
    text(training, "target", where, required=False)
    augment = section(training, "augment", where, required=False) or {}
    for key in augment:
        number(augment, key, where + "augment.")


def check_calibration(calibration: dict) -> None:
    """The "none" tests' thresholds (latent.bundle.rejection) and the probabilities' temperature."""
    bound = LIMITS.log_likelihood_abs
    where = "calibration."
    number(calibration, "reject_below", where, -bound, bound)
    number(calibration, "val_rejection_rate", where, 0, 1, required=False)
    text(calibration, "score", where, required=False)
    for key in ("command", "calibrated"):
        text(calibration, key, where, max_chars=LIMITS.long_text_chars, required=False)
    number(calibration, "reconstruction_above", where, -bound, bound, required=False)
    number(calibration, "detector_below", where, -bound, bound, required=False)
    number(calibration, "temperature", where, LIMITS.temperature[0], LIMITS.temperature[1], required=False)
    combined = section(calibration, "combined", where, required=False)
    if combined is not None:
        check_combination(combined, where + "combined.")
    filled = section(calibration, "filled_square", where, required=False)
    if filled is not None:  # thresholds for pictures that fill a small square (latent.workflows.filled_squares)
        from latent.bundle.rejection import BEYOND_LATENT  # the latent test keeps its one threshold

        thresholds = section(filled, "thresholds", where + "filled_square.") or {}
        for key in thresholds:
            if key not in BEYOND_LATENT:
                raise SchemaError(
                    f"field {where}filled_square.thresholds names an unknown test {show(key)} (only "
                    f"{', '.join(BEYOND_LATENT)} have thresholds of their own there)"
                )
            number(thresholds, key, where + "filled_square.thresholds.", -bound, bound)
        integer(filled, "images", where + "filled_square.", 0, required=False)
        text(filled, "stored", where + "filled_square.", required=False)
        text(filled, "command", where + "filled_square.", max_chars=LIMITS.long_text_chars, required=False)
    rates = section(calibration, "rates", where, required=False) or {}
    for key in rates:
        check_text(key, where + "rates (a test's name)")
        number(rates, key, where + "rates.", 0, 1)


def check_combination(combined: dict, where: str) -> None:
    """The combined "none" test (latent.bundle.rejection.Combination): known scores, one finite number each."""
    from latent.bundle.rejection import COMBINED_FEATURES

    bound = LIMITS.log_likelihood_abs
    features = combined.get("features")
    if not isinstance(features, list) or not features or any(f not in COMBINED_FEATURES for f in features):
        raise SchemaError(f"{where}features must be a list of {', '.join(COMBINED_FEATURES)}")
    if len(set(features)) != len(features):
        raise SchemaError(f"{where}features names a score twice")
    for key in ("mean", "scale", "weights"):
        values = combined.get(key)
        if not isinstance(values, list) or len(values) != len(features):
            raise SchemaError(f"{where}{key} must be a list of {len(features)} numbers, one per feature")
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > bound:
                raise SchemaError(f"{where}{key}[{i}] must be a finite number within ±{bound:g}")
            if key == "scale" and v <= 0:
                raise SchemaError(f"{where}scale[{i}] must be positive")
    number(combined, "bias", where, -bound, bound)
    number(combined, "threshold", where, -bound, bound)


# Numbers the CLI and the report read from `metrics` and `evaluation` (absent is fine; null only where
# a missing reference is normal), the texts they quote, and the fields each group needs together.
METRIC_NUMBERS = (
    "train_accuracy",
    "val_accuracy",
    "test_accuracy",
    "single_mixture_train_accuracy",
    "single_mixture_test_accuracy",
    "test_mean_log_likelihood",
    "test_reconstruction_mse",
    "val_reconstruction_mse",
    "train_seconds",
    "test_rejection_rate",
    "components_auto_test_accuracy",
    "ood_auroc",
    "ood_auroc_likelihood",
    "ood_auroc_reconstruction",
    "ood_auroc_combined",
    "ood_auroc_pixel_likelihood",
    "ood_auroc_typicality",
    "ood_rejected_at_threshold",
    "test_rejected_at_threshold",
    "morph_straight_log_likelihood",
    "morph_straight_confident_share",
    "morph_dense_log_likelihood",
    "morph_dense_confident_share",
    "sample_fidelity",
    "sample_judge_confidence",
    "uniform_judge_confidence",
    "judge_test_accuracy",
    "temperature",
    "test_ece",
    "test_ece_uncalibrated",
)
METRIC_NULLABLE = ("writeup_test_accuracy",)
METRIC_COUNTS = ("ood_n", "morph_pairs")
METRIC_TEXTS = ("ood_dataset", "ood_score", "ood_combined_score", "ood_typicality_score", "dataset", "evaluated")
METRIC_PER_CLASS = ("per_class_test_accuracy", "per_class_sample_fidelity", "components_auto_per_class")
METRIC_GROUPS = {
    "ood_auroc": (
        "ood_auroc_likelihood",
        "ood_auroc_reconstruction",
        "ood_rejected_at_threshold",
        "test_rejected_at_threshold",
    ),
    "morph_pairs": (
        "morph_straight_log_likelihood",
        "morph_straight_confident_share",
        "morph_dense_log_likelihood",
        "morph_dense_confident_share",
    ),
    "sample_fidelity": ("judge_test_accuracy", "sample_judge_confidence", "uniform_judge_confidence"),
}


def check_junk(junk: dict, where: str) -> None:
    """`evaluate --junk` results: per kind and per digit set, shares in [0, 1] and counts."""
    for group, keys in (("junk", ("none", "none_left_out")), ("digits", ("correct", "none"))):
        table = section(junk, group, where, required=False) or {}
        if len(table) > LIMITS.files:
            raise SchemaError(f"field {where}{group} has {len(table)} entries, more than {LIMITS.files}")
        for name in table:
            check_text(name, f"{where}{group} (a kind)")
            row = section(table, name, f"{where}{group}.")
            integer(row, "n", f"{where}{group}.{name}.", 0)
            for key in keys:
                number(row, key, f"{where}{group}.{name}.", 0, 1, required=key != "none_left_out")
            text(row, "left_out_with", f"{where}{group}.{name}.", required=False)  # the family left out with it
    integer(junk, "leave_out_epochs", where, 1, required=False)
    integer(junk, "seed", where, 0, required=False)
    test = section(junk, "test", where, required=False) or {}
    for key in ("none", "accuracy"):
        number(test, key, where + "test.", 0, 1, required=False)


def check_metrics(m: dict, where: str, n_classes: int) -> None:
    for key in METRIC_NUMBERS:
        number(m, key, where, required=False)
    for key in METRIC_NULLABLE:
        number(m, key, where, required=False, allow_none=True)
    for key in METRIC_COUNTS:
        integer(m, key, where, 0, required=False)
    for key in METRIC_TEXTS:
        text(m, key, where, required=False)
    text(m, "command", where, max_chars=LIMITS.long_text_chars, required=False)
    commands = m.get("commands", [])
    if not isinstance(commands, list) or len(commands) > LIMITS.evaluation_commands:
        raise SchemaError(
            f"field {where}commands must be a list of at most {LIMITS.evaluation_commands} command lines, "
            f"got {show(commands)}"
        )
    for i, command in enumerate(commands):
        if not isinstance(command, str):
            raise SchemaError(f"field {where}commands.{i} must be text, got {show(command)}")
        check_text(command, f"{where}commands.{i}", max_chars=LIMITS.long_text_chars)
    for lead, needed in METRIC_GROUPS.items():
        if lead in m:
            for key in needed:
                number(m, key, where)
    curves = section(m, "test_reliability", where, required=False) or {}
    for name in curves:
        check_text(name, f"{where}test_reliability (a curve's name)")
        curve = section(curves, name, f"{where}test_reliability.")
        lengths = {len(v) if isinstance(v := curve.get(k), list) else -1 for k in ("confidence", "accuracy", "count")}
        if len(lengths) != 1 or -1 in lengths or lengths.pop() > 1000:
            raise SchemaError(f"field {where}test_reliability.{name} must hold three lists of the same length")
        for key in ("confidence", "accuracy"):
            if not all(_is_number(v) and 0 <= v <= 1 for v in curve[key]):
                raise SchemaError(f"field {where}test_reliability.{name}.{key} must hold numbers from 0 to 1")
        if not all(_is_int(v) and v >= 0 for v in curve["count"]):
            raise SchemaError(f"field {where}test_reliability.{name}.count must hold whole numbers")
    junk = section(m, "junk", where, required=False)
    if junk is not None:
        check_junk(junk, where + "junk.")
    for key in METRIC_PER_CLASS:
        per_class = section(m, key, where, required=False) or {}
        if len(per_class) > n_classes:
            raise SchemaError(f"field {where}{key} has {len(per_class)} entries for {n_classes} classes")
        for name in per_class:
            check_text(name, f"{where}{key} (a class name)")
            number(per_class, name, f"{where}{key}.")
    if "confusion_matrix" in m:
        cm = m["confusion_matrix"]
        rows_ok = (
            isinstance(cm, list)
            and len(cm) == n_classes
            and all(isinstance(row, list) and len(row) == n_classes for row in cm)
        )
        if not rows_ok or not all(_is_number(v) and v >= 0 for row in cm for v in row):
            raise SchemaError(f"field {where}confusion_matrix must be {n_classes} rows of {n_classes} counts")


HISTORY_NUMBERS = ("epoch", "train_loss", "val_loss", "val_mse", "seconds")


def check_history(manifest: dict) -> None:
    history = manifest.get("history", [])
    if not isinstance(history, list) or len(history) > LIMITS.history_epochs:
        raise SchemaError(f"field history must be a list of at most {LIMITS.history_epochs} epochs")
    for i, row in enumerate(history):
        if not isinstance(row, dict):
            raise SchemaError(f"field history[{i}] must be an object, got {show(row)}")
        for key in HISTORY_NUMBERS:
            number(row, key, f"history[{i}].", required=False, allow_none=True)


# --------------------------------------------------------------------------- arrays


def array(arrays: dict, key: str, kind: str, shape: tuple, *, finite: bool = True) -> np.ndarray:
    """arrays[key], of dtype kind "f" (float) or "i" (integer), and `shape` (None = any length)."""
    if key not in arrays:
        raise SchemaError(f"array {key} is missing")
    a = arrays[key]
    kinds = {"f": "f", "i": "iu"}[kind]
    if a.dtype.kind not in kinds:
        raise SchemaError(f"array {key} has dtype {a.dtype}, expected {'floats' if kind == 'f' else 'integers'}")
    if a.ndim != len(shape) or any(want is not None and got != want for got, want in zip(a.shape, shape, strict=True)):
        expected = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise SchemaError(f"array {key} has shape {a.shape}, expected {expected}")
    if finite and kind == "f" and not np.all(np.isfinite(a)):
        raise SchemaError(f"array {key} holds NaN or infinite values")
    return a


def _sums_to_one(a: np.ndarray, key: str) -> None:
    if np.any(a < 0) or not np.allclose(a.sum(axis=-1), 1.0, rtol=0, atol=LIMITS.sum_tolerance):
        raise SchemaError(f"array {key} must hold non-negative shares that sum to 1")


def _class_indices(classes: np.ndarray, n_classes: int, key: str) -> None:
    if not np.array_equal(classes, np.arange(n_classes)):
        raise SchemaError(
            f"array {key} must be 0..{n_classes - 1} (one entry per class name), got {show(classes.tolist())}"
        )


def check_covariances(cov: np.ndarray, key: str) -> None:
    """Symmetric positive definite (d, d) matrices: a Cholesky factor exists and is usable."""
    with np.errstate(over="ignore", invalid="ignore"):  # 1e308 - (-1e308) is inf: "not symmetric", no warning
        scale = np.abs(cov).max(axis=(-2, -1), keepdims=True) + 1e-300
        asymmetric = np.any(np.abs(cov - np.swapaxes(cov, -1, -2)) > LIMITS.symmetry_tolerance * scale)
    if asymmetric:
        raise SchemaError(f"array {key} holds a matrix that is not symmetric")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise SchemaError(f"array {key} holds a matrix that is not positive definite") from None


def check_mixture_arrays(arrays: dict, n_classes: int, latent_dim: int) -> None:
    """mixture.npz: one mixture of up to k components per class, in `latent_dim` dimensions."""
    c, d = n_classes, latent_dim
    classes = array(arrays, "classes", "i", (None,))
    if len(classes) != c:
        raise SchemaError(f"array classes has {len(classes)} classes but dataset.class_names names {c}")
    _class_indices(classes, c, "classes")
    prior = array(arrays, "class_prior", "f", (c,))
    _sums_to_one(prior, "class_prior")
    if np.any(prior <= 0):
        raise SchemaError("array class_prior must be positive for every class")
    weights = array(arrays, "weights", "f", (c, None))
    k = weights.shape[1]
    if not 1 <= k <= LIMITS.components:
        raise SchemaError(f"array weights has {k} components per class, expected 1 to {LIMITS.components}")
    n_comp = array(arrays, "n_components", "i", (c,))
    if np.any(n_comp < 1) or np.any(n_comp > k):
        raise SchemaError(f"array n_components must be from 1 to {k}")
    _sums_to_one(weights, "weights")
    if np.any(weights[np.arange(k)[None, :] >= n_comp[:, None]] != 0):
        raise SchemaError("array weights gives weight to components beyond n_components")
    array(arrays, "means", "f", (c, k, d))
    check_covariances(array(arrays, "covariances", "f", (c, k, d, d)), "covariances")
    if "bic" in arrays:
        array(arrays, "bic", "f", (c, None), finite=False)


def check_single_mixture_arrays(arrays: dict, n_classes: int, latent_dim: int) -> None:
    """single_mixture.npz: one mixture for all classes and p(class | component)."""
    classes = array(arrays, "classes", "i", (n_classes,))
    _class_indices(classes, n_classes, "classes")
    weights = array(arrays, "weights", "f", (None,))
    k = len(weights)
    if not 1 <= k <= LIMITS.components:
        raise SchemaError(f"array weights has {k} components, expected 1 to {LIMITS.components}")
    _sums_to_one(weights, "weights")
    array(arrays, "means", "f", (k, latent_dim))
    check_covariances(array(arrays, "covariances", "f", (k, latent_dim, latent_dim)), "covariances")
    _sums_to_one(array(arrays, "class_given_component", "f", (k, n_classes)), "class_given_component")


def check_map_arrays(arrays: dict, n_classes: int, latent_dim: int, n_components: np.ndarray) -> None:
    """map.npz: stored codes with their 2-D places and classes, and one ellipse per component."""
    codes = array(arrays, "codes", "f", (None, latent_dim))
    n = len(codes)
    if not 1 <= n <= LIMITS.map_points:
        raise SchemaError(f"array codes holds {n} points, expected 1 to {LIMITS.map_points}")
    array(arrays, "coords", "f", (n, 2))
    labels = array(arrays, "labels", "i", (n,))
    if np.any(labels < 0) or np.any(labels >= n_classes):
        raise SchemaError(f"array labels must be class indices from 0 to {n_classes - 1}")
    if "test_index" in arrays and np.any(array(arrays, "test_index", "i", (n,)) < 0):
        raise SchemaError("array test_index must not be negative")
    index = array(arrays, "ellipse_index", "i", (None, 2))
    m = len(index)
    if m and (
        np.any(index[:, 0] < 0)
        or np.any(index[:, 0] >= n_classes)
        or np.any(index[:, 1] < 0)
        or np.any(index[:, 1] >= np.asarray(n_components)[np.clip(index[:, 0], 0, n_classes - 1)])
    ):
        raise SchemaError("array ellipse_index names a class or component the mixture does not have")
    array(arrays, "ellipse_centers", "f", (m, 2))
    array(arrays, "ellipse_covariances", "f", (m, 2, 2))


def check_map_inverse_arrays(arrays: dict, n_classes: int, *, n_points: int | None = None) -> None:
    """map_inverse.npz: the map inverse's parameters, its density grid over the map and, when present,
    the text thumbnails of its `n_points` stored points."""
    n_neighbors = int(array(arrays, "n_neighbors", "i", (1,))[0])
    if not 1 <= n_neighbors <= LIMITS.map_points:
        raise SchemaError(f"array n_neighbors must be from 1 to {LIMITS.map_points}, got {n_neighbors}")
    bandwidth = float(array(arrays, "bandwidth", "f", (1,))[0])
    if not 0 < bandwidth <= 1e12:
        raise SchemaError(f"array bandwidth must be a positive distance on the map, got {bandwidth!r}")
    extent = array(arrays, "extent", "f", (4,))
    if not (extent[0] < extent[1] and extent[2] < extent[3]) or np.any(np.abs(extent) > 1e12):
        raise SchemaError(f"array extent must be x0 < x1, y0 < y1 on the map, got {show(extent.tolist())}")
    ll = array(arrays, "log_likelihood", "f", (None, None))
    ny, nx = ll.shape
    if not (2 <= ny <= LIMITS.map_grid and 2 <= nx <= LIMITS.map_grid):
        raise SchemaError(f"array log_likelihood is a {ny} x {nx} grid, expected 2 to {LIMITS.map_grid} cells a side")
    if np.any(np.abs(ll) > LIMITS.log_likelihood_abs):
        raise SchemaError(f"array log_likelihood holds values beyond ±{LIMITS.log_likelihood_abs:g}")
    predicted = array(arrays, "predicted", "i", (ny, nx))
    if np.any(predicted < 0) or np.any(predicted >= n_classes):
        raise SchemaError(f"array predicted must be class indices from 0 to {n_classes - 1}")
    probability = array(arrays, "probability", "f", (ny, nx))
    if np.any(probability < 0) or np.any(probability > 1):
        raise SchemaError("array probability must hold shares from 0 to 1")
    if "thumbnails" in arrays:
        from latent.inputs.imaging import TEXT_RAMP

        thumbnails = array(arrays, "thumbnails", "i", (n_points, None, None))
        if thumbnails.shape[1] > 28 or thumbnails.shape[2] > 28:
            raise SchemaError(
                f"array thumbnails holds {thumbnails.shape[1]} x {thumbnails.shape[2]} pictures, at most 28 x 28"
            )
        if thumbnails.size and (int(thumbnails.min()) < 0 or int(thumbnails.max()) >= len(TEXT_RAMP)):
            raise SchemaError(f"array thumbnails must hold levels from 0 to {len(TEXT_RAMP) - 1}")


def check_calibration_arrays(arrays: dict) -> None:
    """calibration.npz: the validation images' scores of each "none" test (the thresholds' reference)."""
    for key in ("val_max_log_likelihood", "val_log_reconstruction_error", "val_detector", "val_combined"):
        if key not in arrays and key != "val_max_log_likelihood":
            continue
        values = array(arrays, key, "f", (None,))
        if len(values) == 0:
            raise SchemaError(f"array {key} is empty")
        if np.any(np.abs(values) > LIMITS.log_likelihood_abs):
            raise SchemaError(f"array {key} holds values beyond ±{LIMITS.log_likelihood_abs:g}")


# --------------------------------------------------------------------------- weights


def check_weight_shapes(
    found: dict[str, tuple[str, tuple]], expected: dict[str, tuple[str, tuple]], field: str = "config.autoencoder"
) -> None:
    """The weight file's tensors (name -> (dtype, shape), from its header) are exactly the network's."""
    total = sum(math.prod(shape) for _, shape in expected.values())
    if total > LIMITS.parameters:
        raise SchemaError(f"the configured network has {total:,} weights, more than {LIMITS.parameters:,}")
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or extra:
        what = (
            (f"lacks {show(missing)}" if missing else "")
            + (" and " if missing and extra else "")
            + (f"has unexpected {show(extra)}" if extra else "")
        )
        raise SchemaError(f"its tensors do not fit {field}: the file {what}")
    for name, (dtype, shape) in expected.items():
        if tuple(found[name][1]) != tuple(shape) or found[name][0] != dtype:
            raise SchemaError(
                f"tensor {name} is {found[name][0]} {tuple(found[name][1])}, but {field} needs {dtype} {tuple(shape)}"
            )


def check_weight_values(tensors: dict[str, np.ndarray]) -> None:
    """Finite, not absurdly large, and variances that are variances."""
    for name, values in tensors.items():
        if values.dtype.kind != "f":
            continue
        if not np.all(np.isfinite(values)):
            raise SchemaError(f"tensor {name} holds NaN or infinite values")
        if values.size and np.abs(values).max() > LIMITS.weight_abs:
            raise SchemaError(f"tensor {name} holds values beyond ±{LIMITS.weight_abs:g}")
        if name.endswith("running_var") and np.any(values < 0):
            raise SchemaError(f"tensor {name} holds negative variances")
