"""The numpy-only scoring cores of the two mixture classifiers: what a loaded bundle scores with.

`import sklearn.base` costs about 2 s here (more on a busy machine), and a loaded model only needs
log-densities, Bayes' rule and draws from stored arrays. So `LatentModel` holds these cores, built
from the bundle's npz arrays, and never imports scikit-learn; the scikit-learn estimators
(`latent.density.mixture.ClassGaussianMixture`, `latent.density.single_mixture.SingleGaussianMixture`) fit with
scikit-learn and hand their inference to the same cores. A core is fitted from birth: it is made from
fitted arrays, never trained.
"""

from __future__ import annotations

import numpy as np

from latent.density import gaussian as G

NONE = -1  # label `predict` returns for a rejected sample (the "none of these" answer)


def check_latents(Z, n_features: int) -> np.ndarray:
    """Z as a finite float64 array of shape (n_samples, n_features); one row may be given as (n_features,)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1 and Z.shape[0] == n_features:
        Z = Z[None, :]
    if Z.ndim != 2:
        raise ValueError(f"expected latents of shape (n_samples, n_latent), got shape {Z.shape}")
    if Z.shape[1] != n_features:
        raise ValueError(f"expected {n_features} latent dimensions, got {Z.shape[1]}")
    if not np.all(np.isfinite(Z)):
        raise ValueError("latents contain NaN or infinity")
    return Z


class FittedAttribute:
    """A fitted attribute of an estimator, read from its scoring core `scorer_` (scikit-learn's
    NotFittedError, an AttributeError, before `fit`: `hasattr` says False, as scikit-learn expects)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, estimator, owner=None):
        if estimator is None:
            return self
        scorer = estimator.__dict__.get("scorer_")
        if scorer is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; call fit(X, y) first")
        return getattr(scorer, self.name)


