"""The "none" answer against what people really give the model: fit it, calibrate it, measure it kind by kind.

Training (`fit_none_rule`, run by `train`): generate foreign inputs of every kind the dataset's
record (`latent.inputs.catalog`) lists, and, for digits, digits drawn as people draw them; train the
detector on them against the training images; set each test's threshold on the validation split;
fit the temperature of the class probabilities.

Measuring (`evaluate_junk`, run by `evaluate --junk`): fresh inputs of every kind (another seed,
full-size canvases and photos), each answered by the bundle's rule and, honestly, by a rule whose
detector was trained without that kind and its family (`latent.inputs.catalog.FAMILIES`: no drawn letters
*and* no font letters when letters are measured); digits people write are scored for being right,
not refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from latent.bundle.rejection import COMBINED_FEATURES, DEFAULT_RATES, FOREIGN, UNLIKELY, Combination, NoneRule, Test
from latent.cache import read_arrays, source_digest, write_arrays
from latent.inputs import junk
from latent.inputs.catalog import DatasetInfo
from latent.inputs.preprocess import SIZE
from latent.paths import cache_root
from latent.progress import progress_bar

if TYPE_CHECKING:
    from latent.networks.detector import Detector  # imports torch: only where a detector is trained

TRAIN_SIZE = 112  # canvas side of generated training inputs (quicker to make; all end up 28x28)
N_EVAL = 300  # generated evaluation inputs per kind
TRAIN_SEED, EVAL_SEED = 100, 1  # different seeds: evaluation never sees a training input


def _quiet(_: str) -> None:
    pass


def cache_dir() -> Path:
    """Where generated inputs are kept between runs (`latent.paths.cache_root`)."""
    return cache_root()


def _code_version() -> str:
    """A hash of the sources that make and preprocess generated inputs: a change there is a new cache key."""
    from latent.inputs import handwriting, photo, preprocess, stretched

    return source_digest((junk, handwriting, photo, preprocess, stretched))


def _cached_sets(key: dict, make: Callable[[], dict[str, junk.InputSet]]) -> dict[str, junk.InputSet]:
    """`make()`, or what an earlier call with the same key stored in `cache_dir()` (latent.cache).

    Generating thousands of photo-like inputs takes minutes; calibrating two bundles of one dataset and
    measuring them asks for the same ones again. A missing or unreadable cache file is just remade."""
    key = {**key, "code": _code_version()}
    path = cache_dir() / f"inputs-{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]}.npz"
    stored = read_arrays(path)
    if stored is not None:
        try:
            return {
                str(kind): junk.InputSet(
                    stored[f"x{i}"],
                    [label or None for label in stored[f"labels{i}"].tolist()],
                    int(stored["blank"][i]),
                    int(stored["total"][i]),
                )
                for i, kind in enumerate(stored["kinds"])
            }
        except (KeyError, IndexError, ValueError, TypeError):
            pass  # another layout: made again below
    sets = make()
    arrays = {
        "kinds": np.array(list(sets), dtype=str),
        "blank": np.array([s.blank for s in sets.values()]),
        "total": np.array([s.total for s in sets.values()]),
    }
    for i, s in enumerate(sets.values()):
        arrays[f"x{i}"] = np.asarray(s.x, dtype=np.uint8).reshape(-1, SIZE, SIZE)
        arrays[f"labels{i}"] = np.array([label or "" for label in s.labels], dtype=str)
    write_arrays(path, arrays)
    return sets


def generate_inputs(
    kinds, n: int, seed: int, *, reading: str, size: int = junk.hw.CANVAS, progress: bool = False
) -> dict[str, junk.InputSet]:
    """{kind: model inputs} of n generated samples per kind, through the Draw page's preprocessing."""
    kinds = list(kinds)

    def make() -> dict[str, junk.InputSet]:
        return {
            kind: junk.model_inputs(junk.generate(kind, n, seed, size=size), reading=reading)
            for kind in progress_bar(kinds, desc="generating", unit="kind", enabled=progress)
        }

    return _cached_sets(
        {"what": "generated", "kinds": kinds, "n": n, "seed": seed, "reading": reading, "size": size}, make
    )


@dataclass
class DetectorData:
    """What the detector trains on: our images (the training split; generated members and rewritten
    training images, as people draw and write) and foreign kinds."""

    ours: np.ndarray  # (n, 28, 28) uint8, the training split
    foreign: dict[str, np.ndarray]  # kind -> (m, 28, 28) uint8
    drawn: np.ndarray | None = None  # (k, 28, 28) uint8

    def without(self, kinds=()) -> np.ndarray:
        """Every foreign input but those of `kinds` (a name or a collection of names: leave them out)."""
        kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
        return np.concatenate([x for k, x in self.foreign.items() if k not in kinds and len(x)])


