"""One Gaussian mixture for all classes: the baseline the write-up compares against.

The mixture is fitted without labels; each component is then labelled by the classes of the training
points it is responsible for, p(class | component). A new point is classified through its
responsibilities: p(class | z) = sum_k p(k | z) p(class | k). Its samples mix all classes, and its
components need not align with classes, which is why one mixture per class does better.
"""

from __future__ import annotations

import numpy as np

from . import gaussian as G
from .estimator import Estimator, check_is_fitted, check_latents


class SingleGaussianMixture(Estimator):
    """Parameters: n_components (None = one per class), covariance_type, reg_covar, max_iter, random_state.

    Attributes: classes_, weights_ (k,), means_ (k, d), covariances_ (k, d, d) full,
    precisions_cholesky_, class_given_component_ (k, n_classes).
    """

    def __init__(self, n_components=None, *, covariance_type="full", reg_covar=1e-4, max_iter=200, random_state=0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, Z, y) -> "SingleGaussianMixture":
        from sklearn.mixture import GaussianMixture

        from .mixture import full_covariances

        Z = check_latents(Z)
        y = np.asarray(y)
        classes = np.unique(y)
        k = self.n_components or len(classes)
        center, scale = Z.mean(axis=0), Z.std(axis=0)
        scale = np.where(scale > 1e-8, scale, 1.0)
        gmm = GaussianMixture(k, covariance_type=self.covariance_type, reg_covar=self.reg_covar,
                              max_iter=self.max_iter, random_state=self.random_state)
        try:
            gmm.fit((Z - center) / scale)
        except ValueError as exc:
            raise ValueError(f"fitting the single mixture failed ({exc}); increase reg_covar or reduce "
                             "n_components") from None
        d = Z.shape[1]
        self.classes_ = classes
        self.weights_ = gmm.weights_
        self.means_ = center + gmm.means_ * scale
        self.covariances_ = full_covariances(gmm.covariances_, self.covariance_type, k, d) * np.outer(scale, scale)
        self.precisions_cholesky_ = G.precision_cholesky(self.covariances_)
        self.n_features_in_ = d
        resp = self.responsibilities(Z)  # (n, k)
        onehot = (y[:, None] == classes[None, :]).astype(float)  # (n, C)
        counts = resp.T @ onehot + 1e-3  # (k, C), lightly smoothed
        self.class_given_component_ = counts / counts.sum(axis=1, keepdims=True)
        return self

    def responsibilities(self, Z) -> np.ndarray:
        """p(component | z), shape (n_samples, n_components)."""
        check_is_fitted(self, "means_")
        Z = check_latents(Z, self.n_features_in_)
        joint = G.component_log_pdf(Z, self.means_, self.precisions_cholesky_) + G.safe_log(self.weights_)
        return np.exp(joint - G.logsumexp(joint, axis=1)[:, None])

    def score_samples(self, Z) -> np.ndarray:
        """log p(z), shape (n_samples,)."""
        check_is_fitted(self, "means_")
        Z = check_latents(Z, self.n_features_in_)
        return G.mixture_log_pdf(Z, self.weights_, self.means_, self.precisions_cholesky_)

    def predict_proba(self, Z) -> np.ndarray:
        return self.responsibilities(Z) @ self.class_given_component_

    def predict(self, Z) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(Z), axis=1)]

    def sample(self, n: int = 1, *, random_state=None):
        """(Z (n, d), component index (n,)) drawn from the whole mixture."""
        check_is_fitted(self, "means_")
        rng = np.random.default_rng(random_state)
        return G.sample_mixture(rng, n, self.weights_, self.means_, self.covariances_)

    def to_arrays(self) -> dict[str, np.ndarray]:
        check_is_fitted(self, "means_")
        return {"classes": self.classes_, "weights": self.weights_, "means": self.means_,
                "covariances": self.covariances_, "class_given_component": self.class_given_component_}

    @classmethod
    def from_arrays(cls, arrays, params: dict | None = None) -> "SingleGaussianMixture":
        model = cls(**(params or {}))
        model.classes_ = np.asarray(arrays["classes"])
        model.weights_ = np.asarray(arrays["weights"], dtype=float)
        model.means_ = np.asarray(arrays["means"], dtype=float)
        model.covariances_ = np.asarray(arrays["covariances"], dtype=float)
        model.class_given_component_ = np.asarray(arrays["class_given_component"], dtype=float)
        model.precisions_cholesky_ = G.precision_cholesky(model.covariances_)
        model.n_features_in_ = model.means_.shape[-1]
        return model
