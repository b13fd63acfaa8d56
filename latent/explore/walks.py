"""Moving through latent space: MCMC walks on a class manifold, and morphs between two points.

A walk shows a class's manifold as a movie: every step stays where the class mixture puts its mass,
so each decoded frame is a plausible member of the class, drifting from one style to another.
A morph is a path between two latents (say a "3" and an "8"); decoding its frames shows the
transition, and classifying them shows where the model's answer flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latent.density import gaussian as G

# Acceptance rates at which each sampler explores fastest, for a Gaussian-like target in many dimensions:
# 0.234 for random-walk Metropolis (Roberts, Gelman & Gilks 1997) and 0.574 for Langevin / MALA (Roberts &
# Rosenthal 1998). Efficiency stays within ~80 % of the best over a band around each (Roberts & Rosenthal 2001:
# 0.15-0.5 for Metropolis; MALA falls off faster below 0.4 and above 0.8), which the page quotes.
TARGET_ACCEPTANCE = {"mh": 0.234, "mala": 0.574}
GOOD_ACCEPTANCE = {"mh": (0.15, 0.5), "mala": (0.4, 0.8)}
METHODS = ("mh", "mala")


@dataclass
class Walk:
    path: np.ndarray  # (n_steps + 1, d) latents, the start first (rejected proposals repeat a point)
    log_density: np.ndarray  # (n_steps + 1,) log p(z | class) along the path
    acceptance_rate: float
    scale: float = float("nan")  # the proposal scale used, in units of the class's average component covariance


class _Chain:
    """One Metropolis-Hastings step on a class density, with proposals shaped like the class's average
    component covariance M = L L^T (preconditioning): z' = z + s L eps (mh), or Langevin's
    z' = z + s^2/2 M grad log p(z) + s L eps (mala), accepted with the Metropolis-Hastings ratio.

    The chain runs in whitened coordinates x = L^-1 z, where that proposal is isotropic: the same moves for
    the same noise, with a few small products a step instead of many (a 200-step walk of a 64-d class
    ~40 -> ~15 ms). There every component's whitened offset (z - mu_k) U_k is one product x A - b for all
    k at once (A = [L^T U_1 ... L^T U_K], b = [mu_1 U_1 ... mu_K U_K], U_k U_k^T = Sigma_k^-1), and the
    gradient in x is one product back. The change of coordinates is linear, so the density's values (and
    the acceptance ratio) are the same in both."""

    def __init__(self, mixture, c, method: str):
        if method not in METHODS:
            raise ValueError(f"method must be 'mh' or 'mala', got {method!r}")
        self.mixture, self.i, self.method = mixture, mixture.class_index(c), method
        weights, means, covs = mixture.components(c)
        k, d = means.shape
        self.k, self.d = k, d
        metric = np.einsum("k,kij->ij", weights, covs)  # (d, d)
        self.chol = np.linalg.cholesky(metric + 1e-9 * np.eye(d))  # L
        self.whiten = np.linalg.inv(self.chol)  # L^-1
        prec_chol = np.asarray(mixture.precisions_cholesky_[self.i, :k], dtype=np.float64)  # (k, d, d)
        self.A = np.ascontiguousarray(np.einsum("ji,kjl->ikl", self.chol, prec_chol).reshape(d, k * d))
        self.A_T = np.ascontiguousarray(self.A.T)
        self.b = np.einsum("kd,kde->ke", np.asarray(means, dtype=np.float64), prec_chol).ravel()
        self.log_norm = G.safe_log(np.asarray(weights)) + G.log_det_cholesky(prec_chol) - 0.5 * d * G.LOG_2PI

    def theory_scale(self) -> float:
        """Roberts & Rosenthal's optimal scale for a Gaussian target with covariance M: 2.38/sqrt(d) for mh,
        1.65/d^(1/3) for mala. A class mixture is not one Gaussian (its components are narrower than their
        average), so this is only where tuning starts."""
        return 2.38 / np.sqrt(self.d) if self.method == "mh" else 1.65 / self.d ** (1 / 3)

    def to_white(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=np.float64) @ self.whiten.T

    def to_latent(self, X: np.ndarray) -> np.ndarray:
        return X @ self.chol.T

    def densities(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log p(z | c) at z = L x for each row of X (n, d), shape (n,), and its gradient in x, L^T grad_z log p,
        shape (n, d), where grad_z log p = sum_k r_k(z) * -(Sigma_k^-1 (z - mu_k))."""
        n = len(X)
        white = (X @ self.A - self.b).reshape(n, self.k, self.d)
        comp = self.log_norm[None, :] - 0.5 * np.einsum("nkd,nkd->nk", white, white)  # (n, k)
        logp = G.logsumexp(comp, axis=1)
        resp = np.exp(comp - logp[:, None])
        grad = -(resp[:, :, None] * white).reshape(n, self.k * self.d) @ self.A_T
        return logp, grad

    def density(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """`densities` of one point (d,), with the fewest numpy calls: the walk's step makes one each."""
        white = (x @ self.A - self.b).reshape(self.k, self.d)
        comp = self.log_norm - 0.5 * np.einsum("kd,kd->k", white, white)
        peak = comp.max()
        if not np.isfinite(peak):
            logp, grad = self.densities(x[None, :])
            return float(logp[0]), grad[0]
        weight = np.exp(comp - peak)
        total = weight.sum()
        grad = -((weight / total)[:, None] * white).reshape(-1) @ self.A_T
        return float(peak + np.log(total)), grad

    def step(self, x, logp, grad, s: float, rng):
        """One move at scale s, in whitened coordinates: (x, logp, grad, accepted, acceptance probability)."""
        eps = rng.standard_normal(self.d)
        if self.method == "mh":
            proposal = x + s * eps
            logp_new, grad_new = self.density(proposal)
            log_alpha = logp_new - logp
        else:
            proposal = x + (0.5 * s * s) * grad + s * eps
            logp_new, grad_new = self.density(proposal)
            back = x - proposal - (0.5 * s * s) * grad_new  # the reverse move's noise, times s
            log_alpha = logp_new - logp - 0.5 * float(back @ back) / (s * s) + 0.5 * float(eps @ eps)
        alpha = float(np.exp(min(0.0, log_alpha))) if np.isfinite(log_alpha) else 0.0
        if rng.uniform() < alpha:
            return proposal, logp_new, grad_new, True, alpha
        return x, logp, grad, False, alpha


def stationary_acceptance(mixture, c, scale: float, *, method: str = "mala", n: int = 1000, random_state=0) -> float:
    """The share of moves a walk at `scale` accepts once it wanders the class density: the mean acceptance
    probability of one proposal from each of n exact draws of the class mixture."""
    chain = _Chain(mixture, c, method)
    rng = np.random.default_rng(random_state)
    Z, _ = mixture.sample(c, n, random_state=rng)
    eps = rng.standard_normal((n, chain.d))
    return float(np.mean(_batch_alpha(chain, Z, eps, scale)))


def _batch_alpha(chain: _Chain, Z: np.ndarray, eps: np.ndarray, s: float) -> np.ndarray:
    """Acceptance probability of the proposal z + (drift) + s L eps from each row of Z, shape (n,)."""
    X = chain.to_white(Z)
    logp, grad = chain.densities(X)
    if chain.method == "mh":
        logp_new, _ = chain.densities(X + s * eps)
        log_alpha = logp_new - logp
    else:
        proposal = X + 0.5 * s * s * grad + s * eps
        logp_new, grad_new = chain.densities(proposal)
        back = X - proposal - 0.5 * s * s * grad_new
        log_alpha = logp_new - logp - 0.5 * np.sum(back * back, axis=1) / (s * s) + 0.5 * np.sum(eps * eps, axis=1)
    return np.exp(np.minimum(0.0, np.nan_to_num(log_alpha, nan=-np.inf)))


def tune_scale(
    mixture, c, *, method: str = "mala", target: float | None = None, n: int = 1000, random_state=0
) -> float:
    """The proposal scale at which a walk on class `c` accepts `target` of its moves once it wanders the
    class (default: `TARGET_ACCEPTANCE[method]`, the rate at which the sampler explores fastest).

    Optimal-scaling theory is about the stationary chain, and here the stationary distribution can be
    sampled exactly (it is the class mixture): the expected acceptance at a scale is the mean acceptance
    probability of one proposal from each of n exact draws, with the same draws and proposal noise for
    every scale tried, so it is a smooth, decreasing function of the scale, solved by bisection on its log.
    The result is frozen: walks that use it are exact Markov chains for the class density. The textbook
    scales (2.38/sqrt(d), 1.65/d^(1/3) in the metric of the class's average covariance) assume one
    Gaussian; a class mixture's components are narrower than their average, and those scales accepted 12 %
    (Metropolis) and 97 % (Langevin, at the page's old default) on the MNIST model. Deterministic for a
    given random_state.
    """
    chain = _Chain(mixture, c, method)
    target = TARGET_ACCEPTANCE[method] if target is None else float(target)
    if not 0 < target < 1 or n < 10:
        raise ValueError("target must be in (0, 1) and n >= 10")
    rng = np.random.default_rng(random_state)
    Z, _ = mixture.sample(c, n, random_state=rng)
    eps = rng.standard_normal((n, chain.d))
    lo, hi = np.log(chain.theory_scale()) - 8.0, np.log(chain.theory_scale()) + 4.0
    for _ in range(60):  # bisection: the acceptance falls as the scale grows
        mid = 0.5 * (lo + hi)
        if np.mean(_batch_alpha(chain, Z, eps, float(np.exp(mid)))) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 0.01:  # the scale to 1 %
            break
    return float(np.exp(0.5 * (lo + hi)))


def mcmc_walk(
    mixture,
    c,
    n_steps: int = 100,
    *,
    step_size: float = 1.0,
    scale: float | None = None,
    start: np.ndarray | None = None,
    method: str = "mala",
    random_state=None,
) -> Walk:
    """A Markov chain whose stationary distribution is the class-`c` mixture density.

    method="mh": random-walk Metropolis-Hastings with Gaussian proposals shaped like the class's
    average component covariance. method="mala": Metropolis-adjusted Langevin, which also drifts
    along the gradient of the log density, so it heads for dense regions and mixes faster.
    The proposal scale is `step_size` times `scale`; `scale` defaults to `tune_scale(...)`, the scale at
    which this sampler accepts its known best share of moves on this class (0.234 for mh, 0.574 for
    mala), so step_size=1 is a good walk, smaller moves less, larger is rejected more.
    The walk starts at `start`, or at an exact draw from the class mixture: started in its stationary
    distribution, the chain needs no burn-in, every frame is a draw from the class, and its acceptance
    rate is the stationary one from the first step (a start at a component's mean, the density's peak,
    made the first moves all downhill: 13-19 % accepted for Metropolis instead of 23 %).
    """
    if n_steps < 1 or step_size <= 0 or (scale is not None and not scale > 0):
        raise ValueError("n_steps must be >= 1, step_size > 0 and scale > 0")
    chain = _Chain(mixture, c, method)
    if scale is None:
        scale = tune_scale(mixture, c, method=method)
    s = float(step_size * scale)
    rng = np.random.default_rng(random_state)
    if start is None:
        z = mixture.sample(c, 1, random_state=rng)[0][0].astype(np.float64)
    else:
        z = np.asarray(start, dtype=np.float64).copy()
    x = chain.to_white(z[None, :])[0]
    logp, grad = chain.density(x)
    points, moved, dens = [x], [True], [logp]  # the distinct points visited; whether each step moved
    for _ in range(n_steps):
        x, logp, grad, ok, _ = chain.step(x, logp, grad, s, rng)
        if ok:
            points.append(x)
        moved.append(ok)
        dens.append(logp)
    latents = chain.to_latent(np.asarray(points))
    latents[0] = z  # the start exactly as given
    path = latents[np.cumsum(moved) - 1]  # a rejected move repeats its point exactly
    return Walk(path, np.asarray(dens), (len(points) - 1) / n_steps, s)


def interpolate(z0: np.ndarray, z1: np.ndarray, n_frames: int = 11) -> np.ndarray:
    """Straight-line frames from z0 to z1 inclusive, shape (n_frames, d)."""
    if n_frames < 2:
        raise ValueError("n_frames must be at least 2")
    t = np.linspace(0.0, 1.0, n_frames)[:, None]
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    return (1 - t) * z0 + t * z1


def point_at(frames: np.ndarray, t: float) -> np.ndarray:
    """The latent at fraction t in [0, 1] of a path, by arc length (linear between frames)."""
    frames = np.asarray(frames, dtype=np.float64)
    seg = np.linalg.norm(np.diff(frames, axis=0), axis=1)
    total = seg.sum()
    if total == 0:
        return frames[0].copy()
    target = np.clip(t, 0, 1) * total
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    j = min(int(np.searchsorted(cum, target, side="right")) - 1, len(seg) - 1)
    frac = 0.0 if seg[j] == 0 else (target - cum[j]) / seg[j]
    return frames[j] + frac * (frames[j + 1] - frames[j])