def varied_inputs(
    kinds, images: np.ndarray, labels, seed: int, *, reading: str, size: int = junk.hw.CANVAS, progress: bool = False
) -> dict[str, junk.InputSet]:
    """{variation: model inputs} of real images rewritten each way (`latent.inputs.junk.VARIATIONS`)."""
    kinds = list(kinds)

    def make() -> dict[str, junk.InputSet]:
        return {
            kind: junk.model_inputs(junk.vary(kind, images, labels, seed, size=size), reading=reading)
            for kind in progress_bar(kinds, desc="rewriting", unit="kind", enabled=progress)
        }

    images_hash = hashlib.sha256(np.ascontiguousarray(images).tobytes() + np.asarray(labels).tobytes()).hexdigest()
    return _cached_sets(
        {"what": "varied", "kinds": kinds, "images": images_hash, "seed": seed, "reading": reading, "size": size}, make
    )


def detector_data(
    info: DatasetInfo,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    n: int = 1500,
    n_varied: int = 1000,
    seed: int = TRAIN_SEED,
    progress: bool = False,
) -> DetectorData:
    """Our images (the training split, n generated members per kind, n_varied training images rewritten
    each way) and n foreign inputs per kind."""
    members = generate_inputs(info.members, n, seed, reading=info.reading, size=TRAIN_SIZE, progress=progress)
    pick = np.random.default_rng(seed).choice(len(x_train), min(len(x_train), n_varied), replace=False)
    varied = varied_inputs(
        info.variations, x_train[pick], y_train[pick], seed, reading=info.reading, size=TRAIN_SIZE, progress=progress
    )
    foreign = generate_inputs(info.foreign, n, seed, reading=info.reading, size=TRAIN_SIZE, progress=progress)
    drawn = [s.x for s in (*members.values(), *varied.values())]  # none for a dataset people do not draw
    return DetectorData(x_train, {k: s.x for k, s in foreign.items()}, np.concatenate(drawn) if drawn else None)


def fit_detector(data: DetectorData, *, augment_cfg=None, leave_out=(), cfg=None, log: Callable[[str], None] = _quiet):
    from latent.networks.detector import DetectorConfig, train_detector

    return train_detector(
        data.ours, data.without(leave_out), cfg or DetectorConfig(), drawn=data.drawn, augment_cfg=augment_cfg, log=log
    )


def image_scores(autoencoder, mixture, images: np.ndarray, detector=None, batch_size: int = 2000) -> dict:
    """Per-image scores of the "none" tests for (n, 28, 28) model inputs: each of shape (n,)."""
    import torch

    from latent.networks.train import to_tensor

    x = to_tensor(np.asarray(images))
    likelihood, log_mse, ll_all = [], [], []
    autoencoder.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = x[i : i + batch_size]
            z = autoencoder.encode(xb)
            rec = autoencoder.decode(z)
            ll = mixture.log_likelihoods(z.numpy().astype(np.float64))
            ll_all.append(ll)
            likelihood.append(ll.max(axis=1))
            log_mse.append(np.log(((rec - xb) ** 2).mean(dim=(1, 2, 3)).numpy().astype(np.float64) + 1e-8))
    scores = {
        "likelihood": np.concatenate(likelihood),
        "reconstruction": np.concatenate(log_mse),
        "log_likelihoods": np.concatenate(ll_all),
    }
    if detector is not None:
        scores["detector"] = detector.score(images)
    return scores


def thresholds(val_scores: dict, rates: dict | None = None) -> dict[str, float]:
    """Each test's threshold: the quantile of the validation scores that refuses its share (DEFAULT_RATES)."""
    rates = {**DEFAULT_RATES, **(rates or {})}
    out = {
        "reject_below": float(np.quantile(val_scores["likelihood"], rates["likelihood"])),
        "reconstruction_above": float(np.quantile(val_scores["reconstruction"], 1 - rates["reconstruction"])),
    }
    if "detector" in val_scores:
        out["detector_below"] = float(np.quantile(val_scores["detector"], rates["detector"]))
    return out


CAL_SEED = 1000  # added to the detector's seed: the inputs the combined test is fitted on (never trained on)


