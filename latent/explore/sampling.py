"""Where do good samples come from? Three ways to draw latents, and how many the classifier recognises.

The Sampling page puts three sources side by side:

- ``class``: the per-class mixtures (the generator this project is about);
- ``single``: one mixture fitted to all classes at once (the write-up's baseline);
- ``uniform``: uniformly from the box around the stored codes. Almost all of that box is empty space
  the decoder never saw: the codes lie far outside every class, yet the pictures are what the decoder
  draws anywhere: from the MNIST model, pen-stroke scribbles (a person named 31 of 100; the judge CNN
  names most of them, with 84 % mean confidence). `benchmarks/uniform_box.py` measures this for any model.

"Recognised" means the classifier does not answer "none": the best class log-likelihood of the
latent clears the threshold. Optionally the sample is judged as a picture instead: decoded, encoded
again, then classified, which is what a viewer of the decoded image would ask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOURCES = {
    "class": "Class mixtures",
    "single": "One mixture for all",
    "uniform": "Uniform box",
}


@dataclass
class SampleSet:
    source: str  # one of SOURCES
    Z: np.ndarray  # (n, d) latents
    intended: np.ndarray | None  # (n,) class index each latent was drawn for (class source only)


@dataclass
class Recognition:
    labels: np.ndarray  # (n,) predicted class index, -1 for "none"
    share: float  # share of samples not answered "none"
    share_as_intended: float | None  # share predicted as the class they were drawn from (class source)
    best_log_likelihood: np.ndarray  # (n,) best class log-likelihood of each (re-encoded) code


def latent_box(codes: np.ndarray, *, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension (low (d,), high (d,)) bounds of the stored codes, widened by `margin` of the range."""
    codes = np.asarray(codes, dtype=np.float64)
    lo, hi = codes.min(axis=0), codes.max(axis=0)
    pad = (hi - lo) * margin
    return lo - pad, hi + pad


def draw_samples(model, source: str, n: int, *, random_state=None) -> SampleSet:
    """n latents from `source` (see SOURCES). Class samples cycle through the classes evenly."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(random_state)
    if source == "class":
        n_classes = len(model.mixture.classes_)
        intended = np.arange(n) % n_classes
        Z = np.empty((n, model.latent_dim))
        for i, c in enumerate(model.mixture.classes_):
            rows = np.flatnonzero(intended == i)
            if len(rows):
                Z[rows], _ = model.mixture.sample(c, len(rows), random_state=rng)
        return SampleSet(source, Z, intended)
    if source == "single":
        Z, _ = model.single.sample(n, random_state=rng)
        return SampleSet(source, Z, None)
    lo, hi = latent_box(model.map.codes)
    return SampleSet(source, rng.uniform(lo, hi, size=(n, len(lo))), None)


def recognise(model, samples: SampleSet, threshold: float, *, via_image: bool = False) -> Recognition:
    """Classify samples with the "none" threshold; with via_image, classify decode-then-encode instead."""
    Z = model.encode(model.decode(samples.Z)) if via_image else samples.Z
    result = model.classify(Z, reject_below=threshold)
    labels = result.labels
    share = float(np.mean(labels >= 0))
    as_intended = None if samples.intended is None else float(np.mean(labels == samples.intended))
    return Recognition(labels, share, as_intended, np.asarray(result.max_log_likelihood))
