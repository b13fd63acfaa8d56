"""Figures are asserted on content: traces, ellipses, labels, customdata, hover text."""

import numpy as np
import plotly.graph_objects as go
import pytest

from latent.figures import plots
from latent.inputs.imaging import TEXT_RAMP, text_thumbnails, tile, upscale

NAMES = ["zero", "one", "two"]


def _map_data(n_per_class=20, k=2, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n_per_class)
    coords = rng.normal(size=(len(labels), 2)) + labels[:, None] * 5.0
    index = np.array([(c, j) for c in range(3) for j in range(k)])
    centers = np.array([[5.0 * c + j, 5.0 * c] for c, j in index])
    covs = np.tile(np.eye(2) * 0.5, (len(index), 1, 1))
    weights = np.tile(np.full(k, 1.0 / k), 3)
    return coords, labels, plots.Ellipses(index, centers, covs, weights)


def _kinds(fig):
    return [t.meta["kind"] if t.meta else "points" for t in fig.data]


def test_latent_map_has_a_trace_per_class_an_ellipse_per_component_and_clickable_centres():
    coords, labels, ellipses = _map_data(k=2)
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses)
    kinds = _kinds(fig)
    assert kinds.count("points") == 3
    assert kinds.count("ellipse") == len(ellipses) == 6
    assert kinds.count("centres") == 3
    point_traces = [t for t in fig.data if not t.meta]
    assert [t.name for t in point_traces] == NAMES
    # customdata carries [POINT, global index]: every point exactly once, in the trace of its class
    ids = np.concatenate([np.asarray(t.customdata)[:, 1] for t in point_traces]).astype(int)
    assert sorted(ids) == list(range(len(coords)))
    for c, t in enumerate(point_traces):
        custom = np.asarray(t.customdata)
        assert np.all(custom[:, 0] == plots.POINT) and np.all(labels[custom[:, 1].astype(int)] == c)
        np.testing.assert_allclose(t.x, coords[custom[:, 1].astype(int), 0])
    # style markers: drawn for the eye (no hover), clicked through small invisible hit markers drawn last,
    # customdata [COMPONENT, ellipse row, style number, weight %], at the centres and on a ring around them
    centres = [t for t in fig.data if t.meta and t.meta["kind"] == "centres"]
    assert len(centres) == 3 and all(t.hoverinfo == "skip" and t.marker.symbol == "diamond" for t in centres)
    hits = [t for t in fig.data if t.meta and t.meta["kind"] == "hits"]
    assert len(hits) == 3 and fig.data[-3:] == tuple(hits)
    rows = np.concatenate([np.asarray(t.customdata)[:, 1] for t in hits]).astype(int)
    assert sorted(rows) == sorted(list(range(6)) * 7)  # a centre and six around it per style
    ring = plots.HIT_RING * np.diff(fig.layout.xaxis.range)[0]
    for t in hits:
        custom = np.asarray(t.customdata)
        assert np.all(custom[:, 0] == plots.COMPONENT) and "click" in t.hovertemplate
        offsets = np.hypot(
            t.x - ellipses.centers[custom[:, 1].astype(int), 0], t.y - ellipses.centers[custom[:, 1].astype(int), 1]
        )
        np.testing.assert_allclose(np.sort(offsets)[: len(offsets) // 7], 0, atol=1e-9)
        np.testing.assert_allclose(np.sort(offsets)[len(offsets) // 7 :], ring, rtol=1e-6)
        # radius 3 px: a dot under the cursor (distance 0) ties with it, and the later trace wins the tie
        assert t.marker.size <= 6 and t.marker.opacity == 0
    # a class's points, ellipses and centres share its legend group (the legend hides all of it)
    groups = {t.legendgroup for t in fig.data if t.name.startswith("one")}
    assert groups == {"class1"}
    assert sum(bool(t.showlegend is not False) for t in fig.data) == 3


def test_latent_map_without_points_keeps_the_styles_the_legend_and_the_frame():
    coords, labels, ellipses = _map_data(k=2)
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, points=False)
    kinds = _kinds(fig)
    assert "points" not in kinds and kinds.count("ellipse") == 6 and kinds.count("centres") == 3
    assert kinds.count("hits") == 3
    centres = [t for t in fig.data if t.meta["kind"] == "centres"]
    # the centre traces carry the legend now, one entry per class
    assert [t.name for t in centres] == NAMES and all(t.showlegend for t in centres)
    # the view spans the points' extent, so switching the points off does not move the map
    x0, x1 = fig.layout.xaxis.range
    assert x0 < coords[:, 0].min() < coords[:, 0].max() < x1
    assert x1 - x0 < 1.2 * np.ptp(coords[:, 0])


def test_ellipse_outlines_follow_their_covariance():
    coords, labels, ellipses = _map_data(k=1)
    ellipses.covariances[0] = np.diag([4.0, 1.0])
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, n_std=2.0)
    outline = next(t for t in fig.data if t.meta and t.meta["kind"] == "ellipse" and t.meta["row"] == 0)
    x, y = np.asarray(outline.x) - ellipses.centers[0, 0], np.asarray(outline.y) - ellipses.centers[0, 1]
    assert np.max(np.abs(x)) == pytest.approx(4.0, rel=1e-3)  # 2 std of variance 4
    assert np.max(np.abs(y)) == pytest.approx(2.0, rel=1e-3)


def test_latent_map_without_ellipses_hover_thumbnails_and_subsampling():
    coords, labels, _ = _map_data(n_per_class=50)
    thumbs = [f"thumb{i}" for i in range(len(coords))]
    fig = plots.latent_map(coords, labels, NAMES, hover_images=thumbs, max_points=60)
    assert _kinds(fig) == ["points"] * 3
    assert sum(len(t.x) for t in fig.data) == 60
    for t in fig.data:
        ids = np.asarray(t.customdata)[:, 1].astype(int)
        assert list(t.hovertext) == [f"thumb{i}" for i in ids]
        assert "%{hovertext}" in t.hovertemplate
    with pytest.raises(ValueError, match="hover_images"):
        plots.latent_map(coords, labels, NAMES, hover_images=thumbs[:3])
    with pytest.raises(ValueError, match="coords"):
        plots.latent_map(coords[:, :1], labels, NAMES)


def _grid(coords, size=12, threshold_share=0.25):
    """A density grid over the points' extent whose lowest `threshold_share` of cells are below the threshold."""
    from latent.bundle.map_inverse import DensityGrid, map_extent

    rng = np.random.default_rng(0)
    ll = rng.normal(size=(size, size)) * 10
    grid = DensityGrid(map_extent(coords), ll, rng.integers(0, 3, (size, size)), rng.random((size, size)))
    return grid, float(np.quantile(ll, threshold_share))


def test_every_spot_of_the_map_is_clickable_and_says_what_the_model_sees_there():
    coords, labels, ellipses = _map_data()
    grid, threshold = _grid(coords)
    xs, ys = grid.centres()
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, spots=(xs, ys), density=grid, threshold=threshold)
    kinds = _kinds(fig)
    # shading first, then spots, then everything that must win a tie against a spot
    assert kinds[:2] == ["density", "threshold"]
    assert kinds.index("points") > max(i for i, k in enumerate(kinds) if k == "spots")
    spots = [t for t in fig.data if t.meta and t.meta["kind"] == "spots"]
    custom = np.concatenate([np.asarray(t.customdata) for t in spots])
    assert np.all(custom[:, 0] == plots.SPOT) and sorted(custom[:, 1].astype(int)) == list(range(12 * 12))
    for t in spots:  # cell = row * nx + column, each at its grid position, invisible until clicked
        cell = np.asarray(t.customdata)[:, 1].astype(int)
        np.testing.assert_allclose(t.x, xs[cell % 12], rtol=1e-6)
        np.testing.assert_allclose(t.y, ys[cell // 12], rtol=1e-6)
        assert t.marker.opacity == 0 and t.selected.marker.opacity == 1 and t.marker.size <= 6
        np.testing.assert_allclose(np.asarray(t.customdata)[:, 2], grid.log_likelihood.ravel()[cell], rtol=1e-5)
    # one trace per class the model reads there, one for the cells below the threshold ("none")
    below = next(t for t in spots if "unlikely" in t.hovertemplate)
    assert len(below.x) == np.sum(grid.log_likelihood < threshold)
    two = next(t for t in spots if "<b>two</b>" in t.hovertemplate)
    cells = np.asarray(two.customdata)[:, 1].astype(int)
    assert np.all(grid.predicted.ravel()[cells] == 2) and np.all(grid.log_likelihood.ravel()[cells] >= threshold)
    contour = fig.data[1]
    assert contour.contours.start == contour.contours.end == pytest.approx(threshold)
    # without shading: the same spots and their hover, no heatmap; without a grid: one plain spot trace
    plain = plots.latent_map(coords, labels, NAMES, spots=(xs, ys), density=grid, shade=False, threshold=threshold)
    assert "density" not in _kinds(plain) and _kinds(plain).count("spots") == len(spots)
    bare = plots.latent_map(coords, labels, NAMES, spots=(xs, ys))
    assert _kinds(bare).count("spots") == 1 and len(bare.data[0].x) == 144 and "click" in bare.data[0].hovertemplate
    # every other row and column: a quarter of the spots, still numbered as cells of the whole grid
    sparse = plots.latent_map(coords, labels, NAMES, spots=(xs, ys), spot_stride=2).data[0]
    cell = np.asarray(sparse.customdata)[:, 1].astype(int)
    assert len(cell) == 36 and np.all(cell % 12 % 2 == 0) and np.all(cell // 12 % 2 == 0)
    np.testing.assert_allclose(sparse.x, xs[cell % 12], rtol=1e-6)


def test_webgl_draws_points_and_spots_on_a_canvas_and_keeps_the_style_hits_in_svg():
    coords, labels, ellipses = _map_data()
    grid, threshold = _grid(coords)
    fig = plots.latent_map(
        coords, labels, NAMES, ellipses=ellipses, spots=grid.centres(), density=grid, threshold=threshold, webgl=True
    )
    types = {(t.meta or {}).get("kind", "points"): t.type for t in fig.data}
    assert types["points"] == types["spots"] == "scattergl"
    # the hits must stay SVG markers of radius 3: distance 0 within 3 px, so they win over WebGL points
    assert types["hits"] == types["centres"] == "scatter" and types["density"] == "heatmap"
    assert _kinds(fig)[-3:] == ["hits"] * 3


def test_the_map_spans_its_extent():
    coords, labels, ellipses = _map_data()
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, extent=(-1, 2, -3, 4))
    assert tuple(fig.layout.xaxis.range) == (-1, 2) and tuple(fig.layout.yaxis.range) == (-3, 4)
    auto = plots.latent_map(coords, labels, NAMES)
    x0, x1 = auto.layout.xaxis.range
    assert x0 < coords[:, 0].min() and coords[:, 0].max() < x1 and (x1 - x0) < 1.1 * np.ptp(coords[:, 0])


def test_a_frozen_figure_serialises_the_same_and_its_copies_do_not_change_it():
    import plotly.io as pio

    coords, labels, ellipses = _map_data()
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses)
    frozen = plots.freeze(fig)
    assert frozen.to_dict() is frozen.to_dict()
    assert pio.to_json(frozen.to_dict(), validate=False) == pio.to_json(fig, validate=False)
    marked = plots.map_markers(frozen, [1.0, 2.0], name="x")
    assert len(marked.data) == len(fig.data) + 1 and len(frozen.to_dict()["data"]) == len(fig.data)


def test_a_frozen_map_is_encoded_once_and_serialises_byte_for_byte_as_plotly_would():
    """freeze() stores each trace's values as JSON (orjson Fragments, escaped as plotly escapes them), so
    the Latent map's 1.4 MB is not encoded again on every click; what reaches the browser is unchanged,
    for hover texts holding <br>, slashes and a line separator too, and overlays still compose on it."""
    import orjson
    import plotly.io as pio

    coords, labels, ellipses = _map_data()
    names = ["a/b", "<i>c</i>", "d\u2028e"]
    hover = [f"row {i}<br>@@ /\u2028" for i in range(len(labels))]
    fig = plots.latent_map(coords, labels, names, ellipses=ellipses, hover_images=hover, extent=(-3, 14, -3, 14))
    frozen = plots.freeze(fig, encode=True)
    assert pio.to_json(frozen, validate=False) == pio.to_json(fig, validate=False)
    assert tuple(frozen.layout.xaxis.range) == (-3, 14)  # read back from the figure itself
    assert any(isinstance(v, orjson.Fragment) for trace in frozen.to_dict()["data"] for v in trace.values())
    marked = plots.map_markers(frozen, [1.0, 2.0], name="x/<y>", text=["drawn"])
    expected = plots.map_markers(fig, [1.0, 2.0], name="x/<y>", text=["drawn"])
    assert pio.to_json(marked, validate=False) == pio.to_json(expected, validate=False)
    shaded = plots.from_spec(frozen.to_dict(), shapes=[dict(type="line", x0=0, x1=1, y0=0, y1=1)])
    assert len(json_of(shaded)["layout"]["shapes"]) == len(fig.layout.shapes) + 1


def json_of(fig) -> dict:
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False))


