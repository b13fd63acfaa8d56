"""The per-class mixture estimator on synthetic Gaussian blobs, where the right answers are known."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from conftest import blobs
from latent.density import gaussian as G
from latent.density import measures
from latent.density.mixture import NONE, ClassGaussianMixture
from latent.density.single_mixture import SingleGaussianMixture


@pytest.fixture(scope="module")
def fitted():
    Z, y, centers = blobs(dim=3)
    return ClassGaussianMixture(n_components=2).fit(Z, y), Z, y, centers


def test_predicts_the_right_classes(fitted):
    model, Z, y, centers = fitted
    assert (model.predict(Z) == y).mean() > 0.99
    assert list(model.predict(centers)) == [0, 1, 2]


def test_probabilities_are_normalised_and_confident(fitted):
    model, Z, y, _ = fitted
    proba = model.predict_proba(Z)
    assert proba.shape == (len(Z), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert proba[np.arange(len(y)), y].mean() > 0.98


def test_log_likelihoods_shape_and_log_space(fitted):
    model, Z, _, _ = fitted
    ll = model.log_likelihoods(Z)
    assert ll.shape == (len(Z), 3)
    # A point very far away still gets finite log-likelihoods and a valid distribution (no underflow).
    far = np.array([[1e3, -1e3, 5e2]])
    assert np.all(np.isfinite(model.log_likelihoods(far)))
    np.testing.assert_allclose(model.predict_proba(far).sum(), 1.0)


def test_rejection_answers_none_far_from_data(fitted):
    model, _, _, centers = fitted
    far = np.array([[50.0, 50.0, 50.0]])
    threshold = model.log_likelihoods(centers).max(axis=1).min() - 20
    assert model.predict(far, reject_below=threshold)[0] == NONE
    assert list(model.predict(centers, reject_below=threshold)) == [0, 1, 2]


def test_higher_threshold_rejects_more(fitted):
    model, Z, _, _ = fitted
    best = model.log_likelihoods(Z).max(axis=1)
    rejected = [np.mean(model.predict(Z, reject_below=t) == NONE) for t in np.quantile(best, [0.1, 0.3, 0.6, 0.9])]
    assert rejected == sorted(rejected) and rejected[0] < rejected[-1]


def test_class_prior_shifts_decisions():
    Z, y, _ = blobs(dim=2, spread=2.0)  # overlapping classes, so the prior matters
    uniform = ClassGaussianMixture(1).fit(Z, y)
    skewed = ClassGaussianMixture(1, class_prior=[0.98, 0.01, 0.01]).fit(Z, y)
    np.testing.assert_allclose(skewed.class_prior_, [0.98, 0.01, 0.01])
    assert (skewed.predict(Z) == 0).sum() > (uniform.predict(Z) == 0).sum()


def test_sampling_from_a_component_lands_in_it():
    rng = np.random.default_rng(1)
    # One class made of two far-apart clumps: a 2-component mixture puts one component on each.
    Z = np.concatenate([rng.normal(-10, 1, (300, 2)), rng.normal(10, 1, (300, 2)), rng.normal([0, 30], 1, (300, 2))])
    y = np.array([0] * 600 + [1] * 300)
    model = ClassGaussianMixture(2).fit(Z, y)
    _, means, _ = model.components(0)
    for k in range(2):
        S, comps = model.sample(0, 500, component=k, random_state=0)
        assert np.all(comps == k)
        np.testing.assert_allclose(S.mean(axis=0), means[k], atol=0.3)
        # the drawn points are explained by component k, not the other one
        resp = model.component_log_likelihoods(S, 0)
        assert np.mean(resp.argmax(axis=1) == k) > 0.99
    with pytest.raises(ValueError, match="component must be in"):
        model.sample(0, 1, component=5)


def test_kl_to_self_is_zero_and_positive_otherwise(fitted):
    model, *_ = fitted
    for method in ("mc", "variational"):
        kl = measures.kl_matrix(model, method=method, n_samples=2000)
        np.testing.assert_allclose(np.diag(kl.value), 0.0, atol=1e-9)
        off = kl.value[~np.eye(3, dtype=bool)]
        assert np.all(off > 5), method
    mc = measures.kl_matrix(model, n_samples=2000)
    assert np.all(mc.stderr[~np.eye(3, dtype=bool)] > 0)


def test_single_gaussian_entropy_matches_closed_form():
    rng = np.random.default_rng(2)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.2], [0.0, 0.2, 0.5]])
    Z = rng.multivariate_normal([1, 2, 3], cov, size=20000)
    model = ClassGaussianMixture(1, reg_covar=1e-8).fit(Z, np.zeros(len(Z), int))
    exact = G.gaussian_entropy(cov)
    est = measures.entropy(model, n_samples=20000, random_state=3)
    assert abs(est.value[0] - exact) < max(4 * est.stderr[0], 0.02)
    assert abs(measures.entropy(model, method="bound").value[0] - exact) < 0.02


def test_kl_between_two_gaussians_matches_closed_form():
    rng = np.random.default_rng(4)
    Z = np.concatenate([rng.normal(0, 1, (20000, 2)), rng.normal(3, 2, (20000, 2))])
    y = np.repeat([0, 1], 20000)
    model = ClassGaussianMixture(1, reg_covar=1e-8).fit(Z, y)
    w0, m0, c0 = model.components(0)
    w1, m1, c1 = model.components(1)
    exact = G.gaussian_kl(m0[0], c0[0], m1[0], c1[0])
    mc = measures.kl_matrix(model, n_samples=20000, random_state=5)
    assert abs(mc.value[0, 1] - exact) < 4 * mc.stderr[0, 1] + 1e-3
    np.testing.assert_allclose(measures.kl_matrix(model, method="variational").value[0, 1], exact, rtol=1e-9)


def test_auto_components_follow_bic():
    rng = np.random.default_rng(6)
    one = rng.normal(0, 1, (400, 2))
    three = np.concatenate([rng.normal(c, 0.5, (200, 2)) for c in ([20, 0], [30, 0], [25, 10])])
    Z, y = np.concatenate([one, three]), np.array([0] * 400 + [1] * 600)
    model = ClassGaussianMixture("auto", max_components=5).fit(Z, y)
    assert list(model.n_components_) == [1, 3]
    assert model.bic_.shape == (2, 5)
    assert np.argmin(model.bic_[1]) == 2
    # scored class by class in blocks of rows: each class's mixture density, unused slots ignored
    far = np.concatenate([np.tile(Z, (3, 1)), [[1e3, -1e3]]])  # more rows than one block, and an outlier
    assert len(far) > G.ROWS_PER_STEP
    expected = np.stack(
        [G.mixture_log_pdf(far, model.weights_[i], model.means_[i], model.precisions_cholesky_[i]) for i in (0, 1)],
        axis=1,
    )
    np.testing.assert_allclose(model.log_likelihoods(far), expected, rtol=1e-12)
    assert np.all(np.isfinite(expected))


def test_round_trip_through_arrays(fitted):
    model, Z, _, _ = fitted
    again = ClassGaussianMixture.from_arrays(model.to_arrays(), model.get_params())
    np.testing.assert_allclose(again.log_likelihoods(Z), model.log_likelihoods(Z))


def test_bad_arguments_raise_value_errors():
    Z, y, _ = blobs()
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        ClassGaussianMixture(covariance_type="round").fit(Z, y)
    with pytest.raises(ValueError, match="n_components must be"):
        ClassGaussianMixture(n_components=0).fit(Z, y)
    with pytest.raises(ValueError, match="class_prior"):
        ClassGaussianMixture(class_prior=[1.0, 2.0]).fit(Z, y)
    with pytest.raises(ValueError, match="fewer than n_components"):
        ClassGaussianMixture(n_components=500).fit(Z, y)
    with pytest.raises(NotFittedError):
        ClassGaussianMixture().predict(Z)
    with pytest.raises(ValueError, match="X has 5 features, but ClassGaussianMixture is expecting 2 features"):
        ClassGaussianMixture(1).fit(Z, y).predict(np.zeros((1, 5)))


def test_single_mixture_baseline_classifies_and_samples():
    Z, y, _ = blobs(dim=2)
    model = SingleGaussianMixture().fit(Z, y)
    assert model.means_.shape == (3, 2)
    assert (model.predict(Z) == y).mean() > 0.98
    np.testing.assert_allclose(model.predict_proba(Z).sum(axis=1), 1.0)
    S, comps = model.sample(300, random_state=0)
    assert S.shape == (300, 2) and len(np.unique(comps)) == 3
