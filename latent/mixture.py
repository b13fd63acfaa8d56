"""One Gaussian mixture per class in latent space: a classifier, a generator and a density in one.

`ClassGaussianMixture` is a scikit-learn-style estimator. `fit(Z, y)` fits one `GaussianMixture` per
class; everything else builds on the per-class log-likelihoods:

- `log_likelihoods(Z)`: log p(z | class), shape (n, n_classes);
- `predict_proba(Z)`: p(class | z) by Bayes' rule with explicit `class_prior_`, in log space;
- `predict(Z, reject_below=...)`: the most probable class, or `NONE` (-1) when no class
  log-likelihood reaches the threshold: the "none of these" answer;
- `sample(c, n, component=...)`: draws from a class mixture or from one of its components (a "style");
- `entropy()` and `kl_matrix()`: Monte Carlo estimates with standard errors, or the closed-form
  variational approximation of Hershey & Olsen (2007).

Fitting standardises the latents first (so `reg_covar` means the same whatever the latent scale),
then maps every component back to the original latent coordinates, stored as full covariances.
"""

from __future__ import annotations

import numpy as np

from . import gaussian as G
from .estimator import Estimate, Estimator, check_is_fitted, check_latents

NONE = -1  # label returned by `predict` for a rejected sample
COVARIANCE_TYPES = ("full", "diag", "tied", "spherical")