def test_levels_text_writes_each_row_as_a_line_of_the_ramp():
    from latent.inputs.imaging import TEXT_RAMP, levels_text

    levels = np.array([[[0, 9, 1], [1, 0, 0]], [[0, 0, 0], [9, 9, 9]]], dtype=np.uint8)
    assert levels_text(levels) == [" @.<br>.  ", "   <br>@@@"]
    assert levels_text(np.zeros((0, 7, 14), dtype=np.uint8)) == []
    many = np.random.default_rng(0).integers(0, len(TEXT_RAMP), (50, 7, 14))
    assert levels_text(many) == ["<br>".join("".join(TEXT_RAMP[v] for v in row) for row in p) for p in many]


def test_trim_thumbnails_drops_blank_margins_only():
    assert plots.trim_thumbnails(["   <br>  .@ <br>  @@@  <br>   "]) == [".@<br>@@@"]
    assert plots.trim_thumbnails(["<br>"]) == [""]
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 10:18, 12:16] = 1.0
    full, trimmed = text_thumbnails(image)[0], plots.trim_thumbnails(text_thumbnails(image))[0]
    assert len(trimmed) < len(full) and trimmed.split("<br>")[0] != ""
    kept = [line.strip() for line in full.split("<br>") if line.strip()]
    assert [line.strip() for line in trimmed.split("<br>")] == kept


