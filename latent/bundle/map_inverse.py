"""From the map back to latent space: the code at any spot of the 2-D map, and how likely the model finds it.

The map (`latent.bundle.projection`) sends codes to 2-D with UMAP at training time; UMAP's own inverse would
need the fitted UMAP object (pickled) and an umap import, which the app never does. The inverse here
is a blend of the stored test codes: the code at a spot is the Gaussian-weighted mean of the codes of
the k stored points nearest to it on the map. The Gaussian's width is the map's bandwidth (the typical
distance from a stored point to its 10th neighbour) or the distance from the spot to the nearest stored
point, whichever is larger: on an island the code is a local average of a few dozen neighbours, and
far from every island a broad blend of the nearest ones. It needs only map.npz and takes about a
millisecond per spot, so a click anywhere on the map can be decoded at once.

Averaging codes pulls them towards the middle of their neighbours, where the class mixtures are
dense: on the four shipped bundles no spot of a 40x40 grid over the map fell below the "none"
threshold (the median blend scored above the median test image). The codes the model calls
unlikely lie away from every test image in latent space, which no map of test images reaches.

The density layer is a grid over the map's extent of each spot's best class log-likelihood, predicted
class and its probability, computed once (at training time, or for an older bundle by
`python -m latent map --model DIR`) and stored in `map_inverse.npz` with the inverse's parameters:
scoring 9,216 codes under every class mixture takes about a second, too long for a page's first visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latent.schema import MAP_INVERSE_FILE

N_NEIGHBORS = 32  # stored codes blended for one spot
BANDWIDTH_NEIGHBOR = 10  # the bandwidth is the median distance from a stored point to this neighbour
GRID_SIZE = 96  # cells per side of the density grid
MARGIN = 0.04  # the grid (and the map's axes) reach this share of the data's extent beyond it


def map_extent(coords: np.ndarray, margin: float = MARGIN) -> np.ndarray:
    """(x0, x1, y0, y1): the stored points' bounding box, widened by `margin` of its size on each side."""
    coords = np.asarray(coords, dtype=np.float64)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = np.maximum(hi - lo, 1e-6) * margin
    return np.array([lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]])


def grid_centres(extent, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x (nx,) and y (ny,) cell centres of a grid of `shape` (ny, nx) spanning `extent` edge to edge."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    ny, nx = shape
    return np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)


def _nearest(queries: np.ndarray, points: np.ndarray, k: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances (m, k) ascending and indices (m, k) of the k nearest `points` to each query (2-D)."""
    k = min(k, len(points))
    sq = np.einsum("ij,ij->i", points, points)
    dist = np.empty((len(queries), k))
    index = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        q = queries[start : start + chunk]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] - 2 * q @ points.T + sq[None, :]  # (b, n)
        idx = (
            np.argpartition(d2, k - 1, axis=1)[:, :k]
            if k < len(points)
            else np.broadcast_to(np.arange(len(points)), d2.shape).copy()
        )
        exact = np.sqrt(np.sum((q[:, None, :] - points[idx]) ** 2, axis=-1))  # (b, k), without cancellation
        order = np.argsort(exact, axis=1)
        dist[start : start + chunk] = np.take_along_axis(exact, order, axis=1)
        index[start : start + chunk] = np.take_along_axis(idx, order, axis=1)
    return dist, index


def estimate_bandwidth(coords: np.ndarray, *, neighbor: int = BANDWIDTH_NEIGHBOR, max_points: int = 2000) -> float:
    """Median distance from a stored point to its `neighbor`-th nearest on the map (over at most
    `max_points` evenly spaced points: the median is stable, and the cost stays at a tenth of a second)."""
    coords = np.asarray(coords, dtype=np.float64)
    if len(coords) < 2:
        return 1.0
    pick = np.unique(np.linspace(0, len(coords) - 1, min(max_points, len(coords))).round().astype(int))
    dist, _ = _nearest(coords[pick], coords, min(neighbor + 1, len(coords)), chunk=256)
    h = float(np.median(dist[:, -1]))  # column 0 is the point itself
    return h if np.isfinite(h) and h > 0 else 1.0


class MapInverse:
    """Latent codes for map positions: a Gaussian-weighted blend of the k nearest stored codes.

    Parameters
    ----------
    n_neighbors : int, default 32
        Stored codes blended for one spot.
    bandwidth : float, optional
        Width of the Gaussian on the map, in map units; by default `estimate_bandwidth(coords)`.
        The width used at a spot is max(bandwidth, distance to the nearest stored point).

    Attributes
    ----------
    coords_ : array of shape (n, 2), codes_ : array of shape (n, d), bandwidth_ : float
    """

    def __init__(self, n_neighbors: int = N_NEIGHBORS, *, bandwidth: float | None = None):
        self.n_neighbors = n_neighbors
        self.bandwidth = bandwidth

    def fit(self, coords, codes) -> MapInverse:
        """Store the map's points (coords (n, 2)) and their codes (n, d); estimate the bandwidth."""
        coords = np.asarray(coords, dtype=np.float64)
        codes = np.asarray(codes, dtype=np.float32)
        if coords.ndim != 2 or coords.shape[1] != 2 or codes.ndim != 2 or len(codes) != len(coords) or not len(codes):
            raise ValueError(f"need coords (n, 2) and codes (n, d) with n >= 1, got {coords.shape} and {codes.shape}")
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise ValueError(f"n_neighbors must be a positive int, got {self.n_neighbors!r}")
        self.coords_, self.codes_ = coords, codes
        self.bandwidth_ = float(self.bandwidth) if self.bandwidth is not None else estimate_bandwidth(coords)
        if not (np.isfinite(self.bandwidth_) and self.bandwidth_ > 0):
            raise ValueError(f"bandwidth must be a positive number, got {self.bandwidth_!r}")
        return self

    def transform(self, xy, *, chunk: int = 256) -> np.ndarray:
        """Codes (m, d) float32 for map positions xy (m, 2) (or one position (2,) -> (1, d))."""
        if not hasattr(self, "codes_"):
            raise RuntimeError("MapInverse is not fitted yet: call fit(coords, codes) first")
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        if xy.shape[1] != 2 or not np.all(np.isfinite(xy)):
            raise ValueError(f"map positions must be finite (m, 2), got shape {xy.shape}")
        dist, index = _nearest(xy, self.coords_, self.n_neighbors, chunk)
        width = np.maximum(np.maximum(self.bandwidth_, dist[:, :1]), 1e-9)  # (m, 1); a floor: never 0 / 0
        w = np.exp(-0.5 * (dist**2 - dist[:, :1] ** 2) / width**2)  # relative to the nearest: no underflow
        w /= w.sum(axis=1, keepdims=True)
        return np.einsum("mk,mkd->md", w, self.codes_[index].astype(np.float64)).astype(np.float32)


@dataclass
class DensityGrid:
    """What the model makes of the code at each cell of a grid over the map.

    extent : array (4,), x0, x1, y0, y1 of the cell centres at the grid's edges
    log_likelihood : array of shape (ny, nx), best class log p(z | class) of the cell's code
    predicted : int array of shape (ny, nx), the most probable class
    probability : array of shape (ny, nx), p(predicted class | z)
    """

    extent: np.ndarray
    log_likelihood: np.ndarray
    predicted: np.ndarray
    probability: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.log_likelihood.shape)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        return grid_centres(self.extent, self.shape)

    def below(self, threshold: float) -> float:
        """Share of the cells whose best log-likelihood is below `threshold` ("none" there)."""
        return float(np.mean(self.log_likelihood < threshold))