def calibration_sets(info: DatasetInfo, x_val, y_val, *, seed: int, n: int, progress: bool = False):
    """(ours, foreign): {name: (m, 28, 28)} inputs the combined test is fitted on, none of which the
    detector trained on: generated members and validation images rewritten each way (ours), generated
    foreign inputs of every kind (foreign), all with a seed of their own."""
    members = generate_inputs(info.members, n, seed, reading=info.reading, size=TRAIN_SIZE, progress=progress)
    pick = np.random.default_rng(seed).choice(len(x_val), min(len(x_val), n), replace=False)
    varied = varied_inputs(
        info.variations, x_val[pick], y_val[pick], seed, reading=info.reading, size=TRAIN_SIZE, progress=progress
    )
    foreign = generate_inputs(info.foreign, n, seed, reading=info.reading, size=TRAIN_SIZE, progress=progress)
    ours = {k: s.x for k, s in {**members, **varied}.items() if len(s.x)}
    return ours, {k: s.x for k, s in foreign.items() if len(s.x)}


def fit_combination(ours: list[dict], foreign: list[dict], features=COMBINED_FEATURES) -> Combination:
    """A logistic regression of "ours" (1) against "foreign" (0) on the standardised scores `features`,
    each side weighing half (ours, foreign: lists of {score: (n,)} dicts, e.g. one per set)."""
    from sklearn.linear_model import LogisticRegression

    def stack(parts: list[dict]) -> np.ndarray:
        return np.concatenate([np.stack([np.asarray(p[f], dtype=np.float64) for f in features], 1) for p in parts])

    xo, xf = stack(ours), stack(foreign)
    x = np.concatenate([xo, xf])
    y = np.r_[np.ones(len(xo)), np.zeros(len(xf))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    weight = np.where(y == 1, 0.5 / len(xo), 0.5 / len(xf)) * len(y)
    fit = LogisticRegression(max_iter=1000).fit((x - mean) / scale, y, sample_weight=weight)
    return Combination(
        tuple(features),
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in fit.coef_[0]),
        float(fit.intercept_[0]),
    )


def combined_rule(
    autoencoder, mixture, detector, val: dict, cal_ours: dict, cal_foreign: dict, *, rates: dict, leave_out=()
) -> tuple[NoneRule, dict, np.ndarray]:
    """The latent test and the combined test at their validation rates, the combination fitted on the
    calibration sets (without the foreign kinds `leave_out`); `val`: the validation images' `image_scores`
    with this detector. Returns (rule, manifest fields, the validation images' combined scores)."""
    ours = [val] + [image_scores(autoencoder, mixture, x, detector) for x in cal_ours.values()]
    foreign = [image_scores(autoencoder, mixture, x, detector) for k, x in cal_foreign.items() if k not in leave_out]
    combination = fit_combination(ours, foreign)
    val_combined = combination.score(val)
    threshold = float(np.quantile(val_combined, rates["combined"]))
    reject_below = float(np.quantile(val["likelihood"], rates["likelihood"]))
    rule = NoneRule(
        [Test("likelihood", reject_below, True, UNLIKELY), Test("combined", threshold, True, FOREIGN)], combination
    )
    return (
        rule,
        {"reject_below": reject_below, "combined": {**combination.to_dict(), "threshold": threshold}},
        val_combined,
    )


@dataclass
class NoneRuleFit:
    """What `train` stores for the "none" answer: the detector (or None), manifest fields, arrays."""

    detector: Detector | None
    calibration: dict  # manifest "calibration" fields: thresholds, temperature, rates
    arrays: dict[str, np.ndarray]  # calibration.npz: sorted validation scores of each test


