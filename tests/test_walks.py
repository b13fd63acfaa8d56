"""MCMC walks accept the share of moves at which each sampler explores fastest, by default."""

import numpy as np
import pytest

from latent.density.mixture import ClassGaussianMixture
from latent.explore.walks import GOOD_ACCEPTANCE, TARGET_ACCEPTANCE, mcmc_walk, stationary_acceptance, tune_scale


def synthetic_mixture(d: int = 8, seed: int = 0) -> ClassGaussianMixture:
    """Two classes of three overlapping components each, their widths as varied as the MNIST model's (0.7-1.5x
    their mean): a class mixture is not one Gaussian, so the textbook scale for its average covariance is off."""
    rng = np.random.default_rng(seed)
    means = np.zeros((2, 3, d))
    means[0] = rng.normal(0, 0.5, (3, d))
    means[1] = rng.normal(6, 0.5, (3, d))
    covs = np.zeros((2, 3, d, d))
    for c in range(2):
        for k, width in enumerate([0.7, 1.0, 1.5]):
            a = rng.normal(size=(d, d))
            covs[c, k] = width**2 * (a @ a.T / d + 0.2 * np.eye(d))
    arrays = {
        "classes": np.array([0, 1]),
        "class_prior": np.array([0.5, 0.5]),
        "n_components": np.array([3, 3]),
        "weights": np.array([[0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3]]),
        "means": means,
        "covariances": covs,
    }
    return ClassGaussianMixture.from_arrays(arrays)


@pytest.mark.parametrize("method", ["mh", "mala"])
def test_the_default_walk_accepts_near_the_samplers_best_rate_on_a_gaussian_mixture(method):
    mixture = synthetic_mixture()
    target = TARGET_ACCEPTANCE[method]
    scale = tune_scale(mixture, 0, method=method)
    # measured again with other draws: the tuned scale is the stationary chain's, not an artefact of its draws
    assert stationary_acceptance(mixture, 0, scale, method=method, random_state=7) == pytest.approx(target, abs=0.05)
    # the default walks: one walk's rate varies with the components it happens to cross, their mean does not
    walks = [mcmc_walk(mixture, 0, 1500, method=method, random_state=seed) for seed in range(3)]
    assert np.mean([w.acceptance_rate for w in walks]) == pytest.approx(target, abs=0.1)
    assert walks[0].scale == pytest.approx(scale)
    # step_size scales the tuned step: bigger steps are rejected more, smaller accepted more
    assert mcmc_walk(mixture, 0, 600, step_size=3.0, method=method, random_state=1).acceptance_rate < target - 0.1
    assert mcmc_walk(mixture, 0, 600, step_size=0.3, method=method, random_state=1).acceptance_rate > target + 0.1


def test_tuning_is_deterministic_and_checks_its_arguments():
    mixture = synthetic_mixture()
    assert tune_scale(mixture, 1, method="mh") == tune_scale(mixture, 1, method="mh")
    with pytest.raises(ValueError, match="method"):
        tune_scale(mixture, 0, method="gibbs")
    with pytest.raises(ValueError, match="target"):
        tune_scale(mixture, 0, target=1.5)
    with pytest.raises(ValueError, match="scale"):
        mcmc_walk(mixture, 0, 10, scale=0.0)


@pytest.mark.parametrize("method", ["mh", "mala"])
def test_a_walk_reports_the_class_density_and_repeats_a_point_exactly_when_it_rejects(method):
    """The chain runs in whitened coordinates: what it reports must still be the class mixture's own density at
    each latent it returns, and a rejected move must repeat the previous latent bit for bit (the Sampling page
    places each distinct point on the map once)."""
    mixture = synthetic_mixture()
    walk = mcmc_walk(mixture, 1, 300, method=method, random_state=2)
    assert walk.path.shape == (301, 8)
    class_ll = mixture.log_likelihoods(walk.path)[:, 1]
    np.testing.assert_allclose(walk.log_density, class_ll, rtol=1e-9, atol=1e-9)
    moved = np.any(np.diff(walk.path, axis=0) != 0, axis=1)
    assert moved.mean() == pytest.approx(walk.acceptance_rate)
    assert 0 < walk.acceptance_rate < 1
    start = mixture.sample(1, 1, random_state=np.random.default_rng(0))[0][0]
    assert np.array_equal(mcmc_walk(mixture, 1, 5, start=start, method=method).path[0], start)


def test_the_langevin_drift_is_the_gradient_of_the_class_log_density():
    """MALA moves along grad log p: the chain's gradient against finite differences of the mixture's own class
    log-likelihood, for many points at once and for one."""
    from latent.explore.walks import _Chain

    mixture = synthetic_mixture()
    chain = _Chain(mixture, 0, "mala")
    z = mixture.sample(0, 3, random_state=np.random.default_rng(1))[0].astype(np.float64)
    logp, grad, resp = chain.densities(z)
    np.testing.assert_allclose(logp, mixture.log_likelihoods(z)[:, 0], rtol=1e-10)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    h = 1e-5
    for i in range(3):
        numeric = [
            (mixture.log_likelihoods((z[i] + h * e)[None])[0, 0] - mixture.log_likelihoods((z[i] - h * e)[None])[0, 0])
            / (2 * h)
            for e in np.eye(chain.d)
        ]
        np.testing.assert_allclose(grad[i], numeric, rtol=1e-4, atol=1e-6)
        one_logp, one_grad, one_resp = chain.density(z[i])
        assert one_logp == pytest.approx(logp[i]) and np.allclose(one_grad, grad[i]) and np.allclose(one_resp, resp[i])


