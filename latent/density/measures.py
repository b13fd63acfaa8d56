"""Measures of fitted per-class mixtures: entropy per class and KL divergence between classes.

They take any fitted per-class mixture (a loaded `MixtureScorer`, or a fitted `ClassGaussianMixture`):
they only read `classes_`, `components(c)`, `log_likelihoods(Z)` and the stored arrays, so they stay
beside the estimator instead of inside it. Monte Carlo estimates carry their standard errors; the
closed forms (an entropy upper bound, the variational KL of Hershey & Olsen 2007) have stderr 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latent.density import gaussian as G


@dataclass
class Estimate:
    """A Monte Carlo (or closed-form) estimate with its standard error (0 for closed forms)."""

    value: np.ndarray
    stderr: np.ndarray
    n_samples: int
    method: str


def entropy(mixture, *, n_samples: int = 4000, random_state=0, method: str = "mc") -> Estimate:
    """Differential entropy (nats) of each class mixture, H = -E[log p(z | c)], shape (n_classes,).

    method="mc" (default): Monte Carlo with `n_samples` draws per class, with its standard error.
    method="bound": the closed-form upper bound H(w) + sum_k w_k H(N_k) (stderr 0).
    """
    n_classes = len(mixture.classes_)
    if method == "bound":
        vals = []
        for c in mixture.classes_:
            w, _, cov = mixture.components(c)
            vals.append(-np.sum(w * np.log(w)) + np.sum(w * G.gaussian_entropy(cov)))
        return Estimate(np.array(vals), np.zeros(n_classes), 0, "bound")
    if method != "mc":
        raise ValueError(f"method must be 'mc' or 'bound', got {method!r}")
    rng = np.random.default_rng(random_state)
    value, stderr = np.empty(n_classes), np.empty(n_classes)
    for i, c in enumerate(mixture.classes_):
        w, m, cov = mixture.components(c)
        Z, _ = G.sample_mixture(rng, n_samples, w, m, cov)
        logp = G.mixture_log_pdf(Z, mixture.weights_[i], mixture.means_[i], mixture.precisions_cholesky_[i])
        value[i] = -logp.mean()
        stderr[i] = logp.std(ddof=1) / np.sqrt(n_samples)
    return Estimate(value, stderr, n_samples, "mc")


def kl_matrix(mixture, *, n_samples: int = 4000, random_state=0, method: str = "mc") -> Estimate:
    """KL(p_i || p_j) between class mixtures, shape (n_classes, n_classes), in nats. Not symmetric.

    method="mc": E_{z ~ p_i}[log p_i(z) - log p_j(z)] from `n_samples` draws of each class, with
    standard errors. method="variational": the closed-form approximation of Hershey & Olsen (2007).
    """
    n_classes = len(mixture.classes_)
    if method == "variational":
        value = np.zeros((n_classes, n_classes))
        for i, ci in enumerate(mixture.classes_):
            for j, cj in enumerate(mixture.classes_):
                if i != j:
                    value[i, j] = G.variational_kl(*mixture.components(ci), *mixture.components(cj))
        return Estimate(value, np.zeros_like(value), 0, "variational")
    if method != "mc":
        raise ValueError(f"method must be 'mc' or 'variational', got {method!r}")
    rng = np.random.default_rng(random_state)
    value, stderr = np.zeros((n_classes, n_classes)), np.zeros((n_classes, n_classes))
    for i, c in enumerate(mixture.classes_):
        w, m, cov = mixture.components(c)
        Z, _ = G.sample_mixture(rng, n_samples, w, m, cov)
        ll = mixture.log_likelihoods(Z)  # (n, C)
        diff = ll[:, [i]] - ll  # log p_i - log p_j, (n, C)
        value[i] = diff.mean(axis=0)
        stderr[i] = diff.std(axis=0, ddof=1) / np.sqrt(n_samples)
    return Estimate(value, stderr, n_samples, "mc")
