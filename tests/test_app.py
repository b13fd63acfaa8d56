"""Every dashboard page under streamlit's AppTest: it renders without exception, its widgets change
what is shown, and injected canvas drawings, uploads and chart clicks work.

The pages run against the session's tiny digits bundle (LATENT_MODEL), with assets/ pointed at a
folder that does not exist, so that the suite never depends on the shipped models.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from bundle_edits import copy_bundle, edit_manifest, edit_npz
from drawing import draw_digit
from latent.text import escape_markdown, md_code
from test_text import HOSTILE, markup_leaks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app.py")
PAGES = ["home", "latent_map", "styles", "morph", "sampling", "similarity", "draw", "report"]
TIMEOUT = 120  # the first page that loads the model also imports torch


def serve_only(bundle, tmp_path, monkeypatch) -> None:
    """Make `bundle` the requested model and point assets/ at a folder that does not exist."""
    import ui.common

    monkeypatch.setenv("LATENT_MODEL", str(bundle))
    monkeypatch.setattr(ui.common, "ASSETS", tmp_path / "none")


@pytest.fixture()
def app_env(tiny_bundle, tmp_path, monkeypatch):
    """The tiny bundle as the requested model, and no shipped models."""
    serve_only(tiny_bundle, tmp_path, monkeypatch)
    return tiny_bundle


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Everything written as markdown, captions, titles, alerts and metrics on the page."""
    parts = [
        e.value
        for kind in ("title", "markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def image_urls(at: AppTest) -> list[str]:
    """Media URLs of every st.image on the page (they change when the pictures change)."""
    return [url for e in at.get("image") for url in e.value]


def image_captions(at: AppTest) -> list[str]:
    return [c for e in at.get("image") for c in e.captions]


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_its_explanation(app_env, page):
    at = open_page(page)
    assert at.title, f"{page} has no title"
    labels = [e.label for e in at.expander]
    if page == "home":
        assert "digits" in texts(at)
    else:
        assert "What am I looking at?" in labels
    assert not at.error


def test_home_shows_headline_numbers_from_the_manifest(app_env):
    at = open_page("home")
    manifest = json.loads((app_env / "manifest.json").read_text())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == f"{100 * manifest['metrics']['test_accuracy']:.2f}%"
    assert metrics["Latent size"] == "8 numbers" and metrics["Styles per class"] == "2"
    assert [s.label for s in at.sidebar.selectbox] == ["Model"]
    assert at.sidebar.selectbox[0].value == str(app_env.resolve())


def test_home_does_not_import_torch_or_sklearn_and_no_page_imports_umap(tiny_bundle, tmp_path):
    script = f"""
import sys
from streamlit.testing.v1 import AppTest
import ui.common
ui.common.ASSETS = ui.common.Path({str(tmp_path)!r})
# what the Home page itself imports: app.py's background warm-up (test_serving) imports torch after it, on purpose
ui.common.warm_up = lambda *args, **kwargs: None
at = AppTest.from_file({APP!r}, default_timeout={TIMEOUT}).run()
assert not at.exception, at.exception
print("home", "torch" in sys.modules, "sklearn" in sys.modules)
for page in {PAGES[1:]!r}:
    at.switch_page(f"app_pages/{{page}}.py").run()
    assert not at.exception, (page, at.exception)
print("pages", "umap" in sys.modules)
"""
    env = {**os.environ, "LATENT_MODEL": str(tiny_bundle), "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "home False False" in out.stdout
    assert "pages False" in out.stdout


def test_without_any_bundle_the_app_says_how_to_build_one(tmp_path, monkeypatch):
    import ui.common

    monkeypatch.delenv("LATENT_MODEL", raising=False)
    monkeypatch.setattr(ui.common, "ASSETS", tmp_path)
    for page in ("home", "latent_map", "draw"):
        at = open_page(page)
        assert "python -m latent train --dataset digits" in texts(at), page


def test_a_broken_bundle_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    serve_only(broken, tmp_path, monkeypatch)
    for page in ("home", "morph"):
        at = open_page(page)
        assert at.error and "not valid JSON" in at.error[0].value, page


BROKEN = {  # manifest edits that broke pages before the schema (hashes rewritten: the schema must catch them)
    "latent_dim": lambda m: m["config"]["autoencoder"].update(latent_dim=-5),
    "calibration": lambda m: m.pop("calibration"),
    "class": lambda m: m["dataset"]["class_names"].pop(),  # too few class names
    "test_accuracy": lambda m: m["metrics"].update(test_accuracy="0.98"),
}


@pytest.mark.parametrize("field", sorted(BROKEN))
def test_a_bundle_that_breaks_the_schema_gives_one_message_on_every_page(tiny_bundle, tmp_path, monkeypatch, field):
    bundle = copy_bundle(tiny_bundle, tmp_path / "broken")
    edit_manifest(bundle, BROKEN[field])
    serve_only(bundle, tmp_path, monkeypatch)
    for page in PAGES:
        at = open_page(page)  # no exception box
        message = re.sub(r"\\(.)", r"\1", at.error[0].value) if at.error else ""
        assert len(at.error) == 1 and field in message and "rebuild it with" in message, page


def test_a_bundle_with_nan_covariances_is_refused_on_the_model_pages(tiny_bundle, tmp_path, monkeypatch):
    bundle = copy_bundle(tiny_bundle, tmp_path / "nan")
    edit_npz(bundle, "mixture.npz", lambda a: a["covariances"].__setitem__((0, 0, 0, 0), np.nan))
    serve_only(bundle, tmp_path, monkeypatch)
    for page in PAGES[1:]:  # the home page reads the manifest only, which is fine
        at = open_page(page)
        assert len(at.error) == 1 and "covariances" in at.error[0].value, page
        assert "nan" not in texts(at).replace(at.error[0].value, "").lower()


def test_a_bundle_error_raised_while_a_page_runs_is_one_message(app_env, monkeypatch):
    """E.g. finite weights that overflow on one input: the page shows the message, not a traceback."""
    from latent.bundle.model import LatentModel
    from latent.errors import BundleError

    def overflow(self, Z):
        raise BundleError("autoencoder.safetensors: its encoder gives NaN or infinite codes; rebuild it with: x")

    monkeypatch.setattr(LatentModel, "to_map", overflow)
    at = open_page("morph")
    assert len(at.error) == 1 and "infinite codes" in at.error[0].value


def test_model_picker_lists_assets_and_the_requested_bundle(app_env, tmp_path, monkeypatch):
    import shutil

    import ui.common

    assets = tmp_path / "more_assets"
    shutil.copytree(app_env, assets / "other")
    monkeypatch.setattr(ui.common, "ASSETS", assets)
    at = open_page("home")
    picker = at.sidebar.selectbox[0]
    assert len(set(picker.options)) == 2  # two bundles with the same label stay two choices
    assert all(label.startswith("digits · 8-d") for label in picker.options)
    assert picker.value == str(app_env.resolve())  # the one asked for comes first
    at = picker.select_index(1).run()
    assert at.sidebar.selectbox[0].value == str((assets / "other").resolve())
    at.switch_page("app_pages/report.py").run()  # the choice stays across pages
    assert at.sidebar.selectbox[0].value == str((assets / "other").resolve())
    assert str((assets / "other").resolve()) in texts(at)
    assert not at.exception


def test_the_first_of_two_same_label_bundles_stays_chosen_across_pages(tiny_bundle, tmp_path, monkeypatch):
    """LATENT_MODEL pointing at a copy of a bundle in assets/: Home -> Model report used to show the other one."""
    import ui.common

    mine = copy_bundle(tiny_bundle, tmp_path / "mine" / "digits")
    shipped = copy_bundle(tiny_bundle, tmp_path / "assets" / "digits")
    monkeypatch.setenv("LATENT_MODEL", str(mine))
    monkeypatch.setattr(ui.common, "ASSETS", tmp_path / "assets")
    at = open_page("home")
    assert at.sidebar.selectbox[0].value == str(mine.resolve())
    for chosen in (mine, shipped, mine):
        at.sidebar.selectbox[0].set_value(str(chosen.resolve())).run()
        at.switch_page("app_pages/home.py").run()
        at.switch_page("app_pages/report.py").run()
        assert not at.exception
        assert at.sidebar.selectbox[0].value == str(chosen.resolve())
        assert str(chosen.resolve()) in texts(at)


# --------------------------------------------------------------------------- bundle text is plain text


def markdown_shown(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit renders as Markdown: body text, alerts, labels, help, metric
    values, image captions and table cells."""
    parts = [
        e.value
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    parts += [v for m in at.metric for v in (m.label, m.value, m.proto.delta, m.help)]
    parts += [e.label for e in at.expander] + image_captions(at)
    for table in at.table:
        df = table.value
        parts += [str(v) for v in df.to_numpy().ravel()] + [str(c) for c in df.columns] + [str(i) for i in df.index]
    for kind in ("selectbox", "slider", "radio", "toggle", "button", "select_slider", "segmented_control"):
        parts += [v for w in getattr(at, kind) for v in (w.label, getattr(w, "help", ""))]
    return [p for p in parts if p]


def chart_strings(at: AppTest) -> list[str]:
    """Every string of every plotly figure on the page, as sent to the browser."""

    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    return [s for chart in at.get("plotly_chart") for s in walk(json.loads(chart.proto.spec))]


def test_bundle_text_is_shown_as_plain_text_on_every_page(tiny_bundle, tmp_path, monkeypatch):
    """Class names, the bundle's name, its dataset, source and command, and its folder name are shown
    literally: no link, no remote image, no HTML reaches Markdown or Plotly."""
    names = HOSTILE[:9] + ["9"]

    def hostile(m):
        m["dataset"]["class_names"] = names
        m["name"] = "[n](http://example.com/name)"
        m["dataset"]["name"] = "<img src=http://example.com/d.png>"
        m["dataset"]["source"] = "![s](http://example.com/s.png)"
        m["command"] = "python -m latent train <img src=http://example.com/c.png> [c](http://example.com)"
        m["metrics"]["per_class_test_accuracy"] = dict(
            zip(names, m["metrics"]["per_class_test_accuracy"].values(), strict=False)
        )
        m["evaluation"] = {
            "command": "[e](http://example.com/e)",
            "ood_dataset": "<b>ood</b>",
            "ood_n": 5,
            "ood_auroc": 0.9,
            "ood_auroc_likelihood": 0.9,
            "ood_auroc_reconstruction": 0.8,
            "ood_rejected_at_threshold": 0.5,
            "test_rejected_at_threshold": 0.01,
        }

    bundle = copy_bundle(tiny_bundle, tmp_path / "[f](x.png) <b>folder</b>")
    edit_manifest(bundle, hostile)
    serve_only(bundle, tmp_path, monkeypatch)
    for page in PAGES:
        at = open_page(page)
        if page == "draw":
            at.session_state["draw_canvas_0"] = _canvas_state(draw_digit("7", rgba=True))
            at.run()
        shown = markdown_shown(at)
        assert not at.error, (page, [e.value for e in at.error])
        leaks = [(text, markup_leaks(text)) for text in shown if markup_leaks(text)]
        assert not leaks, (page, leaks)
        assert not [t for t in shown for name in names[:5] if name in t], page  # never the raw text
        charts = chart_strings(at)
        assert not [s for s in charts if "<img" in s or "<a " in s or "<b>ood" in s or "<b>folder" in s], page
        if page in ("latent_map", "similarity", "report", "draw"):  # class names are on these charts, escaped
            assert any("&lt;img src=x&gt;" in s for s in charts), page
    facts = "\n".join(markdown_shown(at))  # the report page: its table of facts and the folder, escaped
    assert escape_markdown(names[0]) in facts and md_code(bundle.resolve()) in facts


# --------------------------------------------------------------------------- latent map


def map_trace_kinds(at: AppTest) -> list[str]:
    """Kinds of the map chart's traces as sent to the browser: points, ellipse or centres."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [(t.get("meta") or {}).get("kind", "points") for t in spec["data"]]


def _click(customdata) -> dict:
    return {
        "selection": {
            "points": [{"customdata": customdata, "curve_number": 0, "point_number": 0, "point_index": 0}],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }


def test_map_click_on_a_component_opens_its_panel(app_env):
    from latent.bundle.model import LatentModel

    model = LatentModel.load(app_env)
    at = open_page("latent_map")
    assert "Class 0, style" in texts(at)
    from latent.explore.styles import style_number

    number = style_number(model.mixture, 7, 1)  # styles are numbered by weight, as on the Styles page
    row = int(np.flatnonzero((model.ellipse_index[:, 0] == 7) & (model.ellipse_index[:, 1] == 1))[0])
    at.session_state["map_chart"] = _click({"0": 1, "1": row, "2": number, "3": 50})
    at.run()
    assert not at.exception
    assert f"Class 7, style {number}" in texts(at)
    assert at.selectbox(key="map_class").value == 7 and at.selectbox(key="map_style").value == 1
    shown = at.selectbox(key="map_style").options
    assert [o.split(" · ")[0] for o in shown] == [f"{j + 1}" for j in range(len(shown))]  # listed in order
    before = image_urls(at)
    at.button(key="map_resample").click().run()
    assert f"Class 7, style {number}" in texts(at) and image_urls(at) != before


def test_map_click_on_a_point_shows_the_test_image(app_env):
    at = open_page("latent_map")
    at.session_state["map_chart"] = _click({"0": 0, "1": 5})
    at.run()
    assert "Test image 5" in texts(at) and "true class" in texts(at)
    at.button(key="map_close").click().run()
    assert "Test image 5" not in texts(at)


def test_map_toggle_and_class_picker(app_env):
    at = open_page("latent_map")
    assert map_trace_kinds(at).count("points") == 10
    at.radio(key="map_show").set_value("styles only").run()
    kinds = map_trace_kinds(at)
    assert "points" not in kinds and "centres" in kinds and not at.exception
    at.radio(key="map_show").set_value("test images").run()
    kinds = map_trace_kinds(at)
    assert "ellipse" not in kinds and kinds.count("points") == 10
    at.selectbox(key="map_class").select_index(3).run()
    assert "Class 3, style" in texts(at)


def _spot_click(cell: int, ll: float = -20.0) -> dict:
    """The event plotly sends for a click on an empty spot of the map (a cell of its invisible grid)."""
    return _click({"0": 2, "1": cell, "2": ll})


def spot_cell(bundle, x: float, y: float) -> int:
    """The spot-grid cell of the map position nearest to (x, y)."""
    from latent.bundle.map_inverse import GRID_SIZE, grid_centres, map_extent
    from latent.bundle.model import LatentModel
    from ui.cached import SPOT_STRIDE

    xs, ys = grid_centres(map_extent(LatentModel.load(bundle).map.coords), (GRID_SIZE, GRID_SIZE))
    row, col = (int(np.argmin(np.abs(v[::SPOT_STRIDE] - t))) * SPOT_STRIDE for v, t in ((ys, y), (xs, x)))
    return row * len(xs) + col


def test_map_click_on_an_empty_spot_decodes_what_is_there(app_env):
    from latent.bundle.map_inverse import load
    from latent.bundle.model import LatentModel

    model = LatentModel.load(app_env)
    at = open_page("latent_map")
    kinds = map_trace_kinds(at)
    assert kinds[0] == "spots" and kinds[-1] == "hits"  # spots first: a dot or a style marker wins a tie
    # a spot away from every test image: the corner of the map
    cell = spot_cell(app_env, -1e9, -1e9)
    at.session_state["map_chart"] = _spot_click(cell)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "This spot" in shown and ("The model reads a" in shown or "Unlikely latent code" in shown)
    metric = next(m for m in at.metric if m.label == "Best class log-likelihood")
    # what the page shows is the model's reading of the inverse's code at that spot
    inverse, grid = load(model)
    xs, ys = grid.centres()
    z = inverse.transform([xs[cell % len(xs)], ys[cell // len(xs)]])
    expected = model.classify(z, reject_below=model.threshold)
    assert metric.value == f"{expected.max_log_likelihood[0]:.1f}"
    assert f"vs threshold {model.threshold:.1f}" in metric.delta
    bars = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]  # p(class | code), one bar per class
    assert bars["type"] == "bar" and len(bars["y"]) == model.n_classes
    assert len(image_urls(at)) >= 3  # the spot's decoded image, the style's mean and its samples
    at.button(key="map_spot_close").click().run()
    assert "This spot" not in texts(at)


def test_map_spot_below_the_threshold_is_an_unlikely_latent_code(tiny_bundle, tmp_path, monkeypatch):
    bundle = copy_bundle(tiny_bundle, tmp_path / "strict")
    edit_manifest(bundle, lambda m: m["calibration"].update(reject_below=1e5))  # every code is "none"
    serve_only(bundle, tmp_path, monkeypatch)
    at = open_page("latent_map")
    at.toggle(key="map_density").set_value(True).run()
    assert "100.0% of the map falls below" in texts(at) and "inside the grey line" not in texts(at)
    assert "density" in map_trace_kinds(at) and "threshold" not in map_trace_kinds(at)  # no line: all of it is below
    at.session_state["map_chart"] = _spot_click(spot_cell(bundle, 0.0, 0.0))
    at.run()
    assert "Unlikely latent code" in texts(at) and "answers **none**" in texts(at)
    assert next(m for m in at.metric if m.label == "Best class log-likelihood").delta.startswith("-")


def test_map_of_an_old_bundle_explains_the_missing_density_and_still_decodes(tiny_bundle, tmp_path, monkeypatch):
    bundle = copy_bundle(tiny_bundle, tmp_path / "old")
    (bundle / "map_inverse.npz").unlink()
    edit_manifest(bundle, lambda m: m["files"].pop("map_inverse.npz"))
    serve_only(bundle, tmp_path, monkeypatch)
    at = open_page("latent_map")
    assert "density layer is unavailable" in texts(at) and "python -m latent map --model" in texts(at)
    assert at.toggle(key="map_density").disabled and "density" not in map_trace_kinds(at)
    assert map_trace_kinds(at).count("spots") == 1
    at.session_state["map_chart"] = _spot_click(spot_cell(bundle, 0.0, 0.0))
    at.run()
    assert not at.exception and "This spot" in texts(at)


def test_map_density_toggle_and_save_format(app_env):
    at = open_page("latent_map")
    assert "density" not in map_trace_kinds(at) and "Shading" not in texts(at)
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"]["format"] == "png" and config["displaylogo"] is False
    at.toggle(key="map_density").set_value(True).run()
    assert map_trace_kinds(at)[0] == "density" and "Shading" in texts(at) and "spots" in map_trace_kinds(at)
    at.toggle(key="map_density").set_value(False).run()
    assert "density" not in map_trace_kinds(at) and "spots" in map_trace_kinds(at)
    at.segmented_control(key="map_format").set_value("SVG").run()
    assert json.loads(at.get("plotly_chart")[0].proto.config)["toImageButtonOptions"]["format"] == "svg"


# --------------------------------------------------------------------------- other pages


def test_styles_shows_one_row_per_component(app_env):
    at = open_page("styles")
    assert "Class **0** has 2 styles" in texts(at)
    assert len(at.get("progress")) == 2
    # each row: its mean, and its samples as one strip picture (one media file, not one per sample)
    assert image_captions(at) == ["mean", "", "mean", ""] and len(image_urls(at)) == 4
    at.selectbox(key="styles_class").select_index(4).run()
    assert "Class **4** has 2 styles" in texts(at)
    before = image_urls(at)
    at.slider(key="styles_n").set_value(5).run()
    assert image_urls(at) != before and not at.exception


def test_styles_decoded_in_one_batch_are_the_draws_of_each_component(app_env):
    """The Styles page decodes a class's rows in one call; each row is what the map's style panel shows
    for that component and seed (component_images), in the order of styles_by_weight."""
    from latent.bundle.model import LatentModel
    from latent.explore.styles import styles_by_weight
    from ui import cached

    mixture = LatentModel.load(app_env).mixture
    for c in range(len(mixture.classes_)):
        order, rows = cached.class_styles(str(app_env), c, 3, 7)
        assert list(order) == list(styles_by_weight(mixture, c)) and rows.shape[:2] == (len(order), 4)
        for k, row in zip(order, rows, strict=True):
            mean, samples = cached.component_images(str(app_env), c, int(k), 3, 7)
            np.testing.assert_allclose(row, np.concatenate([mean[None], samples]), atol=1e-5)


def test_styles_are_numbered_in_the_order_shown_and_morph_names_them_alike(app_env):
    from latent.bundle.model import LatentModel

    mixture = LatentModel.load(app_env).mixture
    k = mixture.n_components_
    unsorted = [c for c in range(len(k)) if np.any(np.diff(mixture.weights_[c, : k[c]]) > 0)]
    assert unsorted, "the tiny bundle should have a class whose components are not stored heaviest first"
    c = unsorted[0]
    at = open_page("styles")
    at.selectbox(key="styles_class").select_index(c).run()
    labels = [m.value for m in at.markdown if m.value.startswith("**Style ")]
    assert labels == [f"**Style {j + 1}**" for j in range(k[c])]
    shown = [float(p.value) for p in at.get("progress")]
    assert shown == sorted(shown, reverse=True)
    at.switch_page("app_pages/morph.py").run()
    at.selectbox(key="morph_source").set_value(c).run()
    names = at.selectbox(key="morph_source_style").options  # as shown
    assert names[1].startswith("style 1 ·") and names[2].startswith("style 2 ·"), names
    weights = [int(n.split("weight ")[1].rstrip("%")) for n in names[1:]]
    assert weights == sorted(weights, reverse=True)


def test_morph_slider_changes_the_frame_and_the_answer(app_env):
    at = open_page("morph")
    assert "Frame at t = 0.50" in texts(at)
    at.slider(key="morph_t").set_value(0.0).run()
    start = {m.label: m.value for m in at.metric}["Frame at t = 0.00"]
    source = at.selectbox(key="morph_source").value
    assert start == str(source)
    at.slider(key="morph_t").set_value(1.0).run()
    end = {m.label: m.value for m in at.metric}["Frame at t = 1.00"]
    assert end == str(at.selectbox(key="morph_target").value)
    assert "The answer changes" in texts(at)
    at.selectbox(key="morph_target").select_index(0).run()
    at.selectbox(key="morph_source_style").select_index(2).run()
    assert not at.exception


def test_morph_through_the_data_keeps_its_ends_and_changes_the_path(app_env):
    at = open_page("morph")
    at.slider(key="morph_t").set_value(0.3).run()
    strip = image_urls(at)
    at.radio(key="morph_route").set_value("through the data").run()
    assert not at.exception
    assert image_urls(at) != strip  # other frames
    at.slider(key="morph_t").set_value(1.0).run()
    assert {m.label: m.value for m in at.metric}["Frame at t = 1.00"] == str(at.selectbox(key="morph_target").value)


def test_sampling_contrasts_the_sources_and_walks(app_env):
    at = open_page("sampling")
    shares = [m.value for m in at.metric if m.label == "Recognised"]
    assert len(shares) == 3
    class_share, _, uniform_share = (int(s.rstrip("%")) for s in shares)
    assert class_share > uniform_share

    def accepted() -> int:
        return int({m.label: m.value for m in at.metric}["Moves accepted"].rstrip("%"))

    gentle = accepted()
    visited, of = {m.label: m.value for m in at.metric}["Styles visited"].split(" of ")
    assert 1 <= int(visited) <= int(of)
    at.slider(key="walk_step_size").set_value(1.5).run()
    at.radio(key="walk_method").set_value("mh").run()
    assert accepted() < gentle  # big random-walk steps are rejected more often
    at.toggle(key="samp_via_image").set_value(True).run()
    at.button(key="samp_resample").click().run()
    at.button(key="walk_new").click().run()
    assert not at.exception


def test_new_samples_change_the_pictures_not_the_measured_shares(app_env):
    """The recognised shares belong to each source (measured once on their own samples); "Draw new samples"
    only draws and decodes the few shown, so it stays quick."""
    at = open_page("sampling")
    shares, pictures = [m.value for m in at.metric if m.label == "Recognised"], image_urls(at)
    at.button(key="samp_resample").click().run()
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Recognised"] == shares
    assert image_urls(at) != pictures


# --------------------------------------------------------------------------- downloads and chart toolbars


@pytest.fixture()
def downloads(monkeypatch):
    """{file name: bytes} of every st.download_button's data, as Streamlit stores it for the browser."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    files = {}
    add = MediaFileManager.add

    def recording_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)
        if is_for_static_download and file_name:
            files[file_name] = path_or_data
        return url

    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    return files


def _csv(data) -> list[list[str]]:
    import csv

    text = data.decode() if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text)))


def _png_shape(data) -> tuple:
    return np.asarray(Image.open(io.BytesIO(data))).shape


def test_matrices_download_as_csv_that_parses_back(app_env, downloads):
    from latent.bundle.model import LatentModel

    model = LatentModel.load(app_env)
    n, names = model.n_classes, model.class_names
    at = open_page("similarity")
    assert {"kl-divergence.csv", "kl-standard-error.csv", "confusion-matrix.csv"} <= set(downloads)
    kl = _csv(downloads["kl-divergence.csv"])
    assert kl[0][1:] == names and [r[0] for r in kl[1:]] == names
    values = np.array([[float(v) for v in r[1:]] for r in kl[1:]])
    assert values.shape == (n, n) and np.allclose(np.diag(values), 0, atol=0.5) and values.max() > 1
    confusion = np.array([[int(v) for v in r[1:]] for r in _csv(downloads["confusion-matrix.csv"])[1:]])
    np.testing.assert_array_equal(confusion, np.asarray(model.metrics["confusion_matrix"]))
    at.switch_page("app_pages/morph.py").run()
    rows = _csv(downloads["morph-probabilities.csv"])
    assert rows[0][0] == "t" and rows[0][1 : n + 1] == [f"p({c})" for c in names]
    proba = np.array([[float(v) for v in r[1 : n + 1]] for r in rows[1:]])
    assert len(rows) - 1 == 51 and np.allclose(proba.sum(axis=1), 1, atol=1e-4)
    assert float(rows[1][0]) == 0.0 and float(rows[-1][0]) == 1.0
    at.switch_page("app_pages/report.py").run()
    assert not at.exception
    report = np.array([[int(v) for v in r[1:]] for r in _csv(downloads["confusion-matrix.csv"])[1:]])
    np.testing.assert_array_equal(report, confusion)


def test_image_grids_download_as_png(app_env, downloads):
    at = open_page("styles")
    assert _png_shape(downloads["styles-class-0.png"])[:2] == (3 * (2 * 30 + 2), 3 * (9 * 30 + 2))  # 2 rows of 9
    at.slider(key="styles_n").set_value(5).run()
    assert _png_shape(downloads["styles-class-0.png"])[1] == 3 * (6 * 30 + 2)
    at.switch_page("app_pages/sampling.py").run()
    for source in ("class", "single", "uniform"):
        assert _png_shape(downloads[f"samples-{source}.png"])[:2] == (2 * (4 * 30 + 2),) * 2  # 16 samples, 4 a row
    at.switch_page("app_pages/morph.py").run()
    assert _png_shape(downloads["morph-frames.png"])[:2] == (3 * (30 + 2), 3 * (11 * 30 + 2))
    at.switch_page("app_pages/report.py").run()
    assert _png_shape(downloads["reconstructions.png"])[:2] == (3 * (4 * 30 + 2), 3 * (6 * 30 + 2))
    assert not at.exception


@pytest.mark.parametrize("page", ["styles", "morph", "sampling", "similarity", "report"])
def test_every_chart_keeps_a_camera_button_in_the_chosen_format(app_env, page):
    at = open_page(page)
    if page == "styles":  # its one chart (BIC) is only there for bundles that chose their number of styles
        return
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert configs and all(c.get("displayModeBar") is not False for c in configs)
    assert all("toImage" not in c.get("modeBarButtonsToRemove", []) for c in configs)
    assert all(c["toImageButtonOptions"]["format"] == "png" and c["toImageButtonOptions"]["filename"] for c in configs)
    at.segmented_control(key="chart_format").set_value("svg").run()
    assert all(json.loads(c.proto.config)["toImageButtonOptions"]["format"] == "svg" for c in at.get("plotly_chart"))


def test_morph_slider_moves_keep_the_rest_of_the_page(app_env):
    """The slider lives in a fragment: moving it keeps the pickers, the route and the strip."""
    at = open_page("morph")
    at.selectbox(key="morph_source").select_index(2).run()
    at.radio(key="morph_route").set_value("through the data").run()
    strip = image_urls(at)[1]  # the 11 frames (the first image is the frame at t)
    for t in (0.2, 0.8):
        at.slider(key="morph_t").set_value(t).run()
        assert f"Frame at t = {t:.2f}" in texts(at)
        assert at.selectbox(key="morph_source").index == 2 and at.radio(key="morph_route").value == "through the data"
    assert strip in image_urls(at)
    assert not at.exception


def test_similarity_methods_and_reading_guide(app_env):
    at = open_page("similarity")
    assert "Monte Carlo with 2000 samples" in texts(at)
    assert "Rank correlation" in texts(at) or "no mistakes" in texts(at)
    at.radio(key="sim_method").set_value("variational").run()
    assert not at.exception and "Monte Carlo with" not in texts(at)


def test_report_shows_accuracy_and_bundle_details(app_env):
    at = open_page("report")
    assert len(at.table) == 2 and at.table[0].value.loc["one mixture per class (this model)", "test"].endswith("%")
    built_by = at.table[1].value.loc["built by", "value"]  # a Markdown cell: bundle text escaped, read literally
    assert re.sub(r"\\(.)", r"\1", built_by) == "python -m latent train --dataset digits (test fixture)"
    assert "Rows 1 and 3: test images" in texts(at)  # digits ships with scikit-learn, so the originals are shown


def test_report_shows_the_stored_out_of_distribution_results(tiny_bundle, digits, tmp_path, monkeypatch):
    """After `evaluate --ood --save`: one row per score, typicality among them, and the "none" share."""
    import shutil

    from latent.artifacts import update_manifest
    from latent.bundle.model import LatentModel
    from latent.density.ood import SCORES, evaluate_ood
    from test_ood import _foreign

    bundle = tmp_path / "evaluated"
    shutil.copytree(tiny_bundle, bundle)
    result = evaluate_ood(LatentModel.load(bundle), digits.x_val, digits.x_test, _foreign())
    commands = ["python -m latent evaluate --ood folder:squares --save", "python -m latent evaluate --junk --save"]
    update_manifest(bundle, evaluation={**result, "ood_dataset": "squares", "dataset": "digits", "commands": commands})
    serve_only(bundle, tmp_path, monkeypatch)
    at = open_page("report")
    ood = next(t.value for t in at.table if t.value.index.name == "score")
    typicality = [name for name in ood.index if name.startswith("typicality")]
    assert len(ood) == len(SCORES) and len(typicality) == 1
    assert ood.loc[typicality[0], "AUROC"] == f"{result['ood_auroc']:.4f}"
    shown = texts(at)
    assert "Out of distribution: 200 squares test images" in shown and "*typicality* score" in shown
    assert f"{result['ood_rejected_at_threshold']:.1%}" in shown
    measured = next(t for t in shown.split("\n") if t.startswith("Measured by"))  # every command, in order
    assert measured.index("--ood folder:squares") < measured.index("--junk --save")


# --------------------------------------------------------------------------- draw


def _canvas_state(rgba: np.ndarray) -> dict:
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG")
    data = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": data}, "backgroundFit": None}


def test_empty_canvas_is_not_classified(app_env):
    at = open_page("draw")
    assert "the answer appears here" in texts(at)
    blank = np.zeros((280, 280, 4), np.uint8)
    blank[..., 3] = 255
    at.session_state["draw_canvas_0"] = _canvas_state(blank)
    at.run()
    assert "the answer appears here" in texts(at) and not at.exception


def test_drawing_is_classified_and_the_threshold_can_refuse_it(app_env):
    at = open_page("draw")
    at.session_state["draw_canvas_0"] = _canvas_state(draw_digit("1", rgba=True))
    at.run()
    assert not at.exception
    shown = texts(at)
    assert re.search(r"It's an? \*\*", shown) or "none of these" in shown
    assert "log-likelihood" in shown
    assert any(c.startswith("nearest style:") for c in image_captions(at))
    assert "the latent test refuses" in shown and "of validation" in shown
    at.slider(key="draw_threshold").set_value(at.slider(key="draw_threshold").max).run()
    assert "none of these" in texts(at)
    assert "the latent test refuses" in texts(at)
    # "Clear" gives a fresh canvas: nothing to classify
    at.button(key="draw_clear").click().run()
    assert "the answer appears here" in texts(at)


def test_a_digit_drawn_very_wide_is_read_at_the_usual_width_and_the_page_says_so(tmp_path, monkeypatch):
    # The shipped MNIST bundle (the Draw page's default) takes this 4, drawn 5:2, for another digit as drawn.
    serve_only(os.path.join(ROOT, "assets", "mnist"), tmp_path, monkeypatch)
    at = open_page("draw")
    at.session_state["draw_canvas_0"] = _canvas_state(draw_digit("4", box=(0.02, 0.35, 0.98, 0.73), rgba=True))
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "It's a **4**" in shown and "Drawn wider than the training digits" in shown
    assert re.search(r"As drawn, its best class would be [0-35-9], log-likelihood -[0-9.]+ against", shown), shown
    assert "model input (28×28), at the usual width" in image_captions(at)
    at.session_state["draw_canvas_0"] = _canvas_state(draw_digit("4", rgba=True))  # the usual box
    at.run()
    assert "It's a **4**" in texts(at) and "Drawn wider" not in texts(at)
    assert "model input (28×28)" in image_captions(at)


def _png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def bad_uploads() -> dict[str, tuple[bytes, str]]:
    """Each bad input from the issue, with the words its message must contain."""
    good = _png(Image.fromarray(draw_digit("7")))
    frames = [Image.fromarray(draw_digit(d)) for d in "71"]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    rgba = Image.fromarray(draw_digit("4", rgba=True), mode="RGBA")
    deep = Image.fromarray(draw_digit("0").astype(np.uint16) * 257)  # 16-bit grayscale
    huge = Image.new("1", (20000, 20000))  # a tiny file, but 400 M pixels
    return {
        "notes.txt": (b"hello, this is not an image", "not an image"),
        "truncated.png": (good[: len(good) // 2], "truncated"),
        "huge.png": (_png(huge), "too large"),
        "animated.gif": (gif.getvalue(), "first one is used"),
        "transparent.png": (_png(rgba), "transparent"),
        "deep.png": (_png(deep), "rescaled"),
    }


BAD_UPLOADS = ["notes.txt", "truncated.png", "huge.png", "animated.gif", "transparent.png", "deep.png"]


@pytest.fixture(scope="module")
def bad_upload_files():
    return bad_uploads()


@pytest.mark.parametrize("name", BAD_UPLOADS)
def test_bad_uploads_get_a_clear_message_and_the_page_keeps_working(app_env, bad_upload_files, name):
    data, words = bad_upload_files[name]
    at = open_page("draw")
    at.segmented_control(key="draw_mode").set_value("Upload").run()
    at.file_uploader(key="draw_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    messages = " ".join(e.value for e in list(at.error) + list(at.info))
    assert words in messages, messages
    # the page still works: switch back to drawing and classify a digit
    at.segmented_control(key="draw_mode").set_value("Draw").run()
    at.session_state["draw_canvas_0"] = _canvas_state(draw_digit("7", rgba=True))
    at.run()
    assert not at.exception and (re.search(r"It's an? \*\*", texts(at)) or "none of these" in texts(at))


def test_a_good_upload_is_classified(app_env):
    at = open_page("draw")
    at.segmented_control(key="draw_mode").set_value("Upload").run()
    dark_on_light = 255 - draw_digit("1")
    at.file_uploader(key="draw_upload").set_value(("one.png", _png(Image.fromarray(dark_on_light)), "image/png")).run()
    assert not at.exception and not at.error
    assert re.search(r"It's an? \*\*", texts(at)) or "none of these" in texts(at)


def test_an_upload_with_no_clear_ink_says_so_once(app_env):
    """A grey gradient photographed has no ink: "none" with the reason, then what it means, without the
    reason said twice ("no clear ink: no clear ink: ...", before), and the picture it looked at."""
    at = open_page("draw")
    at.segmented_control(key="draw_mode").set_value("Upload").run()
    gradient = np.tile(np.linspace(60, 200, 300), (200, 1)).astype(np.uint8)
    at.file_uploader(key="draw_upload").set_value(("wall.png", _png(Image.fromarray(gradient)), "image/png")).run()
    assert not at.exception and not at.error
    answer = next(m.value for m in at.markdown if "### none of these" in m.value)
    assert "Reason: **no clear ink**:" in answer and answer.count("no clear ink") == 1, answer
    assert "your picture: nothing to read in it" in image_captions(at)  # what was looked at


def test_page_choices_are_kept_when_coming_back(app_env):
    at = open_page("morph")
    at.selectbox(key="morph_source").select_index(6).run()
    at.slider(key="morph_t").set_value(0.8).run()
    at.switch_page("app_pages/styles.py").run()
    at.selectbox(key="styles_class").select_index(2).run()
    at.switch_page("app_pages/morph.py").run()
    assert not at.exception
    assert at.selectbox(key="morph_source").value == 6 and at.slider(key="morph_t").value == 0.8
    at.switch_page("app_pages/styles.py").run()
    assert at.selectbox(key="styles_class").value == 2


def test_a_bundle_rebuilt_while_the_app_runs_is_reloaded(tiny_bundle, tmp_path, monkeypatch):
    import shutil

    import ui.common
    from latent import artifacts

    bundle = tmp_path / "rebuilt"
    shutil.copytree(tiny_bundle, bundle)
    serve_only(bundle, tmp_path, monkeypatch)
    at = open_page("styles")
    artifacts.update_manifest(bundle, created="2030-01-01T00:00:00+00:00", name="rebuilt-later")
    ui.common.manifest.clear()  # (its 5 s time-to-live, skipped)
    at.run()
    assert not at.exception
    assert ui.common.load_model(str(bundle.resolve())).manifest["name"] == "rebuilt-later"


def test_the_morph_map_keeps_few_background_points_so_a_slider_step_redraws_it_quickly():
    """Each Morph slider step makes the browser redraw this map: 3,000 background points took ~0.35 s of a
    step's ~0.5 s in chromium (benchmarks/page_visits.py), so the backdrop holds MORPH_MAP_POINTS."""
    from ui import cached

    bundle = Path(ROOT) / "assets" / "mnist"
    if not (bundle / "map.npz").is_file():
        pytest.skip("the shipped MNIST bundle is not here")

    def n_points(trace) -> int:
        x = trace["x"]
        if isinstance(x, dict):  # plotly's typed-array form
            return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
        return len(x)

    figure = cached.morph_figures(str(bundle), 3, None, 8, None).map
    backdrop = [t for t in figure["data"] if not (t.get("meta") or {}).get("kind")]
    assert len(backdrop) == 10
    assert 0.9 * cached.MORPH_MAP_POINTS <= sum(map(n_points, backdrop)) <= cached.MORPH_MAP_POINTS
    assert cached.MORPH_MAP_POINTS <= 1000
