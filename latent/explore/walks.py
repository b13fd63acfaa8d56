"""Moving through latent space: MCMC walks on a class manifold, and morphs between two points.

A walk shows a class's manifold as a movie: every step stays where the class mixture puts its mass,
so each decoded frame is a plausible member of the class, drifting from one style to another.
A morph is a path between two latents (say a "3" and an "8"); decoding its frames shows the
transition, and classifying them shows where the model's answer flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

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
    scale: float = float("nan")  # the proposal scale used, in units of the proposal's local covariance (`_Chain`)


# Responsibility above which a point counts as inside one component: its proposal is then shaped by that
# component alone (precomputed factors, no factorisation per step). A fixed function of the point either way,
# so the chain stays exact.
INSIDE = 0.999


@dataclass
class _Shape:
    """The proposal's covariance at one point, M = L L^T, and what a step needs of it."""

    metric: np.ndarray  # (d, d) M, the drift's metric
    chol: np.ndarray  # (d, d) L, the noise's shape
    log_det: float  # log |L|
    prec_chol: np.ndarray | None  # (d, d) U with U U^T = M^-1 when M is one component's (else solve with L)

    def whitened(self, v: np.ndarray) -> np.ndarray:
        """L^-1 v, as a row: its squared norm is v's in the metric M^-1."""
        if self.prec_chol is not None:
            return v @ self.prec_chol
        return lapack.dtrtrs(self.chol, v, lower=1)[0]  # LAPACK directly: numpy's solve costs 8x more for one vector


