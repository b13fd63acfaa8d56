"""Style numbers: one number per component, heaviest first, the same wherever a style is named."""

import numpy as np
import pytest

from latent.explore.styles import style_number, style_numbers, styles_by_weight


class _Mixture:
    def __init__(self, weights, n_components):
        self.weights_ = np.asarray(weights, dtype=float)
        self.n_components_ = np.asarray(n_components)


def test_style_numbers_rank_components_by_weight_within_each_class():
    weights = [[0.1, 0.5, 0.4, 0.0], [0.3, 0.3, 0.4, 0.0], [0.25, 0.25, 0.2, 0.3]]
    numbers = style_numbers(weights, [3, 3, 4])
    np.testing.assert_array_equal(numbers, [[3, 1, 2, 0], [2, 3, 1, 0], [2, 3, 4, 1]])  # ties: lower index first
    mixture = _Mixture(weights, [3, 3, 4])
    np.testing.assert_array_equal(styles_by_weight(mixture, 0), [1, 2, 0])
    for c in range(3):  # the order shown and the numbers agree: the j-th shown is style j + 1
        assert [style_number(mixture, c, k) for k in styles_by_weight(mixture, c)] == list(
            range(1, mixture.n_components_[c] + 1)
        )


def test_style_numbers_refuse_counts_that_do_not_fit_the_weights():
    with pytest.raises(ValueError, match="n_components"):
        style_numbers(np.ones((2, 3)), [3, 4])
    with pytest.raises(ValueError, match="n_components"):
        style_numbers(np.ones((2, 3)), [3])