def density_grid(inverse: MapInverse, mixture, extent, size: int = GRID_SIZE, *, chunk: int = 2048) -> DensityGrid:
    """Score the inverse's code at every cell of a size x size grid over `extent` with the class mixtures."""
    xs, ys = grid_centres(extent, (size, size))
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx): row = y
    xy = np.stack([gx.ravel(), gy.ravel()], axis=1)
    ll, pred, prob = [], [], []
    for start in range(0, len(xy), chunk):
        Z = inverse.transform(xy[start : start + chunk]).astype(np.float64)
        proba = mixture.predict_proba(Z)
        ll.append(mixture.log_likelihoods(Z).max(axis=1))
        pred.append(proba.argmax(axis=1))
        prob.append(proba.max(axis=1))
    return DensityGrid(
        np.asarray(extent, dtype=np.float64),
        np.concatenate(ll).reshape(size, size),
        np.concatenate(pred).reshape(size, size),
        np.concatenate(prob).reshape(size, size),
    )


# --------------------------------------------------------------------------- the bundle file


def to_arrays(inverse: MapInverse, grid: DensityGrid) -> dict[str, np.ndarray]:
    """What `map_inverse.npz` holds: the inverse's parameters and the density grid."""
    return {
        "n_neighbors": np.array([inverse.n_neighbors], dtype=np.int32),
        "bandwidth": np.array([inverse.bandwidth_], dtype=np.float64),
        "extent": np.asarray(grid.extent, dtype=np.float64),
        "log_likelihood": grid.log_likelihood.astype(np.float32),
        "predicted": grid.predicted.astype(np.int16),
        "probability": grid.probability.astype(np.float32),
    }


def build_arrays(coords, codes, mixture, *, size: int = GRID_SIZE, decode=None) -> dict[str, np.ndarray]:
    """Fit the inverse on a map's stored points and score its density grid (training time); with `decode`
    ((m, d) codes -> (m, 28, 28) images), also the text thumbnails of the decoded points (`thumbnails`)."""
    inverse = MapInverse().fit(coords, codes)
    arrays = to_arrays(inverse, density_grid(inverse, mixture, map_extent(coords), size))
    if decode is not None:
        arrays["thumbnails"] = point_thumbnails(codes, decode)
    return arrays


