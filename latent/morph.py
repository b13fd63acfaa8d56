"""A morph from one class to another: a straight path in latent space, decoded and classified.

Pick a start and an end latent (a component mean of each class), walk the line between them, and
ask the classifier at every point: the probabilities show where the answer flips from one class to
the other, and whether the middle of the path falls in empty space ("none").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .walks import interpolate, point_at


def endpoint(mixture, c, component: int | None = None) -> np.ndarray:
    """The mean of `component` of class `c`, or of its heaviest component when None. Shape (d,)."""
    weights, means, _ = mixture.components(c)
    k = int(np.argmax(weights)) if component is None else int(component)
    if not 0 <= k < len(weights):
        raise ValueError(f"component must be in 0..{len(weights) - 1} for class {c!r}, got {component}")
    return np.asarray(means[k], dtype=np.float64).copy()


@dataclass
class Morph:
    t: np.ndarray  # (n,) positions along the path, 0 = source, 1 = target
    path: np.ndarray  # (n, d) latents
    proba: np.ndarray  # (n, n_classes) p(class | z)
    labels: np.ndarray  # (n,) predicted class index, -1 where rejected ("none")
    max_log_likelihood: np.ndarray  # (n,)

    def at(self, t: float) -> np.ndarray:
        """The latent at fraction t of the path, shape (d,)."""
        return point_at(self.path, t)


def morph(model, z0: np.ndarray, z1: np.ndarray, *, n_points: int = 51, reject_below: float | None = None) -> Morph:
    """Classify `n_points` evenly spaced latents on the straight line from z0 to z1."""
    path = interpolate(z0, z1, n_points)
    result = model.classify(path, reject_below=reject_below)
    return Morph(np.linspace(0.0, 1.0, n_points), path, result.proba, result.labels, result.max_log_likelihood)


def crossings(t: np.ndarray, labels: np.ndarray) -> list[tuple[float, int, int]]:
    """Where the predicted label changes along a path: (t midway between the two points, from, to)."""
    t, labels = np.asarray(t), np.asarray(labels)
    change = np.flatnonzero(labels[1:] != labels[:-1])
    return [(float((t[i] + t[i + 1]) / 2), int(labels[i]), int(labels[i + 1])) for i in change]
