"""Probabilities that mean what they say: a temperature on the class log-likelihoods, and how to check it.

The classifier's probabilities are Bayes' rule over the per-class mixtures: p(c | z) is proportional
to prior(c) * p(z | c). In 16 dimensions the class likelihoods differ by tens of nats, so almost
every answer comes out "97 %" or more, right or wrong. Dividing the log-likelihoods by a temperature
T > 1 (Guo et al. 2017, fitted on the validation split by minimising the negative log-likelihood)
keeps every decision and makes the numbers honest; the expected calibration error (ECE) and a
reliability curve on the test split show by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_BINS = 15  # confidence bins of the ECE and the reliability diagram


def _log_softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=1, keepdims=True)
    return a - np.log(np.exp(a).sum(axis=1, keepdims=True))


def tempered_proba(log_likelihoods: np.ndarray, log_prior: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """p(class | z) of shape (n, n_classes) from log p(z | class) (n, n_classes) and log priors (n_classes,)."""
    return np.exp(_log_softmax(np.asarray(log_likelihoods, dtype=np.float64) / temperature + log_prior))


def fit_temperature(log_likelihoods: np.ndarray, y: np.ndarray, log_prior: np.ndarray) -> float:
    """The T in [0.05, 1000] that minimises the negative log-likelihood of labels y (class indices)."""
    from scipy.optimize import minimize_scalar

    ll = np.asarray(log_likelihoods, dtype=np.float64)
    y = np.asarray(y)

    def nll(log_t: float) -> float:
        return float(-_log_softmax(ll / np.exp(log_t) + log_prior)[np.arange(len(y)), y].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(1000.0)), method="bounded")
    return float(np.exp(result.x))


@dataclass
class Reliability:
    """Per confidence bin: mean confidence, accuracy and count (bins without answers are dropped)."""

    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray
    ece: float  # sum over bins of |accuracy - confidence| weighted by the share of answers in the bin


def reliability(proba: np.ndarray, y: np.ndarray, n_bins: int = N_BINS) -> Reliability:
    """How often answers given with confidence p are right, for p in `n_bins` equal bins of [0, 1]."""
    proba = np.asarray(proba)
    conf, pred = proba.max(axis=1), proba.argmax(axis=1)
    right = (pred == np.asarray(y)).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    used = count > 0
    mean_conf = np.bincount(bins, weights=conf, minlength=n_bins)[used] / count[used]
    accuracy = np.bincount(bins, weights=right, minlength=n_bins)[used] / count[used]
    ece = float(np.sum(count[used] / len(conf) * np.abs(accuracy - mean_conf)))
    return Reliability(mean_conf, accuracy, count[used], ece)
