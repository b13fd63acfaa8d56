"""One Gaussian mixture per class: a scikit-learn classifier that is also a density and a generator.

`ClassGaussianMixture` works on any numeric features (latent codes here, iris measurements in
README): in a `Pipeline`, a `GridSearchCV`, `cross_val_score`. `fit(X, y)` fits one scikit-learn
`GaussianMixture` per class; everything else builds on the per-class log-likelihoods, computed by its
numpy-only scoring core (`latent.density.scorer.MixtureScorer`, also what a loaded bundle holds):

- `predict_proba(X)`: p(class | x) by Bayes' rule with explicit `class_prior_`, in log space;
- `predict(X, reject_below=...)`: the most probable class, or `NONE` (-1) where no class
  log-likelihood reaches the threshold: the "none of these" answer;
- `score(X, y)`: accuracy (from `ClassifierMixin`); `score_samples(X)`: log p(x);
- `sample(c, n, component=...)`: draws from a class mixture or from one of its components (a "style").

Entropy and KL divergence between classes are in `latent.density.measures`. Fitting standardises the
features first (so `reg_covar` means the same whatever their scale), then maps every component back
to the original coordinates, stored as full covariances.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from latent.density import gaussian as G
from latent.density.scorer import NONE, FittedAttribute, MixtureScorer

__all__ = ["ClassGaussianMixture", "NONE"]


class ClassGaussianMixture(ClassifierMixin, BaseEstimator):
    """Per-class Gaussian mixtures.

    Parameters
    ----------
    n_components : int or "auto", default 6
        Components per class. "auto" picks, for each class, the number in 1..max_components with the
        lowest BIC; the curves are kept in `bic_`.
    covariance_type : {"full", "diag", "tied", "spherical"}, default "full"
    reg_covar : float, default 1e-2
        Added to the diagonal of each covariance, in standardised feature units (the value the
        training pipeline uses).
    class_prior : "uniform", "empirical" or array of shape (n_classes,), default "uniform"
        The write-up normalises likelihoods, which is Bayes' rule with equal priors; "empirical"
        uses the class frequencies in `y`.
    max_components : int, default 10
        Largest number tried when n_components="auto".
    max_iter, n_init, random_state : passed to scikit-learn's GaussianMixture.

    Attributes
    ----------
    classes_ : array of shape (n_classes,), any labels (ints, strings ...)
    class_prior_ : array of shape (n_classes,)
    n_components_ : int array of shape (n_classes,)
    weights_ : array of shape (n_classes, max_k); 0 for unused slots
    means_ : array of shape (n_classes, max_k, n_features)
    covariances_ : array of shape (n_classes, max_k, n_features, n_features), full matrices
    precisions_cholesky_ : same shape as covariances_
    bic_ : array of shape (n_classes, max_components) when n_components="auto", else None
    n_features_in_ : int
    n_iter_ : int array of shape (n_classes,)
        EM iterations of each class's chosen mixture (set by `fit`; not stored in a bundle).
    scorer_ : MixtureScorer holding the arrays above; the attributes read through to it
    """

    classes_ = FittedAttribute()
    class_prior_ = FittedAttribute()
    n_components_ = FittedAttribute()
    weights_ = FittedAttribute()
    means_ = FittedAttribute()
    covariances_ = FittedAttribute()
    precisions_cholesky_ = FittedAttribute()
    bic_ = FittedAttribute()

    def __init__(
        self,
        n_components=6,
        *,
        covariance_type="full",
        reg_covar=G.REG_COVAR,
        class_prior="uniform",
        max_components=10,
        max_iter=200,
        n_init=1,
        random_state=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.class_prior = class_prior
        self.max_components = max_components
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def _check_params(self, n_classes: int) -> None:
        if self.covariance_type not in G.COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {G.COVARIANCE_TYPES}, got {self.covariance_type!r}")
        if self.n_components != "auto" and (
            not isinstance(self.n_components, int | np.integer) or self.n_components < 1
        ):
            raise ValueError(f"n_components must be a positive int or 'auto', got {self.n_components!r}")
        if not (isinstance(self.class_prior, str) and self.class_prior in ("uniform", "empirical")):
            prior = np.asarray(self.class_prior, dtype=float)
            if (
                isinstance(self.class_prior, str)
                or prior.shape != (n_classes,)
                or np.any(prior < 0)
                or prior.sum() <= 0
            ):
                raise ValueError(
                    "class_prior must be 'uniform', 'empirical' or an array of "
                    f"{n_classes} non-negative numbers, got {self.class_prior!r}"
                )

    def fit(self, X, y, *, progress=None) -> ClassGaussianMixture:
        """Fit one mixture per class. X: array of shape (n_samples, n_features); y: (n_samples,) labels.

        `progress`, if given, is called as progress(done, total) after each class.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        self._check_params(len(classes))
        center, scale = G.standardisation(X)
        Xs = (X - center) / scale
        fitted, bic = [], []
        for i, c in enumerate(classes):
            best, curve = self._fit_class(Xs[y_index == i], c)
            fitted.append(best)
            bic.append(curve)
            if progress is not None:
                progress(i + 1, len(classes))
        counts = np.bincount(y_index, minlength=len(classes)).astype(float)
        if isinstance(self.class_prior, str):
            prior = np.ones(len(classes)) if self.class_prior == "uniform" else counts
        else:
            prior = np.asarray(self.class_prior, dtype=float)
        weights, means, covariances = _pack(fitted, center, scale)
        self.n_iter_ = np.array([g.n_iter_ for g in fitted])
        self.scorer_ = MixtureScorer(
            classes,
            prior / prior.sum(),
            [g.n_components for g in fitted],
            weights,
            means,
            covariances,
            np.asarray(bic, dtype=float) if self.n_components == "auto" else None,
        )
        return self

    def _fit_class(self, Xc: np.ndarray, c):
        """(the GaussianMixture with the lowest BIC, the BIC of each size tried) for one class's rows."""
        from sklearn.mixture import GaussianMixture

        candidates = range(1, self.max_components + 1) if self.n_components == "auto" else [self.n_components]
        best, curve = None, []
        for k in candidates:
            if len(Xc) < k:
                if best is None:
                    raise ValueError(
                        f"class {c!r} has {len(Xc)} samples, fewer than n_components={k}; "
                        "reduce n_components or give more data"
                    )
                curve.append(np.nan)
                continue
            gmm = GaussianMixture(
                k,
                covariance_type=self.covariance_type,
                reg_covar=self.reg_covar,
                max_iter=self.max_iter,
                n_init=self.n_init,
                random_state=self.random_state,
            )
            try:
                gmm.fit(Xc)
            except ValueError as exc:
                raise ValueError(
                    f"fitting the mixture of class {c!r} failed ({exc}); increase reg_covar or reduce n_components"
                ) from None
            curve.append(gmm.bic(Xc))
            if best is None or curve[-1] <= min(v for v in curve if np.isfinite(v)):
                best = gmm
        return best, curve

    # ------------------------------------------------------------------ inference (the scoring core's)

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def log_likelihoods(self, X) -> np.ndarray:
        """log p(x | class) for each class, array of shape (n_samples, n_classes)."""
        X = self._validated(X)
        return self.scorer_.log_likelihoods(X)

    def component_log_likelihoods(self, X, class_index: int) -> np.ndarray:
        """log(w_k N(x | k)) for each component k of the class at `class_index`, shape (n_samples, max_k)."""
        X = self._validated(X)
        return self.scorer_.component_log_likelihoods(X, class_index)

    def predict_log_proba(self, X) -> np.ndarray:
        """log p(class | x), shape (n_samples, n_classes): Bayes' rule with `class_prior_`."""
        X = self._validated(X)
        return self.scorer_.predict_log_proba(X)

    def predict_proba(self, X) -> np.ndarray:
        """p(class | x): the normalised (prior-weighted) likelihoods, shape (n_samples, n_classes)."""
        X = self._validated(X)
        return self.scorer_.predict_proba(X)

    def score_samples(self, X) -> np.ndarray:
        """log p(x) under the whole model (classes weighted by their priors), shape (n_samples,)."""
        X = self._validated(X)
        return self.scorer_.score_samples(X)

    def predict(self, X, *, reject_below: float | None = None) -> np.ndarray:
        """Most probable class of each row, shape (n_samples,); `NONE` (-1) where max_c log p(x | c) < reject_below."""
        X = self._validated(X)
        return self.scorer_.predict(X, reject_below=reject_below)

    def components(self, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights (k,), means (k, d), covariances (k, d, d)) of the class-`c` mixture."""
        check_is_fitted(self)
        return self.scorer_.components(c)

    def class_index(self, c) -> int:
        check_is_fitted(self)
        return self.scorer_.class_index(c)

    def sample(self, c, n: int = 1, *, component: int | None = None, random_state=None):
        """n draws from the mixture of class `c`, or from one of its components (a "style").

        Returns (X of shape (n, n_features), component index of each draw, shape (n,)).
        """
        check_is_fitted(self)
        return self.scorer_.sample(c, n, component=component, random_state=random_state)

    # ------------------------------------------------------------------ persistence

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Fitted state as plain arrays (for an npz file: nothing to unpickle)."""
        check_is_fitted(self)
        return self.scorer_.to_arrays()

    @classmethod
    def from_arrays(cls, arrays, params: dict | None = None) -> ClassGaussianMixture:
        """A fitted estimator from `to_arrays()` output (and its constructor arguments)."""
        model = cls(**(params or {}))
        model.scorer_ = MixtureScorer.from_arrays(arrays)
        model.n_features_in_ = model.scorer_.n_features_in_
        return model


def _pack(gmms, center: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights (C, max_k), means (C, max_k, d), full covariances (C, max_k, d, d)) in the original units.

    Unused component slots get weight 0, mean 0 and the identity covariance.
    """
    d, max_k = len(center), max(g.n_components for g in gmms)
    weights = np.zeros((len(gmms), max_k))
    means = np.zeros((len(gmms), max_k, d))
    covariances = np.broadcast_to(np.eye(d), (len(gmms), max_k, d, d)).copy()
    for i, g in enumerate(gmms):
        k = g.n_components
        weights[i, :k] = g.weights_
        means[i, :k] = center + g.means_ * scale
        covariances[i, :k] = G.full_covariances(g.covariances_, g.covariance_type, k, d) * np.outer(scale, scale)
    return weights, means, covariances
