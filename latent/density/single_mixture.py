"""One Gaussian mixture for all classes: the baseline the write-up compares against.

The mixture is fitted without labels; each component is then labelled by the classes of the training
points it is responsible for, p(class | component). A new point is classified through its
responsibilities: p(class | x) = sum_k p(k | x) p(class | k). Its samples mix all classes, and its
components need not align with classes, which is why one mixture per class does better. Like
`ClassGaussianMixture` it is a scikit-learn classifier whose inference is a numpy-only core
(`latent.density.scorer.SingleMixtureScorer`, what a loaded bundle holds).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from latent.density import gaussian as G
from latent.density.scorer import FittedAttribute, SingleMixtureScorer


class SingleGaussianMixture(ClassifierMixin, BaseEstimator):
    """One mixture for all classes, its components labelled afterwards.

    Parameters
    ----------
    n_components : int or None, default None (one per class)
    covariance_type : {"full", "diag", "tied", "spherical"}, default "full"
    reg_covar : float, default 1e-2, in standardised feature units
    max_iter, random_state : passed to scikit-learn's GaussianMixture.

    Attributes
    ----------
    classes_ : array of shape (n_classes,)
    weights_ : array of shape (k,)
    means_ : array of shape (k, n_features)
    covariances_ : array of shape (k, n_features, n_features), full matrices
    precisions_cholesky_ : same shape as covariances_
    class_given_component_ : array of shape (k, n_classes)
    n_features_in_ : int
    n_iter_ : int, EM iterations (set by `fit`; not stored in a bundle)
    scorer_ : SingleMixtureScorer holding the arrays above; the attributes read through to it
    """

    def __init__(
        self, n_components=None, *, covariance_type="full", reg_covar=G.REG_COVAR, max_iter=200, random_state=0
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state

    classes_ = FittedAttribute()
    weights_ = FittedAttribute()
    means_ = FittedAttribute()
    covariances_ = FittedAttribute()
    precisions_cholesky_ = FittedAttribute()
    class_given_component_ = FittedAttribute()

    def fit(self, X, y) -> SingleGaussianMixture:
        """Fit the mixture to X (n_samples, n_features) without y, then label its components with y (n_samples,)."""
        from sklearn.mixture import GaussianMixture

        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        k = self.n_components or len(classes)
        center, scale = G.standardisation(X)
        gmm = GaussianMixture(
            k,
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        try:
            gmm.fit((X - center) / scale)
        except ValueError as exc:
            raise ValueError(
                f"fitting the single mixture failed ({exc}); increase reg_covar or reduce n_components"
            ) from None
        self.n_iter_ = gmm.n_iter_
        d = X.shape[1]
        means = center + gmm.means_ * scale
        covariances = G.full_covariances(gmm.covariances_, self.covariance_type, k, d) * np.outer(scale, scale)
        onehot = np.eye(len(classes))[y_index]  # (n, C)
        unlabelled = SingleMixtureScorer(classes, gmm.weights_, means, covariances, np.ones((k, len(classes))))
        counts = unlabelled.responsibilities(X).T @ onehot + 1e-3  # (k, C), lightly smoothed
        self.scorer_ = SingleMixtureScorer(
            classes, gmm.weights_, means, covariances, counts / counts.sum(axis=1, keepdims=True)
        )
        return self

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def responsibilities(self, X) -> np.ndarray:
        """p(component | x), shape (n_samples, n_components)."""
        X = self._validated(X)
        return self.scorer_.responsibilities(X)

    def score_samples(self, X) -> np.ndarray:
        """log p(x), shape (n_samples,)."""
        X = self._validated(X)
        return self.scorer_.score_samples(X)

    def predict_proba(self, X) -> np.ndarray:
        """p(class | x) = sum_k p(k | x) p(class | k), shape (n_samples, n_classes)."""
        X = self._validated(X)
        return self.scorer_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row, shape (n_samples,)."""
        X = self._validated(X)
        return self.scorer_.predict(X)

    def sample(self, n: int = 1, *, random_state=None):
        """(X (n, d), component index (n,)) drawn from the whole mixture."""
        check_is_fitted(self)
        return self.scorer_.sample(n, random_state=random_state)

    def to_arrays(self) -> dict[str, np.ndarray]:
        check_is_fitted(self)
        return self.scorer_.to_arrays()

    @classmethod
    def from_arrays(cls, arrays, params: dict | None = None) -> SingleGaussianMixture:
        model = cls(**(params or {}))
        model.scorer_ = SingleMixtureScorer.from_arrays(arrays)
        model.n_features_in_ = model.scorer_.n_features_in_
        return model
