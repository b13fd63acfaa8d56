"""The map's inverse (map position -> latent code), its density grid, its bundle file and the CLI that
adds it to an existing bundle: on synthetic clusters where the answer is known, and on the session's
tiny trained bundle."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from bundle_edits import copy_bundle, edit_manifest, edit_npz, read_manifest
from latent import schema
from latent.bundle import map_inverse as mi
from latent.errors import BundleError
from latent.schema import MAP_INVERSE_FILE, SchemaError


def clusters(n=150, d=6, seed=0):
    """Three islands on the map, each with its own region of latent space (codes = centre + noise)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n)
    coords = rng.normal(scale=0.5, size=(3 * n, 2)) + np.array([[0, 0], [10, 0], [0, 10]])[labels]
    centres = rng.normal(scale=5.0, size=(3, d))
    codes = centres[labels] + rng.normal(scale=0.3, size=(3 * n, d))
    return coords, codes.astype(np.float32), labels, centres


# --------------------------------------------------------------------------- the inverse


def test_the_code_at_a_stored_point_is_close_to_its_own_code():
    coords, codes, labels, centres = clusters()
    inverse = mi.MapInverse().fit(coords, codes)
    Z = inverse.transform(coords)
    assert Z.shape == codes.shape and Z.dtype == np.float32 and np.all(np.isfinite(Z))
    err = np.linalg.norm(Z - codes, axis=1)
    other = np.linalg.norm(codes - codes[np.random.default_rng(1).permutation(len(codes))], axis=1)
    assert np.median(err) < 0.2 * np.median(other)
    # every blend stays in its own island's region of latent space
    nearest_centre = np.argmin(((Z[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert np.all(nearest_centre == labels)


def test_a_narrow_bandwidth_gives_back_the_stored_code_exactly():
    coords, codes, _, _ = clusters(n=40)
    inverse = mi.MapInverse(bandwidth=1e-6).fit(coords, codes)
    np.testing.assert_allclose(inverse.transform(coords[:25]), codes[:25], atol=1e-5)


def test_far_from_every_island_the_code_is_a_finite_blend_of_the_nearest():
    coords, codes, labels, centres = clusters()
    inverse = mi.MapInverse().fit(coords, codes)
    far = inverse.transform([[1e6, -1e6], [5.0, 5.0]])
    assert far.shape == (2, codes.shape[1]) and np.all(np.isfinite(far))
    # one spot between two islands: a blend of both, not a copy of either
    mid = inverse.transform([5.0, 0.0])[0]
    assert np.linalg.norm(mid - codes[labels == 0].mean(0)) > 1 and np.linalg.norm(mid - codes[labels == 1].mean(0)) > 1
    assert inverse.transform(np.array([0.0, 0.0])).shape == (1, codes.shape[1])


def test_bad_arguments_raise_value_errors():
    coords, codes, _, _ = clusters(n=10)
    with pytest.raises(ValueError, match="coords"):
        mi.MapInverse().fit(coords[:, :1], codes)
    with pytest.raises(ValueError, match="n_neighbors"):
        mi.MapInverse(0).fit(coords, codes)
    with pytest.raises(RuntimeError, match="not fitted"):
        mi.MapInverse().transform([0.0, 0.0])
    inverse = mi.MapInverse().fit(coords, codes)
    with pytest.raises(ValueError, match="finite"):
        inverse.transform([np.nan, 0.0])


def test_density_grid_scores_the_blends_with_the_class_mixtures():
    from latent.density.mixture import ClassGaussianMixture

    coords, codes, labels, _ = clusters()
    mixture = ClassGaussianMixture(1, covariance_type="full", random_state=0).fit(codes, labels)
    inverse = mi.MapInverse().fit(coords, codes)
    extent = mi.map_extent(coords)
    grid = mi.density_grid(inverse, mixture, extent, size=24)
    assert grid.shape == (24, 24) and np.all(np.isfinite(grid.log_likelihood))
    xs, ys = grid.centres()
    assert xs[0] == extent[0] and xs[-1] == extent[1] and ys[0] == extent[2] and ys[-1] == extent[3]
    for c, (x, y) in enumerate([(0, 0), (10, 0), (0, 10)]):  # the cell at each island's centre reads its class
        row, col = np.argmin(np.abs(ys - y)), np.argmin(np.abs(xs - x))
        assert grid.predicted[row, col] == c and grid.probability[row, col] > 0.9
    assert 0.0 <= grid.below(grid.log_likelihood.mean()) <= 1.0
    assert grid.below(grid.log_likelihood.max() + 1) == 1.0 and grid.below(grid.log_likelihood.min()) == 0.0


# --------------------------------------------------------------------------- the file and its schema


def valid_arrays(n_classes=3, size=8) -> dict:
    coords, codes, labels, _ = clusters(n=20)
    inverse = mi.MapInverse().fit(coords, codes)
    rng = np.random.default_rng(0)
    grid = mi.DensityGrid(
        mi.map_extent(coords),
        rng.normal(size=(size, size)) * 10,
        rng.integers(0, n_classes, (size, size)),
        rng.random((size, size)),
    )
    return mi.to_arrays(inverse, grid)


BREAKS = {
    "missing grid": (lambda a: a.pop("log_likelihood"), "log_likelihood is missing"),
    "NaN in the grid": (lambda a: a["log_likelihood"].__setitem__((0, 0), np.nan), "NaN"),
    "huge score": (lambda a: a["log_likelihood"].__setitem__((0, 0), 1e9), "beyond"),
    "unknown class": (lambda a: a["predicted"].__setitem__((1, 1), 3), "class indices"),
    "probability above 1": (lambda a: a["probability"].__setitem__((0, 1), 1.5), "shares"),
    "grid shapes disagree": (lambda a: a.__setitem__("predicted", a["predicted"][:-1]), "predicted has shape"),
    "zero bandwidth": (lambda a: a["bandwidth"].__setitem__(0, 0.0), "bandwidth"),
    "no neighbours": (lambda a: a["n_neighbors"].__setitem__(0, 0), "n_neighbors"),
    "reversed extent": (lambda a: a.__setitem__("extent", a["extent"][[1, 0, 2, 3]]), "extent"),
    "a scalar for a list": (lambda a: a.__setitem__("bandwidth", np.float64(0.1)), "bandwidth has shape"),
    "float classes": (lambda a: a.__setitem__("predicted", a["predicted"].astype(np.float32)), "integers"),
}


def test_schema_accepts_a_valid_file():
    schema.check_map_inverse_arrays(valid_arrays(), 3)


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_schema_refuses_a_broken_file_naming_the_array(case):
    arrays = valid_arrays()
    damage, message = BREAKS[case]
    damage(arrays)
    with pytest.raises(SchemaError, match=message):
        schema.check_map_inverse_arrays(arrays, 3)


def test_schema_bounds_the_grid_size(monkeypatch):
    monkeypatch.setattr(schema, "LIMITS", schema.Limits(map_grid=6))
    with pytest.raises(SchemaError, match="grid"):
        schema.check_map_inverse_arrays(valid_arrays(size=8), 3)


# --------------------------------------------------------------------------- bundles


def without_inverse(bundle, target):
    """A copy of `bundle` as a bundle from before map_inverse.npz (file gone, manifest rehashed)."""
    copy_bundle(bundle, target)
    (target / MAP_INVERSE_FILE).unlink()
    edit_manifest(target, lambda m: m["files"].pop(MAP_INVERSE_FILE))
    return target


def file_hashes(bundle) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(bundle.iterdir())}


def test_training_stores_the_inverse_and_its_density_grid(tiny_bundle):
    from latent.bundle.model import LatentModel

    model = LatentModel.load(tiny_bundle)
    assert MAP_INVERSE_FILE in read_manifest(tiny_bundle)["files"]
    inverse, grid = mi.load(model)
    assert grid is not None and grid.shape == (mi.GRID_SIZE, mi.GRID_SIZE)
    np.testing.assert_allclose(grid.extent, mi.map_extent(model.map.coords))
    assert np.all(np.isfinite(grid.log_likelihood))
    # the stored grid is the inverse's blends scored by the model: recompute a few cells
    xs, ys = grid.centres()
    for row, col in [(0, 0), (40, 60), (95, 17)]:
        z = inverse.transform([xs[col], ys[row]])
        result = model.classify(z)
        assert result.max_log_likelihood[0] == pytest.approx(grid.log_likelihood[row, col], abs=1e-3)
        assert np.argmax(result.proba[0]) == grid.predicted[row, col]
    # at the stored points the blends read mostly as their own class, like the stored codes themselves
    own = model.classify(inverse.transform(model.map.coords)).labels == model.map_labels
    stored = model.classify(model.map.codes).labels == model.map_labels
    assert own.mean() >= stored.mean() - 0.1


def test_training_stores_the_hover_thumbnails_of_the_map_points(tiny_bundle, tmp_path):
    """The dashboard's first map used to decode every stored point (10,000: 5 s here) for its hover labels."""
    from latent.bundle.model import LatentModel
    from latent.inputs.imaging import text_thumbnails

    model = LatentModel.load(tiny_bundle)
    thumbnails = mi.stored_thumbnails(model)
    assert thumbnails == text_thumbnails(model.decode(model.map.codes))
    # a bundle from before them has none (the page decodes them), and `latent map --force` adds them
    old = copy_bundle(tiny_bundle, tmp_path / "old")
    edit_npz(old, MAP_INVERSE_FILE, lambda a: a.pop("thumbnails"))
    assert mi.stored_thumbnails(LatentModel.load(old)) is None
    from latent.cli import main

    assert main(["map", "--model", str(old), "--force"]) == 0
    assert mi.stored_thumbnails(LatentModel.load(old)) == thumbnails
    # levels beyond the ramp, or thumbnails of another number of points, are one bundle error
    edit_npz(old, MAP_INVERSE_FILE, lambda a: a["thumbnails"].__setitem__((0, 0, 0), 200))
    with pytest.raises(BundleError, match=r"map_inverse\.npz.*thumbnails"):
        mi.stored_thumbnails(LatentModel.load(old))
    edit_npz(old, MAP_INVERSE_FILE, lambda a: a.__setitem__("thumbnails", a["thumbnails"][:-1] * 0))
    with pytest.raises(BundleError, match=r"map_inverse\.npz.*thumbnails has shape"):
        mi.stored_thumbnails(LatentModel.load(old))


def test_an_old_bundle_gets_the_inverse_without_a_grid_and_the_cli_adds_it(tiny_bundle, tmp_path, capsys):
    from latent.bundle.model import LatentModel
    from latent.cli import main

    old = without_inverse(tiny_bundle, tmp_path / "old")
    inverse, grid = mi.load(LatentModel.load(old))
    assert grid is None and np.all(np.isfinite(inverse.transform([[0.0, 0.0]])))
    before = file_hashes(old)
    assert main(["map", "--model", str(old), "--grid", "32"]) == 0
    assert "below the 'none' threshold" in capsys.readouterr().out
    after = file_hashes(old)
    # one new file, the manifest rewritten, nothing else touched
    assert set(after) - set(before) == {MAP_INVERSE_FILE}
    assert {k for k in before if before[k] != after[k]} == {"manifest.json"}
    manifest = read_manifest(old)
    assert manifest["created"] == read_manifest(tiny_bundle)["created"]
    _, grid = mi.load(LatentModel.load(old))  # hashes verified on load
    assert grid.shape == (32, 32)
    # a second run asks for --force; an unlisted file of that name is never overwritten
    assert main(["map", "--model", str(old)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["map", "--model", str(old), "--grid", "24", "--force"]) == 0
    stray = without_inverse(tiny_bundle, tmp_path / "stray")
    (stray / MAP_INVERSE_FILE).write_bytes(b"someone else's file")
    assert main(["map", "--model", str(stray)]) == 1
    assert "not part of the bundle" in capsys.readouterr().err
    assert (stray / MAP_INVERSE_FILE).read_bytes() == b"someone else's file"


def test_a_broken_inverse_file_is_one_bundle_error(tiny_bundle, tmp_path):
    from latent.bundle.model import LatentModel

    bundle = copy_bundle(tiny_bundle, tmp_path / "broken")
    edit_npz(bundle, MAP_INVERSE_FILE, lambda a: a["predicted"].__setitem__((0, 0), 99))
    model = LatentModel.load(bundle)  # the rest of the bundle is fine
    with pytest.raises(BundleError, match=r"map_inverse\.npz.*predicted.*rebuild it with"):
        mi.load(model)


def test_the_cli_refuses_a_grid_beyond_the_limit(tiny_bundle, tmp_path, capsys):
    from latent.cli import main

    old = without_inverse(tiny_bundle, tmp_path / "old")
    assert main(["map", "--model", str(old), "--grid", str(schema.LIMITS.map_grid + 1)]) == 1
    assert "cells per side" in capsys.readouterr().err and not (old / MAP_INVERSE_FILE).exists()
    assert MAP_INVERSE_FILE not in json.loads((old / "manifest.json").read_text())["files"]


def test_a_new_code_is_placed_by_its_true_nearest_stored_codes():
    """LatentMap.transform (torch's topk over squared distances) against a brute-force reference: every
    point of a walk lands where inverse-distance weighting of its 10 truly nearest codes puts it."""
    from latent.bundle.projection import LatentMap

    rng = np.random.default_rng(0)
    codes = rng.normal(size=(3000, 16)).astype(np.float32)
    coords = rng.uniform(-10, 10, size=(3000, 2)).astype(np.float32)
    Z = (codes[:200] + rng.normal(0, 0.5, (200, 16))).astype(np.float32)
    dist = np.sqrt(((Z[:, None, :].astype(np.float64) - codes[None]) ** 2).sum(-1))
    near = np.argsort(dist, axis=1)[:, :10]
    w = 1 / (np.take_along_axis(dist, near, 1) + 1e-6)
    expected = (w[:, :, None] * coords[near]).sum(1) / w.sum(1, keepdims=True)
    placed = LatentMap(codes, coords)
    np.testing.assert_allclose(placed.transform(Z), expected, atol=1e-4)
    np.testing.assert_array_equal(placed.transform(codes[:20]), coords[:20])  # a stored code: its own place
    assert np.isnan(placed.transform(np.full(16, np.nan))).all()