def fit_none_rule(
    autoencoder,
    mixture,
    info: DatasetInfo,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    augment_cfg=None,
    detector_cfg=None,
    rates: dict | None = None,
    log: Callable[[str], None] = _quiet,
    progress: bool = False,
) -> NoneRuleFit:
    """Train the detector (`detector_cfg`, when the dataset's record lists foreign kinds), then calibrate
    every test and the class probabilities' temperature on the validation split."""
    from latent.density.calibration import fit_temperature

    det = None
    if detector_cfg is not None and info.foreign:
        log(
            f"      generating {detector_cfg.n_per_kind} inputs of each of {len(info.foreign) + len(info.members)} "
            f"kinds, rewriting {detector_cfg.n_varied} training images {len(info.variations)} ways"
        )
        data = detector_data(
            info,
            x_train,
            y_train,
            n=detector_cfg.n_per_kind,
            n_varied=detector_cfg.n_varied,
            seed=TRAIN_SEED + detector_cfg.seed,
            progress=progress,
        )
        n_drawn = 0 if data.drawn is None else len(data.drawn)
        log(
            f"      training the detector: {len(data.ours)} training images and {n_drawn} drawn or rewritten "
            f"ones against {sum(map(len, data.foreign.values()))} foreign inputs"
        )
        det = fit_detector(data, augment_cfg=augment_cfg, cfg=detector_cfg, log=log)
    val = image_scores(autoencoder, mixture, x_val, det)
    rates = {**DEFAULT_RATES, **(rates or {})}
    temperature = fit_temperature(
        val["log_likelihoods"], np.searchsorted(mixture.classes_, y_val), np.log(mixture.class_prior_)
    )
    arrays = {
        "val_max_log_likelihood": np.sort(val["likelihood"]).astype(np.float32),
        "val_log_reconstruction_error": np.sort(val["reconstruction"]).astype(np.float32),
    }
    if det is None or not info.recipe.combined_none:  # the tests each alone
        tests = ("likelihood", "reconstruction") + (("detector",) if det is not None else ())
        calibration = {**thresholds(val, rates), "temperature": temperature, "rates": {k: rates[k] for k in tests}}
        if det is not None:
            arrays["val_detector"] = np.sort(val["detector"]).astype(np.float32)
        return NoneRuleFit(det, calibration, arrays)
    assert detector_cfg is not None  # a detector was trained with it
    log(f"      fitting the combined test on {detector_cfg.n_cal} fresh inputs of each kind (none the detector saw)")
    cal_ours, cal_foreign = calibration_sets(
        info, x_val, y_val, seed=TRAIN_SEED + CAL_SEED + detector_cfg.seed, n=detector_cfg.n_cal, progress=progress
    )
    _, fields, val_combined = combined_rule(autoencoder, mixture, det, val, cal_ours, cal_foreign, rates=rates)
    calibration = {**fields, "temperature": temperature, "rates": {k: rates[k] for k in ("likelihood", "combined")}}
    arrays["val_detector"] = np.sort(val["detector"]).astype(np.float32)
    arrays["val_combined"] = np.sort(val_combined).astype(np.float32)
    return NoneRuleFit(det, calibration, arrays)


def augment_of(manifest: dict):
    """The AugmentConfig a bundle's autoencoder was trained with (None without augmentation)."""
    from latent.networks.augment import AugmentConfig

    training = manifest.get("config", {}).get("training", {})
    if not training.get("denoise", True):
        return None
    return AugmentConfig(
        **{k: v for k, v in training.get("augment", {}).items() if k in AugmentConfig.__dataclass_fields__}
    )


def _none_share(result, blank: int, total: int) -> float:
    refused = sum(reason is not None for reason in (result.reasons if result is not None else []))
    return (refused + blank) / max(total, 1)


def digit_sets(info: DatasetInfo, dataset, n: int, seed: int, *, progress: bool = False) -> dict[str, junk.InputSet]:
    """The labelled sets `evaluate_junk` reads: n generated members and real writers of each kind, and n
    of `dataset`'s test images (drawn with `seed`) rewritten each way people write ("test digits, ...")."""
    sets = generate_inputs((*info.members, *info.writers), n, seed, reading=info.reading, progress=progress)
    pick = np.random.default_rng(seed).choice(len(dataset.x_test), min(n, len(dataset.x_test)), replace=False)
    varied = varied_inputs(
        info.variations, dataset.x_test[pick], dataset.y_test[pick], seed, reading=info.reading, progress=progress
    )
    sets.update({f"test digits, {k}": v for k, v in varied.items()})
    return sets


def read_right(model, result, labels) -> int:
    """How many of the inputs behind `result` (`classify_images` with a rule; None for no inputs) were
    answered with their label: a "none" is never right."""
    if result is None:
        return 0
    return sum(
        reason is None and model.class_names[int(label)] == truth
        for reason, label, truth in zip(result.reasons, result.labels, labels, strict=True)
    )