class ClassGaussianMixture(Estimator):
    """Per-class Gaussian mixtures.

    Parameters
    ----------
    n_components : int or "auto", default 6
        Components per class. "auto" picks, for each class, the number in 1..max_components with the
        lowest BIC; the curves are kept in `bic_`.
    covariance_type : {"full", "diag", "tied", "spherical"}, default "full"
    reg_covar : float, default 1e-4
        Added to the diagonal of each covariance, in standardised latent units.
    class_prior : "uniform", "empirical" or array of shape (n_classes,), default "uniform"
        The write-up normalises likelihoods, which is Bayes' rule with equal priors; "empirical"
        uses the class frequencies in `y`.
    max_components : int, default 10
        Largest number tried when n_components="auto".
    max_iter, n_init, random_state : passed to scikit-learn's GaussianMixture.

    Attributes
    ----------
    classes_ : array of shape (n_classes,)
    class_prior_ : array of shape (n_classes,)
    n_components_ : int array of shape (n_classes,)
    weights_ : array of shape (n_classes, max_k); 0 for unused slots
    means_ : array of shape (n_classes, max_k, n_latent)
    covariances_ : array of shape (n_classes, max_k, n_latent, n_latent), full matrices
    precisions_cholesky_ : same shape as covariances_
    bic_ : array of shape (n_classes, max_components) when n_components="auto", else None
    """

    def __init__(self, n_components=6, *, covariance_type="full", reg_covar=1e-4, class_prior="uniform",
                 max_components=10, max_iter=200, n_init=1, random_state=0):
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
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {self.covariance_type!r}")
        if self.n_components != "auto" and (not isinstance(self.n_components, (int, np.integer))
                                            or self.n_components < 1):
            raise ValueError(f"n_components must be a positive int or 'auto', got {self.n_components!r}")
        if not (isinstance(self.class_prior, str) and self.class_prior in ("uniform", "empirical")):
            prior = np.asarray(self.class_prior, dtype=float)
            if isinstance(self.class_prior, str) or prior.shape != (n_classes,) or np.any(prior < 0) or prior.sum() <= 0:
                raise ValueError("class_prior must be 'uniform', 'empirical' or an array of "
                                 f"{n_classes} non-negative numbers, got {self.class_prior!r}")

    def fit(self, Z, y, *, progress=None) -> "ClassGaussianMixture":
        """Fit one mixture per class. Z: (n_samples, n_latent); y: (n_samples,) class labels.

        `progress`, if given, is called as progress(done, total) after each class.
        """
        from sklearn.mixture import GaussianMixture

        Z = check_latents(Z)
        y = np.asarray(y)
        if y.shape != (Z.shape[0],):
            raise ValueError(f"y must have shape ({Z.shape[0]},), got {y.shape}")
        classes = np.unique(y)
        self._check_params(len(classes))
        center, scale = Z.mean(axis=0), Z.std(axis=0)
        scale = np.where(scale > 1e-8, scale, 1.0)
        Zs = (Z - center) / scale
        fitted, bic = [], []
        for i, c in enumerate(classes):
            Zc = Zs[y == c]
            candidates = range(1, self.max_components + 1) if self.n_components == "auto" else [self.n_components]
            best, curve = None, []
            for k in candidates:
                if len(Zc) < k:
                    if best is None:
                        raise ValueError(f"class {c!r} has {len(Zc)} samples, fewer than n_components={k}; "
                                         "reduce n_components or give more data")
                    curve.append(np.nan)
                    continue
                gmm = GaussianMixture(k, covariance_type=self.covariance_type, reg_covar=self.reg_covar,
                                      max_iter=self.max_iter, n_init=self.n_init, random_state=self.random_state)
                try:
                    gmm.fit(Zc)
                except ValueError as exc:
                    raise ValueError(f"fitting the mixture of class {c!r} failed ({exc}); increase reg_covar "
                                     "or reduce n_components") from None
                curve.append(gmm.bic(Zc))
                if best is None or curve[-1] <= min(v for v in curve if np.isfinite(v)):
                    best = gmm
            fitted.append(best)
            bic.append(curve)
            if progress is not None:
                progress(i + 1, len(classes))
        self._set_components(classes, fitted, center, scale)
        self.bic_ = np.asarray(bic, dtype=float) if self.n_components == "auto" else None
        counts = np.array([(y == c).sum() for c in classes], dtype=float)
        if isinstance(self.class_prior, str):
            prior = np.ones(len(classes)) if self.class_prior == "uniform" else counts
        else:
            prior = np.asarray(self.class_prior, dtype=float)
        self.class_prior_ = prior / prior.sum()
        self.n_features_in_ = Z.shape[1]
        return self

    def _set_components(self, classes, gmms, center, scale) -> None:
        d = len(center)
        max_k = max(g.n_components for g in gmms)
        self.classes_ = classes
        self.n_components_ = np.array([g.n_components for g in gmms])
        self.weights_ = np.zeros((len(classes), max_k))
        self.means_ = np.zeros((len(classes), max_k, d))
        self.covariances_ = np.broadcast_to(np.eye(d), (len(classes), max_k, d, d)).copy()
        for i, g in enumerate(gmms):
            k = g.n_components
            cov = full_covariances(g.covariances_, g.covariance_type, k, d)
            self.weights_[i, :k] = g.weights_
            self.means_[i, :k] = center + g.means_ * scale
            self.covariances_[i, :k] = cov * np.outer(scale, scale)
        self.precisions_cholesky_ = G.precision_cholesky(self.covariances_)

    # ------------------------------------------------------------------ inference

    def log_likelihoods(self, Z) -> np.ndarray:
        """log p(z | class) for each class, array of shape (n_samples, n_classes)."""
        check_is_fitted(self, "means_")
        Z = check_latents(Z, self.n_features_in_)
        return np.stack([G.mixture_log_pdf(Z, self.weights_[i], self.means_[i], self.precisions_cholesky_[i])
                         for i in range(len(self.classes_))], axis=1)

    def component_log_likelihoods(self, Z, class_index: int) -> np.ndarray:
        """log(w_k N(z | k)) for each component k of one class, shape (n_samples, max_k)."""
        check_is_fitted(self, "means_")
        Z = check_latents(Z, self.n_features_in_)
        i = class_index
        return G.component_log_pdf(Z, self.means_[i], self.precisions_cholesky_[i]) + G.safe_log(self.weights_[i])

    def predict_log_proba(self, Z) -> np.ndarray:
        """log p(class | z), shape (n_samples, n_classes): Bayes' rule with `class_prior_`."""
        joint = self.log_likelihoods(Z) + np.log(self.class_prior_)[None, :]
        return joint - G.logsumexp(joint, axis=1)[:, None]

    def predict_proba(self, Z) -> np.ndarray:
        """p(class | z): the normalised (prior-weighted) likelihoods; rows sum to 1."""
        return np.exp(self.predict_log_proba(Z))

    def score_samples(self, Z) -> np.ndarray:
        """log p(z) under the whole model, sum over classes weighted by the priors, shape (n_samples,)."""
        joint = self.log_likelihoods(Z) + np.log(self.class_prior_)[None, :]
        return G.logsumexp(joint, axis=1)

    def predict(self, Z, *, reject_below: float | None = None) -> np.ndarray:
        """Most probable class for each row; `NONE` (-1) where max_c log p(z | c) < reject_below."""
        ll = self.log_likelihoods(Z)
        joint = ll + np.log(self.class_prior_)[None, :]
        labels = self.classes_[np.argmax(joint, axis=1)]
        if reject_below is not None:
            labels = np.where(ll.max(axis=1) < reject_below, NONE, labels)
        return labels

    def class_index(self, c) -> int:
        check_is_fitted(self, "means_")
        hits = np.flatnonzero(self.classes_ == c)
        if len(hits) == 0:
            raise ValueError(f"unknown class {c!r}; classes are {list(self.classes_)}")
        return int(hits[0])

    def components(self, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights (k,), means (k, d), covariances (k, d, d)) of the class `c` mixture."""
        i = self.class_index(c)
        k = self.n_components_[i]
        return self.weights_[i, :k], self.means_[i, :k], self.covariances_[i, :k]

    def sample(self, c, n: int = 1, *, component: int | None = None, random_state=None):
        """n latents from the mixture of class `c`, or from one of its components.

        Returns (Z of shape (n, n_latent), component index of each draw, shape (n,)).
        """
        weights, means, covs = self.components(c)
        if component is not None and not 0 <= component < len(weights):
            raise ValueError(f"component must be in 0..{len(weights) - 1} for class {c!r}, got {component}")
        rng = np.random.default_rng(random_state)
        return G.sample_mixture(rng, n, weights, means, covs, component)

    # ------------------------------------------------------------------ measures

    def entropy(self, *, n_samples: int = 4000, random_state=0, method: str = "mc") -> Estimate:
        """Differential entropy (nats) of each class mixture, H = -E[log p(z | c)].

        method="mc" (default): Monte Carlo with `n_samples` draws, with its standard error.
        method="bound": the closed-form upper bound H(w) + sum_k w_k H(N_k) (stderr 0).
        """
        check_is_fitted(self, "means_")
        n_classes = len(self.classes_)
        if method == "bound":
            vals = []
            for c in self.classes_:
                w, _, cov = self.components(c)
                vals.append(-np.sum(w * np.log(w)) + np.sum(w * G.gaussian_entropy(cov)))
            return Estimate(np.array(vals), np.zeros(n_classes), 0, "bound")
        if method != "mc":
            raise ValueError(f"method must be 'mc' or 'bound', got {method!r}")
        rng = np.random.default_rng(random_state)
        value, stderr = np.empty(n_classes), np.empty(n_classes)
        for i, c in enumerate(self.classes_):
            w, m, cov = self.components(c)
            Z, _ = G.sample_mixture(rng, n_samples, w, m, cov)
            logp = G.mixture_log_pdf(Z, self.weights_[i], self.means_[i], self.precisions_cholesky_[i])
            value[i] = -logp.mean()
            stderr[i] = logp.std(ddof=1) / np.sqrt(n_samples)
        return Estimate(value, stderr, n_samples, "mc")

    def kl_matrix(self, *, n_samples: int = 4000, random_state=0, method: str = "mc") -> Estimate:
        """KL(p_i || p_j) between class mixtures, shape (n_classes, n_classes), in nats. Not symmetric.

        method="mc": E_{z ~ p_i}[log p_i(z) - log p_j(z)] from `n_samples` draws of each class, with
        standard errors. method="variational": the closed-form approximation of Hershey & Olsen (2007).
        """
        check_is_fitted(self, "means_")
        n_classes = len(self.classes_)
        if method == "variational":
            value = np.zeros((n_classes, n_classes))
            for i, ci in enumerate(self.classes_):
                for j, cj in enumerate(self.classes_):
                    if i != j:
                        value[i, j] = G.variational_kl(*self.components(ci), *self.components(cj))
            return Estimate(value, np.zeros_like(value), 0, "variational")
        if method != "mc":
            raise ValueError(f"method must be 'mc' or 'variational', got {method!r}")
        rng = np.random.default_rng(random_state)
        value, stderr = np.zeros((n_classes, n_classes)), np.zeros((n_classes, n_classes))
        for i, c in enumerate(self.classes_):
            w, m, cov = self.components(c)
            Z, _ = G.sample_mixture(rng, n_samples, w, m, cov)
            ll = self.log_likelihoods(Z)  # (n, C)
            diff = ll[:, [i]] - ll  # log p_i - log p_j, (n, C)
            value[i] = diff.mean(axis=0)
            stderr[i] = diff.std(axis=0, ddof=1) / np.sqrt(n_samples)
        return Estimate(value, stderr, n_samples, "mc")

    # ------------------------------------------------------------------ persistence

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Fitted state as plain arrays (for an npz file: nothing to unpickle)."""
        check_is_fitted(self, "means_")
        arrays = {"classes": self.classes_, "class_prior": self.class_prior_, "n_components": self.n_components_,
                  "weights": self.weights_, "means": self.means_, "covariances": self.covariances_}
        if self.bic_ is not None:
            arrays["bic"] = self.bic_
        return arrays

    @classmethod
    def from_arrays(cls, arrays, params: dict | None = None) -> "ClassGaussianMixture":
        model = cls(**(params or {}))
        model.classes_ = np.asarray(arrays["classes"])
        model.class_prior_ = np.asarray(arrays["class_prior"], dtype=float)
        model.n_components_ = np.asarray(arrays["n_components"], dtype=int)
        model.weights_ = np.asarray(arrays["weights"], dtype=float)
        model.means_ = np.asarray(arrays["means"], dtype=float)
        model.covariances_ = np.asarray(arrays["covariances"], dtype=float)
        model.bic_ = np.asarray(arrays["bic"], dtype=float) if "bic" in arrays else None
        model.precisions_cholesky_ = G.precision_cholesky(model.covariances_)
        model.n_features_in_ = model.means_.shape[-1]
        return model


def full_covariances(cov: np.ndarray, covariance_type: str, k: int, d: int) -> np.ndarray:
    """scikit-learn's covariances_ of any type as (k, d, d) full matrices."""
    if covariance_type == "full":
        return np.asarray(cov)
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d)).copy()
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in cov])
    if covariance_type == "spherical":
        return np.stack([np.eye(d) * v for v in cov])
    raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
