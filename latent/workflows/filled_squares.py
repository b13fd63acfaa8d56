"""Thresholds of the "none" tests for pictures that fill a small square box (`latent.bundle.rejection`).

Semeion's handwritten digits (about 80 writers) are stored stretched to fill a 16x16 box in black and
white, as are other datasets' and forms'. Real digits stored that way score lower on the tests beyond
the latent one than validation images as MNIST stores them (a bold digit's loops close at 16 pixels):
with the bundle's thresholds, MNIST's test digits so stored with a pen a pixel thicker were refused 2.7-
3.4 % of the time, though the mixtures alone read 96-97 % of them right (`benchmarks/handwriting_ceiling.py
--semeion-like --bolder`). Such pictures (`latent.inputs.stretched.fills_square`) get thresholds of their
own, set as every threshold is: on the validation split, here stored that way with the writers' own
pens and with a pen about a pixel thicker (`latent.inputs.stored`) and read as `classify` reads such a
file, each test refusing its stated share of them. The latent test keeps its one threshold (the map
and the Draw page's slider show it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latent import artifacts
from latent.bundle.rejection import DEFAULT_RATES
from latent.errors import BlankImageError
from latent.inputs import stored
from latent.inputs.catalog import dataset_info
from latent.inputs.preprocess import INK, SIZE, UPLOAD, prepare_steps

STORED_AS = "stretched to fill 16x16, black and white; the writers' own pens and a pen about a pixel thicker"


def stored_inputs(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) uint8 digits, each stored as Semeion stores one with its own pen and a pixel bolder,
    as the model reads those files: the model inputs of those that fill their square."""
    xs = []
    for image in np.asarray(images):
        for picture in (stored.as_semeion(image), stored.as_semeion(stored.bolder(image))):
            try:
                prepared = prepare_steps(picture.astype(np.float32) / 255.0, via=UPLOAD, reading=INK)
            except BlankImageError:
                continue
            if prepared.fills_square:
                xs.append(prepared.x)
    return np.stack(xs) if xs else np.zeros((0, SIZE, SIZE), dtype=np.float32)


def filled_square_thresholds(model, x_val: np.ndarray, log: Callable[[str], None] = lambda _: None) -> dict:
    """The manifest's calibration "filled_square" section for a loaded bundle (`LatentModel`): each test
    but the latent one, its threshold on the validation digits `x_val` stored as filled squares. Empty
    for bundles that read their pictures as objects (clothes: never read as a filled square) or have no
    test beyond the latent one."""
    tests = [t for t in model.rule.tests if t.score != "likelihood"]
    if dataset_info(model.manifest["dataset"]["name"]).reading != INK or not tests:
        return {}
    log(f"      storing {len(x_val)} validation digits as filled 16x16 squares, two pens each, and scoring them")
    x = stored_inputs(x_val)
    x, _ = model.as_read(x, stretched=np.ones(len(x), dtype=bool))  # as classify reads them
    scores = model.classify_images(x, rule=model.rule, Z=model.encode(x)).scores
    rates = {**DEFAULT_RATES, **model.manifest["calibration"].get("rates", {})}
    thresholds = {
        t.score: float(np.quantile(scores[t.score], rates[t.score] if t.fails_below else 1 - rates[t.score]))
        for t in tests
    }
    return {
        "thresholds": thresholds,
        "images": int(len(x)),
        "stored": STORED_AS,
        "command": artifacts.current_command(),
    }


def set_filled_square_thresholds(directory, x_val: np.ndarray, log: Callable[[str], None] = lambda _: None) -> dict:
    """Set a bundle's thresholds for filled squares (its manifest's calibration "filled_square"); nothing
    else changes. Returns the section written ({} when the bundle has none: its old one is removed)."""
    from latent.bundle.model import LatentModel

    model = LatentModel.load(directory)
    section = filled_square_thresholds(model, x_val, log)
    calibration = {k: v for k, v in model.manifest["calibration"].items() if k != "filled_square"}
    if not section and calibration == model.manifest["calibration"]:
        return section  # nothing to set, nothing to remove: the manifest stays as it is
    if section:
        calibration["filled_square"] = section
        shown = ", ".join(f"{k} {v:.3f}" for k, v in section["thresholds"].items())
        log(f"      thresholds for pictures that fill a small square ({section['images']} stored digits): {shown}")
    artifacts.update_manifest(directory, calibration=calibration)
    return section
