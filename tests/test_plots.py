"""Figures are asserted on content: traces, ellipses, labels, customdata, hover text."""

import numpy as np
import plotly.graph_objects as go
import pytest

from latent import plots
from latent.imaging import TEXT_RAMP, text_thumbnails, tile, upscale

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
        offsets = np.hypot(t.x - ellipses.centers[custom[:, 1].astype(int), 0],
                           t.y - ellipses.centers[custom[:, 1].astype(int), 1])
        np.testing.assert_allclose(np.sort(offsets)[: len(offsets) // 7], 0, atol=1e-9)
        np.testing.assert_allclose(np.sort(offsets)[len(offsets) // 7:], ring, rtol=1e-6)
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
    from latent.map_inverse import DensityGrid, map_extent

    rng = np.random.default_rng(0)
    ll = rng.normal(size=(size, size)) * 10
    grid = DensityGrid(map_extent(coords), ll, rng.integers(0, 3, (size, size)), rng.random((size, size)))
    return grid, float(np.quantile(ll, threshold_share))


def test_every_spot_of_the_map_is_clickable_and_says_what_the_model_sees_there():
    coords, labels, ellipses = _map_data()
    grid, threshold = _grid(coords)
    xs, ys = grid.centres()
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, spots=(xs, ys), density=grid,
                           threshold=threshold)
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
    fig = plots.latent_map(coords, labels, NAMES, ellipses=ellipses, spots=grid.centres(), density=grid,
                           threshold=threshold, webgl=True)
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
    event = {"selection": {"points": [{"customdata": {"0": 1, "1": 4}}, {"customdata": [0, 15]},
                                      {"point_index": 3}, {"customdata": 7},
                                      {"customdata": {"0": 2.0, "1": 77.0, "2": -12.5}}]}}
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
    bars = plots.accuracy_bars({"zero": 0.9, "one": 1.0})
    assert list(bars.data[0].text) == ["90%", "100%"]
    history = [{"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "val_mse": 0.05},
               {"epoch": 2, "train_loss": 0.3, "val_loss": 0.4, "val_mse": 0.03}]
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
    np.testing.assert_allclose(fig.frames[2].data[0].z, images[2])
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ play", "❚❚ pause"]


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
    rows = [{"latent_dim": 2, "test_accuracy": 0.8, "test_reconstruction_mse": 0.05, "test_mean_log_likelihood": -1.0},
            {"latent_dim": 8, "test_accuracy": 0.95, "test_reconstruction_mse": 0.02, "test_mean_log_likelihood": -1.4}]
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
        plots.accuracy_bars(dict(zip(names, [0.5, 0.6, 0.7]))),
        plots.bic_curve(np.array([3.0, 2.0, 4.0]), 2, names[0]),
        plots.map_markers(go.Figure(), np.zeros((1, 2)), name=names[1], text=[names[2]]),
        plots.map_path(go.Figure(), np.zeros((3, 2)), name=names[1], text=names),
    ]
    for fig in figures:
        shown = list(_strings(fig.to_dict()))
        assert not [s for s in shown if "<a " in s or "<img" in s or "<b>%{x}" in s], shown
        assert not [s for s in shown if "%{x}</b>" in s]
        assert any(escape_plotly(n) in s for s in shown for n in names), shown