def evaluate_junk(
    model,
    dataset,
    *,
    n: int = N_EVAL,
    seed: int = EVAL_SEED,
    leave_one_out: bool = True,
    leave_out_epochs: int | None = None,
    data_dir=None,
    log: Callable[[str], None] = _quiet,
    progress: bool = False,
) -> dict:
    """How the bundle's "none" answer holds outside its test set, kind by kind (see the module docstring).

    Returns {"junk": {kind: {"n", "none", "none_left_out"}}, "digits": {set: {"n", "correct", "none"}},
    "test": {"none", "accuracy"}}: `none` is the share answered "none" (blank pictures included) by the
    bundle's rule; `none_left_out` by the same rule with a detector trained without that kind's family
    (`left_out_with`).
    """
    from latent.errors import LatentError
    from latent.inputs.catalog import dataset_info, family_of
    from latent.inputs.data import load_dataset
    from latent.networks.detector import DetectorConfig

    info = dataset_info(model.manifest["dataset"]["name"])
    rule = model.rule

    def answer(x: np.ndarray, r=rule):
        return model.classify_images(x, rule=r) if len(x) else None

    log(f"generating {n} inputs of each foreign kind and digit set (seed {seed})")
    foreign = generate_inputs(info.foreign, n, seed, reading=info.reading, progress=progress)
    out: dict = {"junk": {}, "digits": {}, "seed": seed}
    for kind, inputs in foreign.items():
        out["junk"][kind] = {"n": inputs.total, "none": _none_share(answer(inputs.x), inputs.blank, inputs.total)}
    for other in info.foreign_datasets:
        try:
            images = load_dataset(other, data_dir, download=False, progress=False).x_test[:n]
        except LatentError:
            log(f"      {other} is not available here: its test images are skipped")
            continue
        out["junk"][f"{other} test images"] = {"n": len(images), "none": _none_share(answer(images), 0, len(images))}

    for name, inputs in digit_sets(info, dataset, n, seed, progress=progress).items():
        result = answer(inputs.x)
        out["digits"][name] = {
            "n": inputs.total,
            "correct": read_right(model, result, inputs.labels) / max(inputs.total, 1),
            "none": _none_share(result, inputs.blank, inputs.total),
        }
    test = model.classify_images(dataset.x_test, rule=rule)
    best = model.mixture.classes_[test.proba.argmax(axis=1)]  # the class before any "none", as evaluate counts
    out["test"] = {"none": float(np.mean(test.labels < 0)), "accuracy": float(np.mean(best == dataset.y_test))}

    if leave_one_out and model.detector is not None:
        cfg = DetectorConfig.from_dict(model.manifest["config"].get("detector", {}))
        if leave_out_epochs is not None:  # a shorter one-cycle schedule, for time (recorded in the results)
            cfg = DetectorConfig.from_dict({**cfg.to_dict(), "epochs": leave_out_epochs})
        out["leave_out_epochs"] = cfg.epochs
        log("leaving each family of foreign kinds out of the detector's training in turn")
        data = detector_data(
            info,
            dataset.x_train,
            dataset.y_train,
            n=cfg.n_per_kind,
            n_varied=cfg.n_varied,
            seed=TRAIN_SEED + cfg.seed,
            progress=progress,
        )
        stored_rates = model.manifest["calibration"].get("rates", {})
        rate = stored_rates.get("detector", DEFAULT_RATES["detector"])
        cal = None
        if rule.combination is not None:  # the combination is refitted without the family too
            cal = calibration_sets(
                info, dataset.x_val, dataset.y_val, seed=TRAIN_SEED + CAL_SEED + cfg.seed, n=cfg.n_cal
            )
        families: dict[str, list[str]] = {}
        for kind in foreign:
            families.setdefault(family_of(kind), []).append(kind)
        for family, kinds in families.items():
            log(f"      without {family}: {', '.join(kinds)}")
            detector = fit_detector(data, augment_cfg=augment_of(model.manifest), leave_out=kinds, cfg=cfg)
            if cal is not None:
                left_out, _, _ = combined_rule(
                    model.autoencoder,
                    model.mixture,
                    detector,
                    image_scores(model.autoencoder, model.mixture, dataset.x_val, detector),
                    *cal,
                    rates={**DEFAULT_RATES, **stored_rates},
                    leave_out=kinds,
                )
            else:
                threshold = float(np.quantile(detector.score(dataset.x_val), rate))
                left_out = NoneRule(
                    [t if t.score != "detector" else Test("detector", threshold, True, t.reason) for t in rule.tests]
                )
            for kind in kinds:
                inputs = foreign[kind]
                refused = 0
                if len(inputs.x):
                    x, _ = model.as_read(inputs.x)  # as the bundle's rule reads them (latent.bundle.width)
                    scores = {
                        "likelihood": model.classify(model.encode(x)).max_log_likelihood,
                        "reconstruction": model.reconstruction_error(x),
                        "detector": detector.score(x),
                    }
                    refused = sum(r is not None for r in left_out.reasons(scores))
                out["junk"][kind]["none_left_out"] = (refused + inputs.blank) / max(inputs.total, 1)
                out["junk"][kind]["left_out_with"] = family
    return out