class MixtureScorer:
    """Fitted per-class Gaussian mixtures: log p(z | class), p(class | z) by Bayes' rule, and draws.

    Parameters (the arrays of mixture.npz; `max_k` is the largest number of components of a class)
    ----------
    classes : array of shape (n_classes,)
    class_prior : array of shape (n_classes,), summing to 1
    n_components : int array of shape (n_classes,)
    weights : array of shape (n_classes, max_k); 0 for unused slots
    means : array of shape (n_classes, max_k, n_latent)
    covariances : array of shape (n_classes, max_k, n_latent, n_latent), full matrices
    bic : array of shape (n_classes, max_components), or None

    Attributes are the parameters with a trailing underscore (`classes_`, `weights_` ...), plus
    `precisions_cholesky_` (same shape as `covariances_`) and `n_features_in_`.
    """

    def __init__(self, classes, class_prior, n_components, weights, means, covariances, bic=None):
        self.classes_ = np.asarray(classes)
        self.class_prior_ = np.asarray(class_prior, dtype=float)
        self.n_components_ = np.asarray(n_components, dtype=int)
        self.weights_ = np.asarray(weights, dtype=float)
        self.means_ = np.asarray(means, dtype=float)
        self.covariances_ = np.asarray(covariances, dtype=float)
        self.bic_ = None if bic is None else np.asarray(bic, dtype=float)
        self.precisions_cholesky_ = G.precision_cholesky(self.covariances_)
        self.n_features_in_ = self.means_.shape[-1]

    @classmethod
    def from_arrays(cls, arrays) -> MixtureScorer:
        """The core stored in a mixture.npz (read with allow_pickle=False)."""
        return cls(
            arrays["classes"],
            arrays["class_prior"],
            arrays["n_components"],
            arrays["weights"],
            arrays["means"],
            arrays["covariances"],
            arrays["bic"] if "bic" in arrays else None,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays, for an npz file: nothing to unpickle."""
        arrays = {
            "classes": self.classes_,
            "class_prior": self.class_prior_,
            "n_components": self.n_components_,
            "weights": self.weights_,
            "means": self.means_,
            "covariances": self.covariances_,
        }
        if self.bic_ is not None:
            arrays["bic"] = self.bic_
        return arrays

    # ------------------------------------------------------------------ scores

    def log_likelihoods(self, Z) -> np.ndarray:
        """log p(z | class) for each class, array of shape (n_samples, n_classes).

        Every component of a class in one matrix product (`G.all_component_log_pdf`), rows in blocks of
        `G.ROWS_PER_STEP`: one drawing's answer asks this once or twice, and 60 small per-component
        steps cost ~3 ms where this costs a tenth of that."""
        Z = check_latents(Z, self.n_features_in_)
        log_weights = G.safe_log(self.weights_)[None]  # (1, n_classes, max_k); unused slots -inf
        out = np.empty((len(Z), len(self.classes_)))
        for start in range(0, len(Z), G.ROWS_PER_STEP):
            block = G.all_component_log_pdf(Z[start : start + G.ROWS_PER_STEP], self.means_, self.precisions_cholesky_)
            out[start : start + G.ROWS_PER_STEP] = G.logsumexp(block + log_weights, axis=2)
        return out

    def component_log_likelihoods(self, Z, class_index: int) -> np.ndarray:
        """log(w_k N(z | k)) for each component k of one class, shape (n_samples, max_k)."""
        Z = check_latents(Z, self.n_features_in_)
        i = class_index
        return G.component_log_pdf(Z, self.means_[i], self.precisions_cholesky_[i]) + G.safe_log(self.weights_[i])

    def joint_log_likelihoods(self, log_likelihoods: np.ndarray) -> np.ndarray:
        """log p(z, class) = log p(z | class) + log prior, from `log_likelihoods(Z)` (no second pass over Z)."""
        return log_likelihoods + np.log(self.class_prior_)[None, :]

    def log_posterior(self, log_likelihoods: np.ndarray) -> np.ndarray:
        """log p(class | z) by Bayes' rule with `class_prior_`, from `log_likelihoods(Z)`; rows sum to 1 in exp."""
        joint = self.joint_log_likelihoods(log_likelihoods)
        return joint - G.logsumexp(joint, axis=1)[:, None]

    def predict_log_proba(self, Z) -> np.ndarray:
        """log p(class | z), shape (n_samples, n_classes)."""
        return self.log_posterior(self.log_likelihoods(Z))

    def predict_proba(self, Z) -> np.ndarray:
        """p(class | z): the normalised (prior-weighted) likelihoods, shape (n_samples, n_classes)."""
        return np.exp(self.predict_log_proba(Z))

    def score_samples(self, Z) -> np.ndarray:
        """log p(z) under the whole model (classes weighted by their priors), shape (n_samples,)."""
        return G.logsumexp(self.joint_log_likelihoods(self.log_likelihoods(Z)), axis=1)

    def predict(self, Z, *, reject_below: float | None = None) -> np.ndarray:
        """Most probable class of each row; `NONE` (-1) where max_c log p(z | c) < reject_below."""
        ll = self.log_likelihoods(Z)
        labels = self.classes_[np.argmax(self.joint_log_likelihoods(ll), axis=1)]
        if reject_below is not None:
            labels = np.where(ll.max(axis=1) < reject_below, NONE, labels)
        return labels

    # ------------------------------------------------------------------ classes, components, draws

    def class_index(self, c) -> int:
        """Position of class label `c` in `classes_`."""
        hits = np.flatnonzero(self.classes_ == c)
        if len(hits) == 0:
            raise ValueError(f"unknown class {c!r}; classes are {list(self.classes_)}")
        return int(hits[0])

    def components(self, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights (k,), means (k, d), covariances (k, d, d)) of the class-`c` mixture."""
        i = self.class_index(c)
        k = self.n_components_[i]
        return self.weights_[i, :k], self.means_[i, :k], self.covariances_[i, :k]

    def sample(self, c, n: int = 1, *, component: int | None = None, random_state=None):
        """n latents from the mixture of class `c`, or from one of its components (a "style").

        Returns (Z of shape (n, n_latent), component index of each draw, shape (n,)).
        """
        weights, means, covs = self.components(c)
        if component is not None and not 0 <= component < len(weights):
            raise ValueError(f"component must be in 0..{len(weights) - 1} for class {c!r}, got {component}")
        rng = np.random.default_rng(random_state)
        return G.sample_mixture(rng, n, weights, means, covs, component)

    # ------------------------------------------------------------------ measures (in latent.density.measures)

    def entropy(self, **options):
        """`latent.density.measures.entropy(self, **options)`, kept for callers that read it from the model."""
        from latent.density.measures import entropy

        return entropy(self, **options)

    def kl_matrix(self, **options):
        """`latent.density.measures.kl_matrix(self, **options)`, kept for callers that read it from the model."""
        from latent.density.measures import kl_matrix

        return kl_matrix(self, **options)


class SingleMixtureScorer:
    """One fitted mixture for all classes, its components labelled by p(class | component).

    Parameters (the arrays of single_mixture.npz)
    ----------
    classes : array of shape (n_classes,)
    weights : array of shape (k,)
    means : array of shape (k, n_latent)
    covariances : array of shape (k, n_latent, n_latent), full matrices
    class_given_component : array of shape (k, n_classes), rows summing to 1

    Attributes are the parameters with a trailing underscore, plus `precisions_cholesky_` and `n_features_in_`.
    """

    def __init__(self, classes, weights, means, covariances, class_given_component):
        self.classes_ = np.asarray(classes)
        self.weights_ = np.asarray(weights, dtype=float)
        self.means_ = np.asarray(means, dtype=float)
        self.covariances_ = np.asarray(covariances, dtype=float)
        self.class_given_component_ = np.asarray(class_given_component, dtype=float)
        self.precisions_cholesky_ = G.precision_cholesky(self.covariances_)
        self.n_features_in_ = self.means_.shape[-1]

    @classmethod
    def from_arrays(cls, arrays) -> SingleMixtureScorer:
        """The core stored in a single_mixture.npz (read with allow_pickle=False)."""
        return cls(
            arrays["classes"],
            arrays["weights"],
            arrays["means"],
            arrays["covariances"],
            arrays["class_given_component"],
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "classes": self.classes_,
            "weights": self.weights_,
            "means": self.means_,
            "covariances": self.covariances_,
            "class_given_component": self.class_given_component_,
        }

    def responsibilities(self, Z) -> np.ndarray:
        """p(component | z), shape (n_samples, n_components)."""
        Z = check_latents(Z, self.n_features_in_)
        joint = G.component_log_pdf(Z, self.means_, self.precisions_cholesky_) + G.safe_log(self.weights_)
        return np.exp(joint - G.logsumexp(joint, axis=1)[:, None])

    def score_samples(self, Z) -> np.ndarray:
        """log p(z), shape (n_samples,)."""
        Z = check_latents(Z, self.n_features_in_)
        return G.mixture_log_pdf(Z, self.weights_, self.means_, self.precisions_cholesky_)

    def predict_proba(self, Z) -> np.ndarray:
        """p(class | z) = sum_k p(k | z) p(class | k), shape (n_samples, n_classes)."""
        return self.responsibilities(Z) @ self.class_given_component_

    def predict(self, Z) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(Z), axis=1)]

    def sample(self, n: int = 1, *, random_state=None):
        """(Z (n, d), component index (n,)) drawn from the whole mixture."""
        rng = np.random.default_rng(random_state)
        return G.sample_mixture(rng, n, self.weights_, self.means_, self.covariances_)