def test_selected_items_reads_dict_and_list_customdata():
    event = {
        "selection": {
            "points": [
                {"customdata": {"0": 1, "1": 4}},
                {"customdata": [0, 15]},
                {"point_index": 3},
                {"customdata": 7},
                {"customdata": {"0": 2.0, "1": 77.0, "2": -12.5}},
            ]
        }
    }
    assert plots.selected_items(event) == [(plots.COMPONENT, 4), (plots.POINT, 15), (plots.SPOT, 77)]
    assert plots.selected_items({"selection": {"points": []}}) == []
    assert plots.selected_items(None) == []
    assert plots.selected_items({}) == []


def test_overlays_add_traces_to_a_copy():
    coords, labels, ellipses = _map_data()
    base = plots.latent_map(coords, labels, NAMES, ellipses=ellipses)
    n = len(base.data)
    marked = plots.map_markers(base, [1.0, 2.0], name="your drawing", text=["your drawing: one"])
    assert len(base.data) == n and len(marked.data) == n + 1
    assert marked.data[-1].name == "your drawing" and list(marked.data[-1].x) == [1.0]
    path = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    walked = plots.map_path(base, path, name="walk", current=np.array([1.0, 1.0]))
    assert _kinds(walked)[n:] == ["path", "ends", "current"]
    assert list(walked.data[n].x) == [0.0, 1.0, 2.0] and list(walked.data[n + 1].x) == [0.0, 2.0]