def uneven_mixture(d: int = 16, seed: int = 0) -> ClassGaussianMixture:
    """One class of four components whose widths differ by 10x (as a clothes model's do in 64 dimensions), two of
    them overlapping: a proposal shaped like their average is far too big in the narrow ones."""
    rng = np.random.default_rng(seed)
    widths = [0.3, 0.6, 1.5, 3.0]
    means = np.zeros((1, 4, d))
    means[0, :2] = rng.normal(0, 0.5, (2, d))  # the two narrow ones overlap
    means[0, 2:] = rng.normal(0, 4.0, (2, d))
    covs = np.zeros((1, 4, d, d))
    for k, width in enumerate(widths):
        a = rng.normal(size=(d, d))
        covs[0, k] = width**2 * (a @ a.T / d + 0.2 * np.eye(d))
    arrays = {
        "classes": np.array([0]),
        "class_prior": np.array([1.0]),
        "n_components": np.array([4]),
        "weights": np.array([[0.25, 0.25, 0.25, 0.25]]),
        "means": means,
        "covariances": covs,
    }
    return ClassGaussianMixture.from_arrays(arrays)


@pytest.mark.parametrize("method", ["mh", "mala"])
def test_every_walk_accepts_within_the_samplers_good_range_when_the_components_differ_in_width(method):
    """The page says each walk should accept within the sampler's good range. With one proposal shape for the
    whole class (the components' average covariance), a walk that started in a narrow component was refused
    nearly always and one in a wide component accepted nearly everything; shaped where the walk is, every
    walk lands in the range."""
    mixture = uneven_mixture()
    scale = tune_scale(mixture, 0, method=method)
    low, high = GOOD_ACCEPTANCE[method]
    rates = np.array(
        [mcmc_walk(mixture, 0, 200, scale=scale, method=method, random_state=s).acceptance_rate for s in range(12)]
    )
    assert np.all((rates >= low) & (rates <= high)), rates
    assert np.mean(rates) == pytest.approx(TARGET_ACCEPTANCE[method], abs=0.08)


def nested_mixture() -> ClassGaussianMixture:
    """One class of two components on one centre, one ten times wider than the other (2-d): the proposal's shape
    changes all along a walk, so a wrong reverse-move density in the acceptance ratio shows at once."""
    arrays = {
        "classes": np.array([0]),
        "class_prior": np.array([1.0]),
        "n_components": np.array([2]),
        "weights": np.array([[0.5, 0.5]]),
        "means": np.zeros((1, 2, 2)),
        "covariances": np.array([[np.diag([0.3, 0.2]) ** 2, np.diag([3.0, 2.0]) ** 2]]),
    }
    return ClassGaussianMixture.from_arrays(arrays)


@pytest.mark.parametrize("method", ["mh", "mala"])
def test_walks_started_in_the_class_density_stay_in_it(method):
    """The chain is exact: started from exact draws of the class mixture, its points after any number of steps
    are draws of it too. With proposals shaped where the walk is, that needs the reverse move's density (its
    own shape and log-determinant) in the acceptance ratio; without it, walks drift out of the narrow
    component. Compared by the distance from the centre of 400 walks' last points against 2,000 fresh draws."""
    from scipy.stats import ks_2samp

    mixture = nested_mixture()
    scale = tune_scale(mixture, 0, method=method)
    ends = np.array(
        [mcmc_walk(mixture, 0, 30, scale=scale, method=method, random_state=s).path[-1] for s in range(400)]
    )
    fresh = mixture.sample(0, 2000, random_state=np.random.default_rng(10_000))[0]
    assert ks_2samp(np.linalg.norm(ends, axis=1), np.linalg.norm(fresh, axis=1)).pvalue > 0.001


def test_a_langevin_walk_moves_between_overlapping_styles():
    """styles_along names the component that explains each point best; on a class whose styles overlap, a
    default walk passes from one to another (the proposal's blend between styles is what carries it there)."""
    from latent.explore.walks import styles_along

    mixture = synthetic_mixture()
    walk = mcmc_walk(mixture, 0, 300, method="mala", random_state=4)
    styles = styles_along(mixture, 0, walk.path)
    assert styles.shape == (301,) and set(styles.tolist()) <= {0, 1, 2}
    assert len(set(styles.tolist())) >= 2
    assert np.count_nonzero(styles[1:] != styles[:-1]) >= 3
    z = mixture.sample(0, 200, component=1, random_state=0)[0]
    assert np.mean(styles_along(mixture, 0, z) == 1) > 0.5  # draws of a style are mostly named after it