class _Chain:
    """One Metropolis-Hastings step on a class density, with proposals shaped by where the walk is: the
    covariance M(z) = sum_k r_k(z) Sigma_k of the class's components, weighted by how much each explains z
    (inside a component, that component's covariance; between two, a blend). With M(z) = L L^T:
    z' = z + s L eps (mh), or Langevin's z' = z + s^2/2 M(z) grad log p(z) + s L eps (mala), accepted with
    the Metropolis-Hastings ratio, whose proposal densities differ both ways (the reverse move is shaped
    at z').

    A class mixture's components differ in width (in 64 dimensions their volumes differ enormously): one
    shape for the whole class, their average covariance, moved freely in the wide components and was nearly
    always refused in the narrow ones, so one 200-step walk on a clothes class accepted from 0 % to 95 % of
    its moves depending on where it started (half of them outside the sampler's good range). Shaped at
    the walk's point, walks accept about the same share everywhere; the blend between components (not
    just the nearest one's shape) keeps the larger moves that carry a walk from one style to the next.

    Every component's whitened offset (z - mu_k) U_k (U_k U_k^T = Sigma_k^-1) comes from one product
    z A - b for all k at once (A = [U_1 ... U_K], b = [mu_1 U_1 ... mu_K U_K]), and the gradient from one
    product back."""

    def __init__(self, mixture, c, method: str):
        if method not in METHODS:
            raise ValueError(f"method must be 'mh' or 'mala', got {method!r}")
        self.method = method
        weights, means, _ = mixture.components(c)
        k, d = means.shape
        self.k, self.d = k, d
        prec_chol = np.asarray(mixture.precisions_cholesky_[mixture.class_index(c), :k], dtype=np.float64)  # (k, d, d)
        self.prec_chol = prec_chol
        self.A = np.ascontiguousarray(prec_chol.transpose(1, 0, 2).reshape(d, k * d))
        self.A_T = np.ascontiguousarray(self.A.T)
        self.b = np.einsum("kd,kde->ke", np.asarray(means, dtype=np.float64), prec_chol).ravel()
        log_det_u = G.log_det_cholesky(prec_chol)  # (k,) log |U_k| = -log |L_k|
        self.log_norm = G.safe_log(np.asarray(weights)) + log_det_u - 0.5 * d * G.LOG_2PI
        # Sigma_k = L_k L_k^T with L_k = U_k^-T: the covariances the density uses, to the last bit
        chol = np.ascontiguousarray(np.linalg.inv(prec_chol).transpose(0, 2, 1))
        self.cov = chol @ chol.transpose(0, 2, 1)  # (k, d, d)
        self.inside = [_Shape(self.cov[j], chol[j], float(-log_det_u[j]), prec_chol[j]) for j in range(k)]

    def theory_scale(self) -> float:
        """Roberts & Rosenthal's optimal scale for a Gaussian target whose covariance the proposal matches:
        2.38/sqrt(d) for mh, 1.65/d^(1/3) for mala; tuning starts there."""
        return 2.38 / np.sqrt(self.d) if self.method == "mh" else 1.65 / self.d ** (1 / 3)

    def shape(self, resp: np.ndarray) -> _Shape:
        """The proposal's covariance at a point whose component responsibilities are `resp` (k,)."""
        top = int(np.argmax(resp))
        if resp[top] > INSIDE:
            return self.inside[top]
        metric = (resp @ self.cov.reshape(self.k, -1)).reshape(self.d, self.d)
        chol, info = lapack.dpotrf(metric, lower=1, clean=1)  # a weighted sum of covariances: positive definite
        if info != 0:
            raise np.linalg.LinAlgError(f"blended proposal covariance is not positive definite (LAPACK info {info})")
        return _Shape(metric, chol, float(np.log(np.diag(chol)).sum()), None)

    def densities(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log p(z | c) for each row of Z (n, d), shape (n,); its gradient sum_k r_k(z) * -(Sigma_k^-1 (z - mu_k)),
        shape (n, d); and the responsibilities r_k(z), shape (n, k)."""
        n = len(Z)
        white = (Z @ self.A - self.b).reshape(n, self.k, self.d)
        comp = self.log_norm[None, :] - 0.5 * np.einsum("nkd,nkd->nk", white, white)  # (n, k)
        logp = G.logsumexp(comp, axis=1)
        resp = np.exp(comp - logp[:, None])
        grad = -(resp[:, :, None] * white).reshape(n, self.k * self.d) @ self.A_T
        return logp, grad, resp

    def density(self, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """`densities` of one point (d,), with the fewest numpy calls: the walk's step makes one each."""
        white = (z @ self.A - self.b).reshape(self.k, self.d)
        comp = self.log_norm - 0.5 * np.einsum("kd,kd->k", white, white)
        peak = comp.max()
        if not np.isfinite(peak):
            logp, grad, resp = self.densities(z[None, :])
            return float(logp[0]), grad[0], resp[0]
        weight = np.exp(comp - peak)
        total = weight.sum()
        resp = weight / total
        grad = -(resp[:, None] * white).reshape(-1) @ self.A_T
        return float(peak + np.log(total)), grad, resp

    def state(self, z: np.ndarray) -> tuple:
        logp, grad, resp = self.density(z)
        return z, logp, grad, self.shape(resp)

    def _drift(self, z, grad, shape: _Shape, s: float):
        return z + (0.5 * s * s) * (shape.metric @ grad) if self.method == "mala" else z

    def step(self, state, s: float, rng):
        """One move at scale s from state (z, logp, grad, shape): (new state, accepted, acceptance probability)."""
        z, logp, grad, shape = state
        eps = rng.standard_normal(self.d)
        proposal = self._drift(z, grad, shape, s) + s * (shape.chol @ eps)
        new = self.state(proposal)
        back = new[3].whitened(z - self._drift(proposal, new[2], new[3], s)) / s  # the reverse move's noise
        log_q_fwd = -0.5 * float(eps @ eps) - shape.log_det
        log_q_bwd = -0.5 * float(back @ back) - new[3].log_det
        log_alpha = new[1] - logp + log_q_bwd - log_q_fwd
        alpha = float(np.exp(min(0.0, log_alpha))) if np.isfinite(log_alpha) else 0.0
        if rng.uniform() < alpha:
            return new, True, alpha
        return state, False, alpha


class _Shapes:
    """`_Chain.shape` at many points (responsibilities resp, (n, k)), applied without building n matrices: the rows
    inside one component are handled a component at a time with its precomputed factors, the few between
    components each with their blended metric."""

    def __init__(self, chain: _Chain, resp: np.ndarray):
        top = np.argmax(resp, axis=1)
        inside = resp[np.arange(len(resp)), top] > INSIDE
        self.groups = [(np.flatnonzero(inside & (top == j)), chain.inside[j]) for j in range(chain.k)]
        self.between = np.flatnonzero(~inside)
        self.metric = np.einsum("nk,kij->nij", resp[self.between], chain.cov)
        self.chol = np.linalg.cholesky(self.metric)
        self.log_det = np.empty(len(resp))
        for rows, shape in self.groups:
            self.log_det[rows] = shape.log_det
        self.log_det[self.between] = np.log(np.diagonal(self.chol, axis1=1, axis2=2)).sum(axis=1)

    def _apply(self, v: np.ndarray, inside, between) -> np.ndarray:
        out = np.empty_like(v)
        for rows, shape in self.groups:
            out[rows] = inside(v[rows], shape)
        if len(self.between):
            out[self.between] = between(v[self.between])
        return out

    def noise(self, eps: np.ndarray) -> np.ndarray:
        """L eps for each row."""
        return self._apply(eps, lambda v, h: v @ h.chol.T, lambda v: np.einsum("nij,nj->ni", self.chol, v))

    def drift(self, grad: np.ndarray) -> np.ndarray:
        """M grad for each row."""
        return self._apply(grad, lambda v, h: v @ h.metric, lambda v: np.einsum("nij,nj->ni", self.metric, v))

    def whitened(self, v: np.ndarray) -> np.ndarray:
        """L^-1 v for each row."""
        return self._apply(
            v, lambda v, h: v @ h.prec_chol, lambda v: np.linalg.solve(self.chol, v[:, :, None])[:, :, 0]
        )


def stationary_acceptance(mixture, c, scale: float, *, method: str = "mala", n: int = 1000, random_state=0) -> float:
    """The share of moves a walk at `scale` accepts once it wanders the class density: the mean acceptance
    probability of one proposal from each of n exact draws of the class mixture."""
    chain = _Chain(mixture, c, method)
    rng = np.random.default_rng(random_state)
    Z, _ = mixture.sample(c, n, random_state=rng)
    eps = rng.standard_normal((n, chain.d))
    return float(np.mean(_batch_alpha(chain, Z, eps, scale)))


def _batch_alpha(chain: _Chain, Z: np.ndarray, eps: np.ndarray, s: float) -> np.ndarray:
    """Acceptance probability of the proposal (drift) + s L(z) eps from each row of Z, shape (n,): what
    `_Chain.step` computes, for many points at once (the proposal shapes are built the same way, per row)."""
    Z = np.asarray(Z, dtype=np.float64)
    logp, grad, resp = chain.densities(Z)
    here = _Shapes(chain, resp)
    proposal = Z + s * here.noise(eps)
    if chain.method == "mala":
        proposal += 0.5 * s * s * here.drift(grad)
    logp_new, grad_new, resp_new = chain.densities(proposal)
    there = _Shapes(chain, resp_new)
    back = Z - proposal
    if chain.method == "mala":
        back -= 0.5 * s * s * there.drift(grad_new)
    white = there.whitened(back) / s  # the reverse moves' noise, each shaped at its own proposal
    log_alpha = logp_new - logp + 0.5 * np.sum(eps * eps, axis=1) + here.log_det
    log_alpha -= 0.5 * np.sum(white * white, axis=1) + there.log_det
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
    scales (2.38/sqrt(d), 1.65/d^(1/3)) are right for a Gaussian target whose covariance the proposal matches;
    the proposal here matches the styles around each point only, so they are where the search starts (with one
    shape for the whole class, the components' average, they had accepted 12 % (Metropolis) and 97 % (Langevin)
    on the MNIST model). Deterministic for a given random_state.
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

    method="mh": random-walk Metropolis-Hastings with Gaussian proposals shaped like the covariance of the
    components that explain the walk's point (`_Chain`). method="mala": Metropolis-adjusted Langevin, which also drifts
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
    state = chain.state(z)
    path, dens, accepted = [z], [state[1]], 0
    for _ in range(n_steps):
        state, ok, _ = chain.step(state, s, rng)
        accepted += ok
        path.append(state[0])  # a rejected move appends the same point again
        dens.append(state[1])
    return Walk(np.asarray(path), np.asarray(dens), accepted / n_steps, s)


def styles_along(mixture, c, path: np.ndarray) -> np.ndarray:
    """The class-`c` component (style) that explains each point of a walk best, shape (n,): where a walk moves
    from one style to another (within the page's overlapping MNIST styles it does; in a 64-d clothes model the
    styles lie far apart and a walk of a few hundred steps stays in the one it started in)."""
    return mixture.component_log_likelihoods(np.asarray(path), mixture.class_index(c)).argmax(axis=1)


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