def point_thumbnails(codes, decode, chunk: int = 2000) -> np.ndarray:
    """(n, 7, 14) uint8 `latent.inputs.imaging.thumbnail_levels` of the decoded codes: the map's hover
    pictures. Stored, they spare the dashboard decoding 10,000 codes (5 s here) on its first map."""
    from latent.inputs.imaging import thumbnail_levels

    return np.concatenate([thumbnail_levels(decode(codes[i : i + chunk])) for i in range(0, len(codes), chunk)])


def stored_thumbnails(model) -> list[str] | None:
    """The map points' hover thumbnails as `map_inverse.npz` stores them (None for a bundle without them).
    A listed file that breaks the schema raises `BundleError` naming it."""
    from latent import artifacts, schema
    from latent.inputs.imaging import levels_text

    if MAP_INVERSE_FILE not in model.manifest.get("files", {}):
        return None
    arrays = artifacts.read_npz(model.directory, model.manifest, MAP_INVERSE_FILE)
    if "thumbnails" not in arrays:
        return None
    try:
        schema.check_map_inverse_arrays(arrays, model.n_classes, n_points=len(model.map.codes))
    except schema.SchemaError as exc:
        raise artifacts.bundle_error(model.directory, model.manifest, MAP_INVERSE_FILE, exc) from None
    return levels_text(arrays["thumbnails"])


def from_arrays(arrays: dict, coords, codes) -> tuple[MapInverse, DensityGrid]:
    """The inverse (refitted on the bundle's stored points with the stored parameters) and its grid.
    Check the arrays with `latent.schema.check_map_inverse_arrays` first."""
    inverse = MapInverse(int(arrays["n_neighbors"][0]), bandwidth=float(arrays["bandwidth"][0])).fit(coords, codes)
    grid = DensityGrid(
        np.asarray(arrays["extent"], dtype=np.float64),
        arrays["log_likelihood"].astype(np.float64),
        arrays["predicted"].astype(np.int64),
        arrays["probability"].astype(np.float64),
    )
    return inverse, grid


def load(model) -> tuple[MapInverse, DensityGrid | None]:
    """The inverse of a loaded `LatentModel`'s map, and its density grid when the bundle has one.

    A bundle from before `map_inverse.npz` gets the same inverse with the default parameters (estimated
    from map.npz in a tenth of a second) and no grid. A listed file that breaks the schema raises
    `BundleError` naming it (its hash was checked when the model loaded).
    """
    from latent import artifacts, schema

    coords, codes = model.map.coords, model.map.codes
    if MAP_INVERSE_FILE not in model.manifest.get("files", {}):
        return MapInverse().fit(coords, codes), None
    arrays = artifacts.read_npz(model.directory, model.manifest, MAP_INVERSE_FILE)
    try:
        schema.check_map_inverse_arrays(arrays, model.n_classes, n_points=len(codes))
    except schema.SchemaError as exc:
        raise artifacts.bundle_error(model.directory, model.manifest, MAP_INVERSE_FILE, exc) from None
    return from_arrays(arrays, coords, codes)


def add_to_bundle(directory: str | Path, *, size: int = GRID_SIZE, force: bool = False, log=lambda _: None) -> Path:
    """Write `map_inverse.npz` into an existing bundle and list it in the manifest; nothing else changes.

    The bundle is loaded (and so checked) first. A `map_inverse.npz` the manifest lists is recomputed
    only with `force`; a file of that name the manifest does not list is never overwritten.
    """
    from latent import artifacts
    from latent.bundle.model import LatentModel
    from latent.errors import BundleError
    from latent.schema import LIMITS

    directory = Path(directory)
    if not 2 <= size <= LIMITS.map_grid:
        raise BundleError(f"the density grid must have from 2 to {LIMITS.map_grid} cells per side, got {size}")
    model = LatentModel.load(directory)
    target = directory / MAP_INVERSE_FILE
    listed = MAP_INVERSE_FILE in model.manifest["files"]
    if listed and not force:
        raise BundleError(f"{target} is already part of the bundle; add --force to compute it again")
    if target.exists() and not listed:
        raise BundleError(f"{target} exists but is not part of the bundle; move it away first")
    log(f"blending the codes of {len(model.map.codes)} map points over a {size}x{size} grid")
    arrays = build_arrays(model.map.coords, model.map.codes, model.mixture, size=size, decode=model.decode)
    manifest = artifacts.load_manifest(directory, verify=False)
    others = {name: info for name, info in manifest["files"].items() if name != MAP_INVERSE_FILE}
    artifacts.verify_files(directory, {**manifest, "files": others})  # nothing else changed meanwhile
    tmp = directory / f".{MAP_INVERSE_FILE}.tmp"
    try:
        artifacts.write_npz(tmp, arrays)
        tmp.chmod(0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    manifest.pop("files")
    artifacts.write_manifest(directory, manifest)  # as artifacts.update_manifest, minus the file just replaced
    below = float(np.mean(arrays["log_likelihood"] < model.threshold))
    log(f"wrote {target}: {below:.1%} of the map below the 'none' threshold {model.threshold:.1f}")
    return target
