"""Style numbers: a class's mixture components named in the order people see them, heaviest first.

A fitted mixture stores its components in whatever order EM left them, so "component 4" means
nothing to a viewer, and a page that lists styles by weight would read "Style 4, 6, 3…". Every
place that shows a style number (the Styles rows, Morph's style picker, the Latent map's hover and
panel) goes through `style_numbers`, so one style has one number everywhere: style 1 is the class's
most common way of drawing it, style 2 the next, and so on.
"""

from __future__ import annotations

import numpy as np


def style_numbers(weights: np.ndarray, n_components: np.ndarray) -> np.ndarray:
    """1-based style number of every component, by weight within its class (ties: lower component first).

    Parameters
    ----------
    weights : array of shape (n_classes, max_k)
        Component weights within each class (a mixture's `weights_`).
    n_components : int array of shape (n_classes,)
        Components used per class (`n_components_`); slots beyond it get 0.

    Returns
    -------
    int array of shape (n_classes, max_k): `numbers[c, k]` is the style number of component k of class c.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n_components = np.asarray(n_components, dtype=np.int64).reshape(-1)
    if len(n_components) != len(weights) or np.any(n_components > weights.shape[1]) or np.any(n_components < 0):
        raise ValueError(f"n_components {n_components.tolist()} does not fit weights of shape {weights.shape}")
    numbers = np.zeros(weights.shape, dtype=np.int64)
    for c, k in enumerate(n_components):
        order = np.argsort(-weights[c, :k], kind="stable")
        numbers[c, order] = np.arange(1, k + 1)
    return numbers


def styles_by_weight(mixture, class_index: int) -> np.ndarray:
    """Component indices of one class, heaviest first: entry j is the component shown as style j + 1."""
    k = int(mixture.n_components_[class_index])
    return np.argsort(-np.asarray(mixture.weights_[class_index, :k], dtype=np.float64), kind="stable")


def style_number(mixture, class_index: int, component: int) -> int:
    """The style number (1 = heaviest) of one component of a class."""
    return int(style_numbers(mixture.weights_, mixture.n_components_)[class_index, int(component)])
