"""Out-of-distribution scores on the tiny digits bundle: own test images vs images it never saw the like of."""

import numpy as np
import pytest

from latent.bundle.model import LatentModel
from latent.density.ood import auroc, evaluate_ood, image_statistics


def test_auroc_counts_pairs_and_ties():
    assert auroc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auroc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert auroc(np.array([1.0, 3.0]), np.array([2.0])) == 0.5
    assert auroc(np.array([2.0]), np.array([2.0])) == 0.5


def _foreign(n=200, seed=0):
    """Filled squares and rectangles: white-on-black 28x28 like digits, but no digit shape."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.uint8)
    for img in images:
        top, left = rng.integers(2, 10, 2)
        h, w = rng.integers(10, 18, 2)
        img[top : top + h, left : left + w] = 255
    return images


def test_foreign_images_score_lower_than_the_models_own(tiny_bundle, digits):
    model = LatentModel.load(tiny_bundle)
    result = evaluate_ood(model, digits.x_val, digits.x_test, _foreign())
    assert result["ood_score"] == "typicality" and result["ood_auroc"] == result["ood_auroc_typicality"]
    assert result["ood_auroc"] > 0.95, result
    assert result["ood_auroc_reconstruction"] > 0.95, result
    assert 0 <= result["ood_auroc_likelihood"] <= 1
    assert result["ood_rejected_at_threshold"] > result["test_rejected_at_threshold"]
    assert result["test_rejected_at_threshold"] == pytest.approx(0.01, abs=0.03)


def test_image_statistics_measure_complexity_and_what_the_decoder_misses(tiny_bundle, digits):
    model = LatentModel.load(tiny_bundle)
    noise = np.random.default_rng(0).integers(0, 256, (50, 28, 28)).astype(np.uint8)
    own, odd = image_statistics(model, digits.x_test[:50]), image_statistics(model, noise)
    assert set(own) >= {"likelihood", "mse", "log_mse", "log_excess_bce", "log_complexity"}
    assert all(np.isfinite(v).all() and v.shape == (50,) for v in own.values())
    # noise is busier than digits, and the decoder explains less of it beyond its own entropy
    assert odd["log_complexity"].min() > own["log_complexity"].max()
    assert np.median(odd["log_excess_bce"]) > np.median(own["log_excess_bce"])
    assert np.median(odd["likelihood"]) < np.median(own["likelihood"])
