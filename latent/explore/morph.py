"""A morph from one class to another: a path in latent space, decoded and classified.

Pick a start and an end latent (a component mean of each class), walk a path between them, and
ask the classifier at every point: the probabilities show where the answer flips from one class to
the other, and whether the middle of the path falls in empty space ("none").

Two paths. The *straight* line is the write-up's morph; it often crosses the empty space between
classes, where frames decode to blends no one would draw. The *dense* path stays where the data is:
the shortest route through a nearest-neighbour graph of real codes whose edges cost their *squared*
length, so many short hops between neighbours beat one long jump across a gap (a classic
density-following geodesic: squared edge costs favour dense regions), using only codes that the
classifier gives to the source or the target class with confidence (p >= 0.9): the path then hops
between clear examples of the two classes, and the one short hop between them is the crossing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latent.explore.walks import interpolate, point_at


def endpoint(mixture, c, component: int | None = None) -> np.ndarray:
    """The mean of `component` of class `c`, or of its heaviest component when None. Shape (d,)."""
    weights, means, _ = mixture.components(c)
    k = int(np.argmax(weights)) if component is None else int(component)
    if not 0 <= k < len(weights):
        raise ValueError(f"component must be in 0..{len(weights) - 1} for class {c!r}, got {component}")
    return np.asarray(means[k], dtype=np.float64).copy()


@dataclass
class Morph:
    t: np.ndarray  # (n,) positions along the path, 0 = source, 1 = target
    path: np.ndarray  # (n, d) latents
    proba: np.ndarray  # (n, n_classes) p(class | z)
    labels: np.ndarray  # (n,) predicted class index, -1 where rejected ("none")
    max_log_likelihood: np.ndarray  # (n,)

    def at(self, t: float) -> np.ndarray:
        """The latent at fraction t of the path, shape (d,)."""
        return point_at(self.path, t)


def morph(
    model,
    z0: np.ndarray,
    z1: np.ndarray,
    *,
    n_points: int = 51,
    reject_below: float | None = None,
    graph: CodeGraph | None = None,
    classes=None,
) -> Morph:
    """Classify `n_points` latents on the path from z0 to z1: the straight line, or with `graph`, the
    dense path (through codes of `classes` only, when given)."""
    path = interpolate(z0, z1, n_points) if graph is None else graph.path(z0, z1, n_points, classes=classes)
    result = model.classify(path, reject_below=reject_below)
    return Morph(np.linspace(0.0, 1.0, n_points), path, result.proba, result.labels, result.max_log_likelihood)


def crossings(t: np.ndarray, labels: np.ndarray) -> list[tuple[float, int, int]]:
    """Where the predicted label changes along a path: (t midway between the two points, from, to)."""
    t, labels = np.asarray(t), np.asarray(labels)
    change = np.flatnonzero(labels[1:] != labels[:-1])
    return [(float((t[i] + t[i + 1]) / 2), int(labels[i]), int(labels[i + 1])) for i in change]


class CodeGraph:
    """k-nearest-neighbour graphs of real latent codes, for morphs that stay where the data is.

    A morph from class a to class b hops only between codes the classifier puts in a or b (when
    `labels` are given), so every frame is near a real a or a real b, and the crossing happens where
    the two classes actually meet. Graphs are built on first use per pair of classes and kept.
    """

    def __init__(self, codes: np.ndarray, labels: np.ndarray | None = None, n_neighbors: int = 10):
        self.codes = np.asarray(codes, dtype=np.float64)
        self.labels = None if labels is None else np.asarray(labels)
        self.n_neighbors = n_neighbors
        self._graphs: dict = {}

    def _graph(self, classes):
        from sklearn.neighbors import NearestNeighbors

        labels = self.labels
        key = None if classes is None or labels is None else tuple(sorted({int(c) for c in classes}))
        if key not in self._graphs:
            rows = np.arange(len(self.codes)) if key is None or labels is None else np.flatnonzero(np.isin(labels, key))
            if len(rows) < 2:  # too few codes of these classes: use them all
                return self._graph(None)
            k = min(self.n_neighbors, len(rows) - 1)
            nn = NearestNeighbors(n_neighbors=k + 1).fit(self.codes[rows])
            dist, idx = nn.kneighbors(self.codes[rows])  # first column: the point itself
            edges = (np.repeat(np.arange(len(rows)), k), idx[:, 1:].ravel(), dist[:, 1:].ravel() ** 2)
            self._graphs[key] = (rows, nn, k, edges)
        return self._graphs[key]

    def path(self, z0: np.ndarray, z1: np.ndarray, n_points: int = 51, classes=None) -> np.ndarray:
        """(n_points, d) latents from z0 to z1, evenly spaced along the cheapest route through the graph
        of the codes of `classes` (all codes when None)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        rows_kept, nn, k, (rows, cols, w) = self._graph(classes)
        ends = np.stack([np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)])
        dist, idx = nn.kneighbors(ends, n_neighbors=k)
        n = len(rows_kept)
        # Nodes n and n+1 are the two ends, joined to their nearest codes.
        rows = np.concatenate([rows, np.full(k, n), np.full(k, n + 1)])
        cols = np.concatenate([cols, idx[0], idx[1]])
        w = np.concatenate([w, dist[0] ** 2, dist[1] ** 2]) + 1e-12
        graph = coo_matrix((w, (rows, cols)), shape=(n + 2, n + 2)).tocsr()
        _, predecessors = dijkstra(graph, directed=False, indices=n, return_predecessors=True)
        if predecessors[n + 1] < 0:  # the two ends are not connected: fall back to the straight line
            return interpolate(ends[0], ends[1], n_points)
        nodes, node = [], n + 1
        while node != n:
            nodes.append(node)
            node = predecessors[node]
        nodes.append(n)
        points = np.concatenate([self.codes[rows_kept], ends])[nodes[::-1]]  # node n is z0, node n + 1 is z1
        return resample_polyline(points, n_points)