def test_probability_bars_highlight_the_prediction():
    proba = np.array([0.1, 0.7, 0.2])
    fig = plots.probability_bars(proba, NAMES, predicted=1)
    bar = fig.data[0]
    assert list(bar.y) == NAMES and list(bar.x) == pytest.approx(list(proba))
    assert list(bar.text) == ["10%", "70%", "20%"]
    assert bar.marker.color[1] == plots.class_colors(3)[1] and bar.marker.color[0] == bar.marker.color[2]
    grey = plots.probability_bars(proba, NAMES, predicted=None).data[0].marker.color
    assert len(set(grey)) == 1
    with pytest.raises(ValueError):
        plots.probability_bars(proba[:2], NAMES)


def test_path_probabilities_draws_relevant_classes_and_the_none_band():
    t = np.linspace(0, 1, 11)
    proba = np.stack([1 - t, t, np.zeros_like(t)], axis=1)
    rejected = (t > 0.35) & (t < 0.65)
    fig = plots.path_probabilities(t, proba, NAMES, current_t=0.3, rejected=rejected)
    assert [tr.name for tr in fig.data] == ["zero", "one"]  # "two" never reaches 5 %
    shapes = fig.layout.shapes
    assert any(s.type == "line" and s.x0 == 0.3 for s in shapes)
    band = [s for s in shapes if s.type == "rect"]
    assert len(band) == 1 and band[0].x0 == pytest.approx(0.4) and band[0].x1 == pytest.approx(0.7)


def test_kl_heatmap_hover_shows_value_and_monte_carlo_error():
    value = np.array([[0.0, 2.5, 40.0], [3.0, 0.0, 7.0], [50.0, 9.0, 0.0]])
    stderr = np.full((3, 3), 0.25)
    fig = plots.kl_heatmap(value, stderr, NAMES)
    hm = fig.data[0]
    assert isinstance(hm, go.Heatmap) and list(hm.x) == NAMES and list(hm.y) == NAMES
    custom = np.asarray(hm.customdata)
    np.testing.assert_allclose(custom[..., 0], value)
    np.testing.assert_allclose(custom[..., 1], stderr)
    assert "± %{customdata[1]" in hm.hovertemplate and "KL(%{y} ‖ %{x})" in hm.hovertemplate
    assert hm.text[0][2] == "40" and hm.text[0][1] == "2.5"
    with pytest.raises(ValueError):
        plots.kl_heatmap(value[:2], stderr, NAMES)


def test_confusion_heatmap_counts_rates_and_hidden_diagonal():
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    fig = plots.confusion_heatmap(cm, NAMES)
    hm = fig.data[0]
    np.testing.assert_allclose(np.asarray(hm.z)[0], [0.8, 0.2, 0.0])
    assert hm.text[0][0] == "8" and hm.text[0][2] == ""
    assert fig.layout.xaxis.title.text == "predicted class" and fig.layout.yaxis.title.text == "true class"
    hidden = np.asarray(plots.confusion_heatmap(cm, NAMES, hide_diagonal=True).data[0].z, dtype=float)
    assert np.all(np.isnan(np.diag(hidden))) and hidden[0, 1] == pytest.approx(0.2)


def test_entropy_accuracy_training_and_density_charts():
    fig = plots.entropy_chart(np.array([-3.0, 1.0, 2.0]), np.array([0.1, 0.2, 0.0]), NAMES)
    assert list(fig.data[0].x) == NAMES and list(fig.data[0].error_y.array) == pytest.approx([0.2, 0.4, 0.0])
    dots = plots.accuracy_chart({"zero": 0.9, "one": 1.0}).data[1]
    assert list(dots.text) == ["90.0%", "100.0%"]
    history = [
        {"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "val_mse": 0.05},
        {"epoch": 2, "train_loss": 0.3, "val_loss": 0.4, "val_mse": 0.03},
    ]
    curves = plots.training_curves(history)
    assert [t.name for t in curves.data] == ["training loss", "validation loss", "validation MSE"]
    assert curves.data[2].yaxis == "y2"
    density = plots.log_density_trace(np.array([1.0, 2.0, 1.5]), threshold=-3.0)
    assert len(density.data[0].y) == 3 and density.layout.shapes[0].y0 == -3.0


def test_frames_animation_has_one_frame_and_slider_step_per_image():
    images = np.random.default_rng(0).uniform(size=(5, 28, 28))
    fig = plots.frames_animation(images, [f"step {i}" for i in range(5)])
    assert len(fig.frames) == 5 and len(fig.layout.sliders[0].steps) == 5
    assert fig.layout.sliders[0].steps[3].label == "step 3"
    np.testing.assert_array_equal(fig.frames[2].data[0].z, np.round(images[2] * 255))  # 8-bit grey levels
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 255)
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ play", "❚❚ pause"]


