"""Reading the class-similarity measures against the model's mistakes.

KL divergence says how differently two class mixtures spread over latent space; the confusion
matrix says which classes the classifier mixes up. If the mixtures are a faithful picture, pairs
that are confused often should be close in KL. These helpers line the two up.
"""

from __future__ import annotations

import numpy as np


def symmetric_kl(kl: np.ndarray) -> np.ndarray:
    """(KL(p||q) + KL(q||p)) / 2, shape (n, n): a symmetric dissimilarity (Jeffreys / 2)."""
    kl = np.asarray(kl, dtype=np.float64)
    return 0.5 * (kl + kl.T)


def pair_confusion(confusion: np.ndarray) -> np.ndarray:
    """Share of mistakes between two classes in either direction, shape (n, n), zero diagonal.

    Entry (i, j) = (rate of i predicted as j + rate of j predicted as i) / 2, rates per true class.
    """
    counts = np.asarray(confusion, dtype=np.float64)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    out = 0.5 * (rates + rates.T)
    np.fill_diagonal(out, 0.0)
    return out


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their average rank."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tie = x == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two 1-D arrays (nan when either is constant)."""
    ra, rb = rank(a), rank(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def confusion_kl_agreement(confusion: np.ndarray, kl: np.ndarray) -> float:
    """Spearman correlation, over class pairs, between mutual confusion and closeness (-symmetric KL).

    Near +1: the pairs the model confuses are the pairs whose mixtures are close.
    """
    n = len(confusion)
    iu = np.triu_indices(n, k=1)
    return spearman(pair_confusion(confusion)[iu], -symmetric_kl(kl)[iu])


def most_confused_pairs(confusion: np.ndarray, kl: np.ndarray, class_names, *, top: int = 5) -> list[dict]:
    """The `top` most confused class pairs, each with its symmetric KL and that KL's rank (1 = closest pair)."""
    n = len(class_names)
    conf = pair_confusion(confusion)
    skl = symmetric_kl(kl)
    iu = np.triu_indices(n, k=1)
    kl_rank = rank(skl[iu])
    rank_of = {(int(i), int(j)): float(r) for i, j, r in zip(*iu, kl_rank, strict=True)}
    order = np.argsort(-conf[iu], kind="mergesort")[:top]
    rows = []
    for p in order:
        i, j = int(iu[0][p]), int(iu[1][p])
        if conf[i, j] <= 0:
            break
        rows.append(
            {
                "pair": f"{class_names[i]} ↔ {class_names[j]}",
                "confused": conf[i, j],
                "kl": skl[i, j],
                "kl_rank": rank_of[(i, j)],
                "n_pairs": len(kl_rank),
            }
        )
    return rows