def resample_polyline(points: np.ndarray, n_points: int) -> np.ndarray:
    """`n_points` positions evenly spaced by arc length along the polyline through `points`."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] == 0:
        return np.repeat(points[:1], n_points, axis=0)
    targets = np.linspace(0.0, s[-1], n_points)
    return np.stack([np.interp(targets, s, points[:, j]) for j in range(points.shape[1])], axis=1)


def code_graph(model, confident: float = 0.9) -> CodeGraph:
    """The graph of a model's stored codes, each labelled with the class the model gives it; codes it
    gives no class with probability >= `confident` are left out of every class's graph. (Measured on
    fashion-mnist-joint: with all codes the dense path's frames were clear examples 0.910 of the time,
    below the straight line's 0.919; with the confident ones only, 0.929.) The probabilities are the
    mixtures' own posteriors, before the bundle's calibration temperature: which codes belong to a
    class is a property of the mixtures, not of how sure the displayed answer should sound."""
    proba = model.mixture.predict_proba(np.asarray(model.map.codes, dtype=np.float64))
    labels = np.where(proba.max(axis=1) >= confident, model.mixture.classes_[proba.argmax(axis=1)], -1)
    return CodeGraph(model.map.codes, labels)


def compare_paths(
    model, graph: CodeGraph, n_pairs: int = 100, *, n_points: int = 31, confident: float = 0.9, random_state=0
) -> dict:
    """Straight vs dense morphs between `n_pairs` random pairs of styles of different classes.

    Per path: the mean over frames of the best class log-likelihood (is the frame where data is?) and
    the share of frames that the classifier gives to the source or the target class with probability
    >= `confident` (is every frame a clear example of one of the two?). Returned as means over pairs.
    """
    rng = np.random.default_rng(random_state)
    classes = model.mixture.classes_
    out: dict[str, dict[str, list[float]]] = {
        "straight": {"log_likelihood": [], "confident_share": []},
        "dense": {"log_likelihood": [], "confident_share": []},
    }
    for _ in range(n_pairs):
        a, b = rng.choice(len(classes), 2, replace=False)
        za = endpoint(model.mixture, classes[a], int(rng.integers(model.mixture.n_components_[a])))
        zb = endpoint(model.mixture, classes[b], int(rng.integers(model.mixture.n_components_[b])))
        for kind, g in (("straight", None), ("dense", graph)):
            m = morph(model, za, zb, n_points=n_points, graph=g, classes=(a, b))
            top = m.proba.argmax(axis=1)
            ok = np.isin(top, [a, b]) & (m.proba.max(axis=1) >= confident)
            out[kind]["log_likelihood"].append(float(m.max_log_likelihood.mean()))
            out[kind]["confident_share"].append(float(ok.mean()))
    return {f"morph_{kind}_{key}": float(np.mean(v)) for kind, d in out.items() for key, v in d.items()} | {
        "morph_pairs": n_pairs
    }