def test_a_walks_animation_reaches_the_browser_as_whole_numbers():
    """60 frames of 28x28 pixels: as 8-bit levels the JSON is ~4 characters a pixel (floats took ~14)."""
    import plotly.io

    images = np.random.default_rng(0).uniform(size=(60, 28, 28)).astype(np.float32)
    size = len(plotly.io.to_json(plots.frames_animation(images, [f"step {i}" for i in range(60)]), validate=False))
    assert size < 60 * 28 * 28 * 5, size  # was 654 kB


def test_the_library_never_imports_streamlit():
    import ast
    from pathlib import Path

    for path in Path(plots.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), path.name


def test_class_colors_are_distinct():
    assert len(set(plots.class_colors(10))) == 10
    assert len(plots.class_colors(26)) == 26


# --------------------------------------------------------------------------- images


def test_tile_lays_images_out_on_a_padded_grid():
    images = np.stack([np.full((4, 4), v) for v in (0.2, 0.4, 0.6, 0.8, 1.0)])
    grid = tile(images, 3, pad=1, pad_value=0.0)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1)
    assert grid[1, 1] == pytest.approx(0.2) and grid[1, 6] == pytest.approx(0.4) and grid[6, 6] == pytest.approx(1.0)
    assert grid[6, 11] == 0.0  # the empty sixth cell
    assert tile(np.zeros((16, 28, 28), np.uint8)).shape == (4 * 30 + 2, 4 * 30 + 2)
    assert upscale(np.eye(2), 3).shape == (6, 6)


def test_text_thumbnails_keep_the_shape_of_the_ink():
    img = np.zeros((28, 28))
    img[4:24, 12:16] = 1.0  # a vertical bar, like a "1"
    (thumb,) = text_thumbnails(img[None])
    lines = thumb.split("<br>")
    assert len(lines) == 7 and all(len(line) == 14 for line in lines)
    assert set(thumb.replace("<br>", "")) <= set(TEXT_RAMP)
    assert all(line[6:8] == "@@" for line in lines[1:6])  # ink in the middle columns
    assert all(line[:5] == "     " for line in lines)  # blank background
    assert thumb.isascii()


def test_bic_curve_marks_the_chosen_number_of_components():
    fig = plots.bic_curve(np.array([500.0, 420.0, 430.0, 450.0]), 2, "7")
    line, star = fig.data
    assert list(line.x) == [1, 2, 3, 4]
    assert list(star.x) == [2] and list(star.y) == [420.0]
    assert "Class 7" in fig.layout.title.text


def test_sweep_curves_draw_one_panel_per_measure_present():
    rows = [
        {"latent_dim": 2, "test_accuracy": 0.8, "test_reconstruction_mse": 0.05, "test_mean_log_likelihood": -1.0},
        {"latent_dim": 8, "test_accuracy": 0.95, "test_reconstruction_mse": 0.02, "test_mean_log_likelihood": -1.4},
    ]
    fig = plots.sweep_curves(rows)
    assert len(fig.data) == 3  # no sample fidelity in these rows: no empty panel for it
    assert [a.text for a in fig.layout.annotations] == ["test accuracy", "reconstruction MSE", "mean log-likelihood"]
    assert list(fig.data[1].x) == [2, 8] and list(fig.data[1].y) == [0.05, 0.02]
    # two panels a row (readable on a phone): the third panel starts a second row
    assert fig.data[2].xaxis == "x3" and fig.layout.yaxis3.domain[1] < fig.layout.yaxis.domain[0]


