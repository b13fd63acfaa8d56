"""Moving through latent space: MCMC walks on a class manifold, and morphs between two points.

A walk shows a class's manifold as a movie: every step stays where the class mixture puts its mass,
so each decoded frame is a plausible member of the class, drifting from one style to another.
A morph is a path between two latents (say a "3" and an "8"); decoding its frames shows the
transition, and classifying them shows where the model's answer flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import gaussian as G


@dataclass
class Walk:
    path: np.ndarray  # (n_steps + 1, d) latents, the start first (rejected proposals repeat a point)
    log_density: np.ndarray  # (n_steps + 1,) log p(z | class) along the path
    acceptance_rate: float


def _class_log_density_and_grad(mixture, class_index: int, z: np.ndarray) -> tuple[float, np.ndarray]:
    """log p(z | c) and its gradient: sum_k r_k(z) * -(Sigma_k^-1 (z - mu_k))."""
    i = class_index
    comp = G.component_log_pdf(z[None, :], mixture.means_[i], mixture.precisions_cholesky_[i])[0] + G.safe_log(
        mixture.weights_[i])
    logp = float(G.logsumexp(comp))
    resp = np.exp(comp - logp)
    grad = np.zeros_like(z)
    for k in np.flatnonzero(resp > 1e-12):
        u = mixture.precisions_cholesky_[i, k]
        grad -= resp[k] * (u @ (u.T @ (z - mixture.means_[i, k])))
    return logp, grad


def mcmc_walk(mixture, c, n_steps: int = 100, *, step_size: float = 0.5, start: np.ndarray | None = None,
              method: str = "mala", random_state=None) -> Walk:
    """A Markov chain whose stationary distribution is the class-`c` mixture density.

    method="mh": random-walk Metropolis-Hastings with Gaussian proposals shaped like the class's
    average component covariance. method="mala": Metropolis-adjusted Langevin, which also drifts
    along the gradient of the log density, so it heads for dense regions and mixes faster.
    `step_size` is relative to a proposal scale that is near-optimal for one Gaussian component
    (1 = that scale; smaller moves less, larger is rejected more). The walk starts at `start`, or at
    the mean of the class's heaviest component.
    """
    if method not in ("mh", "mala"):
        raise ValueError(f"method must be 'mh' or 'mala', got {method!r}")
    if n_steps < 1 or step_size <= 0:
        raise ValueError("n_steps must be >= 1 and step_size > 0")
    rng = np.random.default_rng(random_state)
    i = mixture.class_index(c)
    weights, means, covs = mixture.components(c)
    d = means.shape[1]
    # Proposals are shaped like the class's average component (preconditioning), with a scale near
    # the optimum for a Gaussian target (Roberts & Rosenthal): 2.38/sqrt(d) for MH, 1.65/d^(1/3) for MALA.
    metric = np.einsum("k,kij->ij", weights, covs)  # (d, d)
    chol = np.linalg.cholesky(metric + 1e-9 * np.eye(d))
    s = step_size * (2.38 / np.sqrt(d) if method == "mh" else 1.65 / d ** (1 / 3))
    z = np.asarray(start, dtype=np.float64).copy() if start is not None else means[np.argmax(weights)].copy()
    logp, grad = _class_log_density_and_grad(mixture, i, z)
    path, dens, accepted = [z.copy()], [logp], 0

    def whiten(v):  # L^-1 v, so that |whiten(v)|^2 is the metric's Mahalanobis norm
        return np.linalg.solve(chol, v)

    for _ in range(n_steps):
        noise = s * (chol @ rng.standard_normal(d))
        if method == "mh":
            proposal = z + noise
            logp_new, grad_new = _class_log_density_and_grad(mixture, i, proposal)
            log_alpha = logp_new - logp
        else:
            # Langevin: drift 0.5 s^2 M grad, noise s L eps, with M = L L^T the metric.
            mean_fwd = z + 0.5 * s ** 2 * (metric @ grad)
            proposal = mean_fwd + noise
            logp_new, grad_new = _class_log_density_and_grad(mixture, i, proposal)
            mean_bwd = proposal + 0.5 * s ** 2 * (metric @ grad_new)
            log_q_fwd = -0.5 * np.sum(whiten(proposal - mean_fwd) ** 2) / s ** 2
            log_q_bwd = -0.5 * np.sum(whiten(z - mean_bwd) ** 2) / s ** 2
            log_alpha = logp_new - logp + log_q_bwd - log_q_fwd
        if np.log(rng.uniform()) < log_alpha:
            z, logp, grad = proposal, logp_new, grad_new
            accepted += 1
        path.append(z.copy())
        dens.append(logp)
    return Walk(np.asarray(path), np.asarray(dens), accepted / n_steps)


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
