"""The little of scikit-learn's estimator protocol the mixtures need, without importing scikit-learn.

`import sklearn.base` costs about 2 s here; a loaded model only scores and samples, so the mixture
estimators follow the protocol (`get_params`, trailing-underscore fitted attributes, a
`check_is_fitted` guard) by hand and import scikit-learn only inside `fit`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when an estimator is used before `fit` (same bases as scikit-learn's)."""


class Estimator:
    def get_params(self, deep: bool = True) -> dict:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> "Estimator":
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def check_is_fitted(estimator, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; call fit(Z, y) first")


def check_latents(Z, n_features: int | None = None) -> np.ndarray:
    """Z as a finite float64 array of shape (n_samples, n_features)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1 and n_features is not None and Z.shape[0] == n_features:
        Z = Z[None, :]
    if Z.ndim != 2:
        raise ValueError(f"expected latents of shape (n_samples, n_latent), got shape {Z.shape}")
    if n_features is not None and Z.shape[1] != n_features:
        raise ValueError(f"expected {n_features} latent dimensions, got {Z.shape[1]}")
    if not np.all(np.isfinite(Z)):
        raise ValueError("latents contain NaN or infinity")
    return Z


@dataclass
class Estimate:
    """A Monte Carlo (or closed-form) estimate with its standard error (0 for closed forms)."""

    value: np.ndarray
    stderr: np.ndarray
    n_samples: int
    method: str