def _strings(obj):
    """Every string in a figure's dict (names, text, hover templates, tick labels, titles...)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, (list, tuple, np.ndarray)):
        for value in obj:
            yield from _strings(value)


HOSTILE_NAMES = ['<a href="http://example.com">a</a>', "<img src=http://example.com/x.png>", "<b>%{x}</b>"]


def test_figures_show_class_names_as_plain_text():
    """Plotly renders <a>, <b>, <br>, <span style> in names, labels and hover text: bundle text is escaped."""
    from latent.text import escape_plotly

    names = HOSTILE_NAMES
    coords, labels, ellipses = _map_data(k=2)
    proba = np.array([0.2, 0.5, 0.3])
    figures = [
        plots.latent_map(coords, labels, names, ellipses=ellipses),
        plots.latent_map(coords, labels, names, ellipses=ellipses, points=False),
        plots.probability_bars(proba, names, predicted=1),
        plots.path_probabilities(np.linspace(0, 1, 5), np.tile(proba, (5, 1)), names),
        plots.kl_heatmap(np.ones((3, 3)), np.zeros((3, 3)), names),
        plots.entropy_chart(np.ones(3), np.zeros(3), names),
        plots.confusion_heatmap(np.eye(3) * 5 + 1, names),
        plots.accuracy_chart(dict(zip(names, [0.5, 0.6, 0.7], strict=False))),
        plots.bic_curve(np.array([3.0, 2.0, 4.0]), 2, names[0]),
        plots.map_markers(go.Figure(), np.zeros((1, 2)), name=names[1], text=[names[2]]),
        plots.map_path(go.Figure(), np.zeros((3, 2)), name=names[1], text=names),
    ]
    for fig in figures:
        shown = list(_strings(fig.to_dict()))
        assert not [s for s in shown if "<a " in s or "<img" in s or "<b>%{x}" in s], shown
        assert not [s for s in shown if "%{x}</b>" in s]
        assert any(escape_plotly(n) in s for s in shown for n in names), shown


# --------------------------------------------------------------------------- readable on any screen and theme


def test_heatmap_axes_hug_the_grid():
    """Square cells (scaleanchor) left the x axis ~70 px below a grid narrower than its box; cells now fill it."""
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    for fig in (plots.kl_heatmap(np.ones((3, 3)), np.zeros((3, 3)), NAMES), plots.confusion_heatmap(cm, NAMES)):
        assert fig.layout.yaxis.scaleanchor is None and fig.layout.xaxis.scaleanchor is None
        assert fig.layout.yaxis.constrain in (None, "domain")


MNIST_CONFUSION = np.array(
    [  # the shipped MNIST model's test confusion matrix
        [975, 0, 0, 0, 0, 2, 2, 0, 1, 0],
        [0, 1129, 2, 1, 0, 0, 2, 0, 1, 0],
        [3, 0, 1023, 2, 0, 0, 0, 3, 1, 0],
        [0, 0, 1, 999, 0, 3, 0, 1, 5, 1],
        [0, 0, 2, 0, 974, 0, 1, 0, 1, 4],
        [2, 0, 0, 9, 0, 876, 1, 0, 4, 0],
        [3, 1, 0, 0, 5, 3, 946, 0, 0, 0],
        [0, 2, 7, 3, 0, 0, 0, 1011, 1, 4],
        [1, 0, 1, 10, 0, 3, 0, 1, 953, 5],
        [0, 2, 5, 7, 9, 1, 0, 2, 2, 981],
    ]
)


@pytest.mark.parametrize("hide_diagonal", [True, False])
def test_confusion_colourbar_ticks_are_distinct_and_inside_the_colours(hide_diagonal):
    names = [str(i) for i in range(10)]
    hm = plots.confusion_heatmap(MNIST_CONFUSION, names, hide_diagonal=hide_diagonal).data[0]
    z = np.asarray(hm.z, dtype=float)
    ticks, labels = list(hm.colorbar.tickvals), list(hm.colorbar.ticktext)
    assert len(ticks) >= 3 and len(set(labels)) == len(labels), labels  # was "1%, 1%, 1%, 0%"
    assert np.nanmin(z) - 1e-12 <= min(ticks) and max(ticks) <= np.nanmax(z) + 1e-12
    for value, label in zip(ticks, labels, strict=False):  # each label says its value
        assert float(label.rstrip("%")) == pytest.approx(100 * value, abs=1e-9)


def test_confusion_counts_fit_their_cells_on_a_phone():
    """Four-digit counts in 10 columns: a smaller font, and the colour bar below the grid instead of beside it."""
    hm = plots.confusion_heatmap(MNIST_CONFUSION, [str(i) for i in range(10)]).data[0]
    assert hm.textfont.size <= 10
    assert hm.colorbar.orientation == "h"


def test_per_class_accuracy_is_zoomed_to_the_data():
    """97-99 % on a 0-100 % axis all look equal: the axis spans the data, and the labels carry a decimal."""
    acc = {
        str(i): v
        for i, v in enumerate([0.9949, 0.9947, 0.9913, 0.9891, 0.9919, 0.9821, 0.9875, 0.9835, 0.9784, 0.9722])
    }
    fig = plots.accuracy_chart(acc)
    lo, hi = fig.layout.xaxis.range
    assert 0.95 < lo < min(acc.values()) and hi >= 1.0
    assert (hi - lo) < 0.1  # the spread fills the axis
    dots = next(t for t in fig.data if t.mode and "markers" in t.mode)
    assert list(dots.y) == list(acc) and list(dots.x) == pytest.approx(list(acc.values()))
    assert list(dots.text)[0] == "99.5%" and list(dots.text)[-1] == "97.2%"
    low = plots.accuracy_chart({"a": 0.5, "b": 0.9})  # a weak class still fits
    assert low.layout.xaxis.range[0] < 0.5


def test_training_curves_have_short_distinct_mse_ticks():
    history = [
        {"epoch": i + 1, "train_loss": 0.27 - 0.015 * i, "val_loss": 0.12 - 0.003 * i, "val_mse": v}
        for i, v in enumerate(
            [0.0187, 0.0141, 0.0131, 0.0112, 0.0104, 0.0099, 0.0098, 0.0098, 0.0091, 0.0091, 0.0089, 0.0089]
        )
    ]
    axis = plots.training_curves(history).layout.yaxis2
    labels = list(axis.ticktext)
    assert len(labels) >= 3 and len(set(labels)) == len(labels)
    assert all(len(s) <= 5 for s in labels), labels  # "0.015", not "0.01795"
    assert min(axis.tickvals) >= 0.0089 - 1e-9 and max(axis.tickvals) <= 0.0187 + 1e-9
    for value, label in zip(axis.tickvals, labels, strict=False):
        assert float(label) == pytest.approx(value)


def test_nice_ticks_step_by_one_two_or_five():
    values, labels = plots.nice_ticks(0.0, 0.0126, percent=True)
    assert labels == ["0%", "0.5%", "1%"] and values == pytest.approx([0, 0.005, 0.01])
    assert plots.nice_ticks(0.0089, 0.0187)[1] == ["0.01", "0.012", "0.014", "0.016", "0.018"]
    values, labels = plots.nice_ticks(-31.5, -18.2)
    assert labels == ["-30", "-25", "-20"]
    assert plots.nice_ticks(2.0, 2.0)[1] == ["2"]


def _luminance(rgb):
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _contrast(a, b):
    hi, lo = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _opaque_rgb(color):
    """(r, g, b) of an opaque colour string; None for translucent or unparsed ones."""
    import re

    color = color.strip().lower()
    named = {"white": "#ffffff", "black": "#000000", "grey": "#808080", "gray": "#808080"}
    color = named.get(color, color)
    if re.fullmatch(r"#[0-9a-f]{3}", color):
        color = "#" + "".join(ch * 2 for ch in color[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", color):
        return [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    m = re.fullmatch(r"rgba?\(([^)]*)\)", color)
    if m:
        parts = [float(p) for p in m.group(1).split(",")]
        return None if len(parts) == 4 and parts[3] < 1 else parts[:3]
    return None


def _colours(obj, path=()):
    """(key path, colour string) of every colour a figure sets, colour scales aside."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "colorscale":
                continue
            if key.endswith("color") and isinstance(value, str):
                yield path + (key,), value
            elif key.endswith("color") and isinstance(value, (list, tuple)):
                yield from ((path + (key,), v) for v in value if isinstance(v, str))
            else:
                yield from _colours(value, path + (key,))
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _colours(value, path)


LIGHT_BG, DARK_BG = (255, 255, 255), (14, 17, 23)  # Streamlit's light and dark backgrounds


def _my_figures():
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    history = [
        {"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "val_mse": 0.05},
        {"epoch": 2, "train_loss": 0.3, "val_loss": 0.4, "val_mse": 0.03},
    ]
    t = np.linspace(0, 1, 5)
    return {
        "probability_bars": plots.probability_bars(np.array([0.2, 0.5, 0.3]), NAMES, predicted=1),
        "path_probabilities": plots.path_probabilities(
            t, np.tile([0.2, 0.5, 0.3], (5, 1)), NAMES, current_t=0.5, rejected=t > 0.7
        ),
        "kl_heatmap": plots.kl_heatmap(np.ones((3, 3)), np.zeros((3, 3)), NAMES),
        "entropy_chart": plots.entropy_chart(np.ones(3), np.full(3, 0.1), NAMES),
        "confusion_heatmap": plots.confusion_heatmap(cm, NAMES),
        "accuracy_chart": plots.accuracy_chart(dict(zip(NAMES, [0.95, 0.97, 0.99], strict=False))),
        "training_curves": plots.training_curves(history),
        "log_density_trace": plots.log_density_trace(np.array([1.0, 2.0]), threshold=0.0),
        "frames_animation": plots.frames_animation(np.zeros((2, 4, 4)), ["a", "b"]),
        "bic_curve": plots.bic_curve(np.array([3.0, 2.0, 4.0]), 2, "x"),
        "sweep_curves": plots.sweep_curves(
            [{"latent_dim": 2, "test_accuracy": 0.8}, {"latent_dim": 4, "test_accuracy": 0.9}]
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "probability_bars",
        "path_probabilities",
        "kl_heatmap",
        "entropy_chart",
        "confusion_heatmap",
        "accuracy_chart",
        "training_curves",
        "log_density_trace",
        "frames_animation",
        "bic_curve",
        "sweep_curves",
    ],
)
def test_figures_read_in_light_and_dark_themes(name):
    """No figure fixes a background or template; every neutral colour it sets (text, lines, error bars) keeps
    3:1 contrast on both Streamlit backgrounds (near-black "#111" vanished on the dark one)."""
    import plotly.io as pio

    figure = _my_figures()[name]
    assert figure.layout.template == pio.templates[pio.templates.default], name  # the app's theme applies
    fig = figure.to_dict()
    layout = fig["layout"]
    layout.pop("template", None)
    for key in ("paper_bgcolor", "plot_bgcolor"):
        assert key not in layout or _opaque_rgb(layout[key]) is None, (name, key, layout[key])
    palette = {c.lower() for c in plots.class_colors(12)}
    for path, color in _colours(fig):
        rgb = _opaque_rgb(color)
        if rgb is None or color.lower() in palette:
            continue
        assert min(_contrast(rgb, LIGHT_BG), _contrast(rgb, DARK_BG)) >= 3, (name, path, color)


def _cvd_lab(hex_colors, kind):
    """CIELAB of colours as seen with protanopia, deuteranopia or tritanopia (Machado et al. 2009, severity 1)."""
    sim = {
        "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
        "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
        "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
        "normal": np.eye(3),
    }[kind]
    c = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hex_colors]) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lin = np.clip(lin @ np.asarray(sim).T, 0, 1)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


@pytest.mark.parametrize("kind", ["normal", "protan", "deutan", "tritan"])
def test_class_colours_stay_apart_for_colour_blind_viewers(kind):
    """Ten class colours, every pair at least 15 CIELAB units apart as seen with each colour-vision deficiency
    (Tableau 10 had two pairs under 2 units for deuteranopes and protanopes)."""
    lab = _cvd_lab(plots.class_colors(10), kind)
    gaps = np.linalg.norm(lab[:, None] - lab[None], axis=-1)[np.triu_indices(10, 1)]
    assert gaps.min() >= 15, gaps.min()
    if kind == "normal":  # at most one grey: two greys read as one line (Petroff's own ten have two)
        assert np.sum(np.hypot(lab[:, 1], lab[:, 2]) < 15) <= 1


def test_map_styles_are_numbered_by_weight_as_on_the_styles_page():
    from latent.explore.styles import style_numbers

    coords, labels, ellipses = _map_data(k=3)
    rng = np.random.default_rng(1)
    weights = rng.dirichlet(np.ones(3), size=3)  # components not stored heaviest first
    ellipses.weights = weights.reshape(-1)
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses)
    expected = style_numbers(weights, np.full(3, 3))[ellipses.index[:, 0], ellipses.index[:, 1]]
    assert not np.array_equal(expected, ellipses.index[:, 1] + 1)  # the test means something
    hits = [t for t in fig.data if t.meta and t.meta["kind"] == "hits"]  # the markers that take the clicks
    assert len(hits) == 3
    for t in hits:
        custom = np.asarray(t.customdata)
        np.testing.assert_array_equal(custom[:, 2].astype(int), expected[custom[:, 1].astype(int)])
    outlines = [t.name for t in fig.data if t.meta and t.meta["kind"] == "ellipse"]
    assert outlines == [f"{NAMES[c]} · style {n}" for c, n in zip(ellipses.index[:, 0], expected, strict=True)]


def test_none_tests_puts_each_test_on_its_own_row_with_its_threshold_and_the_input():
    from latent.bundle.reading import TestResult

    rng = np.random.default_rng(0)
    tests = [
        TestResult("likelihood", "Best class log-likelihood", -50.0, -37.0, False, "unlikely latent code"),
        TestResult("reconstruction", "Log reconstruction error", -5.0, -3.4, True, "cannot redraw it"),
        TestResult("detector", "Looks like a <b>digit</b>", 0.4, -1.9, True, "not like any class"),
    ]
    val = {
        "likelihood": rng.normal(-20, 5, 2000),
        "reconstruction": rng.normal(-5, 0.5, 2000),
        "detector": rng.normal(2, 1, 2000),
    }
    fig = plots.none_tests(tests, val)
    layout = fig.to_plotly_json()["layout"]
    axes = [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    domains = [layout["yaxis" + y[1:]]["domain"] for _, y in axes]
    assert all(0 <= lo < hi <= 1 for lo, hi in domains)
    assert all(a[0] > b[1] for a, b in zip(domains, domains[1:], strict=False))  # rows top to bottom, not overlapping
    diamonds = [t for t in fig.data if t.type == "scatter"]
    assert [(d.xaxis, d.yaxis) for d in diamonds] == axes
    assert [d.x[0] for d in diamonds] == [-50.0, -5.0, 0.4]
    assert [d.marker.color for d in diamonds] == [plots.FAIL_COLOR, plots.PASS_COLOR, plots.PASS_COLOR]
    bars = [t for t in fig.data if t.type == "bar"]
    assert [(b.xaxis, b.yaxis) for b in bars] == axes and all(max(b.y) == 1 for b in bars)
    lines = [(s["x0"], s["xref"], s["yref"]) for s in layout["shapes"]]
    assert lines == [(-37.0, "x", "y domain"), (-3.4, "x2", "y2 domain"), (-1.9, "x3", "y3 domain")]
    for (x, _), t in zip(axes, tests, strict=True):  # the range holds the input, the threshold and the validation bulk
        lo, hi = layout["xaxis" + x[1:]]["range"]
        assert lo < min(t.value, t.threshold) and hi > max(t.value, t.threshold)
    titles = [a["text"] for a in layout["annotations"]]
    assert titles[:2] == ["Best class log-likelihood", "Log reconstruction error"] and "<b>" not in titles[2]


def test_an_overlay_sends_the_stored_map_and_its_extra_traces_unchanged():
    import json

    import plotly.io as pio

    coords, labels, ellipses = _map_data()
    base = plots.freeze(plots.latent_map(coords, labels, NAMES, ellipses=ellipses))
    before = pio.to_json(base.to_dict(), validate=False)
    star = plots.now_star([1.0, 2.0])
    overlay = plots.from_spec(base.to_dict(), traces=[star], shapes=[plots.t_line(0.5)])
    sent = json.loads(pio.to_json(overlay, validate=False))  # what st.plotly_chart sends
    checked = json.loads(pio.to_json(go.Figure(overlay.to_dict()), validate=True))  # the same, validated
    assert sent["data"] == checked["data"] and sent["layout"]["shapes"] == checked["layout"]["shapes"]
    assert len(sent["data"]) == len(base.data) + 1 and sent["data"][-1]["meta"] == {"kind": "current"}
    assert overlay.layout.height == base.layout.height and overlay.data[-1].x == (1.0,)
    assert pio.to_json(base.to_dict(), validate=False) == before  # the stored map is not modified
