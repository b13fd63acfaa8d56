"""Shareable state, presenter mode and the guided lesson under AppTest: a page opened with query parameters
shows that state, a bad parameter falls back with a note, a changed widget updates the URL, and the lesson's
Next opens the next step's page in the view it talks about."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from test_app import APP, TIMEOUT, serve_only, texts


@pytest.fixture()
def app_env(tiny_bundle, tmp_path, monkeypatch):
    serve_only(tiny_bundle, tmp_path, monkeypatch)
    return tiny_bundle


def open_url(page: str, **params: str) -> AppTest:
    """A fresh session opening app_pages/`page`.py?params, as a pasted link does."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page != "home":
        at.run()  # the frame registers the pages
        at.switch_page(f"app_pages/{page}.py")
        at.query_params.clear()
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def widget_values(at: AppTest) -> dict:
    values = {}
    for kind in ("selectbox", "slider", "radio", "toggle", "select_slider", "segmented_control"):
        for w in getattr(at, kind):
            if w.key and not w.key.startswith("$$"):
                values[w.key] = w.value
    return values


def notes(at: AppTest) -> str:
    return "\n".join(str(i.value) for i in at.info).replace("\\", "")


def test_morph_opened_with_a_link_shows_its_view(app_env):
    at = open_url("morph", model="digits", **{"from": "4", "to": "9", "to_style": "2", "path": "data", "t": "0.3"})
    assert at.selectbox(key="morph_source").value == 4 and at.selectbox(key="morph_target").value == 9
    assert at.selectbox(key="morph_target_style").value is not None  # style 2 of class 9
    assert at.radio(key="morph_route").value == "through the data"
    assert at.slider(key="morph_t").value == pytest.approx(0.3)
    assert "Frame at t = 0.30" in texts(at)
    assert not at.info
    assert at.query_params["t"] == "0.3" and at.query_params["to_style"] == "2" and at.query_params["model"] == "digits"


def test_bad_parameters_fall_back_with_a_note(app_env, tmp_path):
    at = open_url("morph", model=str(app_env), t="abc", **{"from": "nine", "path": "zigzag"})
    said = notes(at)
    for name in ("model=", "t=", "from=", "path="):
        assert name in said, said
    assert "cannot open a path" in said
    assert at.slider(key="morph_t").value == 0.5 and at.radio(key="morph_route").value == "straight line"
    assert at.sidebar.selectbox[0].value == str(app_env.resolve())
    assert at.query_params["model"] == "digits" and at.query_params["t"] == "0.5"  # the URL now says what is shown
    at = open_url("latent_map", point="99999", spot="1,2,3", seed="-1", density="maybe")
    assert all(f"{p}=" in notes(at) for p in ("point", "spot", "seed", "density")), notes(at)
    assert "Test image" not in texts(at)


def test_changing_a_widget_updates_the_url(app_env):
    at = open_url("morph")
    at.slider(key="morph_t").set_value(0.8).run()
    assert at.query_params["t"] == "0.8"
    at.query_params["t"] = "0.5"  # quick key presses: the browser's URL still says an earlier value
    at.slider(key="morph_t").set_value(0.81).run()
    assert at.slider(key="morph_t").value == 0.81 and at.query_params["t"] == "0.81"
    at.radio(key="morph_route").set_value("through the data").run()
    assert at.query_params["path"] == "data"
    at.switch_page("app_pages/styles.py").run()
    at.selectbox(key="styles_class").set_value(3).run()
    at.slider(key="styles_n").set_value(5).run()
    assert at.query_params["class"] == "3" and at.query_params["n"] == "5" and at.query_params["model"] == "digits"


@pytest.mark.parametrize(
    "page,change",
    [
        ("latent_map", {"map_show": "styles only", "map_density": True, "map_class": 7}),
        ("styles", {"styles_class": 2, "styles_n": 6}),
        ("morph", {"morph_source": 1, "morph_target": 2, "morph_t": 0.25}),
        (
            "sampling",
            {"samp_via_image": True, "walk_class": 5, "walk_steps": 100, "walk_method": "mh", "walk_step_size": 0.5},
        ),
        ("similarity", {"sim_method": "variational"}),
        ("draw", {"draw_pen": 30}),
    ],
)
def test_a_link_copied_from_a_page_restores_it_in_a_fresh_session(app_env, page, change):
    at = open_url(page)
    for key, value in change.items():
        at.session_state[key] = value
    at.run()
    shown = widget_values(at)
    for key, value in change.items():
        assert shown[key] == value, key
    link = dict(at.query_params)
    again = open_url(page, **link)
    assert widget_values(again) == shown
    assert dict(again.query_params) == link


def test_a_linked_point_or_spot_opens_its_card(app_env):
    at = open_url("latent_map", point="5")
    assert "Test image 5" in texts(at)
    at = open_url("latent_map", spot="0.5,0.5")
    assert "**This spot** (0.50, 0.50)" in texts(at)
    at.button(key="map_spot_close").click().run()
    assert "spot" not in at.query_params


def test_the_model_is_named_in_the_link(app_env, tmp_path, monkeypatch):
    import shutil

    import ui.common

    assets = tmp_path / "assets"
    shutil.copytree(app_env, assets / "other")
    monkeypatch.setattr(ui.common, "ASSETS", assets)
    at = open_url("home", model="other")
    assert at.sidebar.selectbox[0].value == str((assets / "other").resolve())
    at.sidebar.selectbox[0].select_index(0).run()
    assert at.query_params["model"] == "digits"


def test_presenter_mode_opens_explanations_and_drops_secondary_controls(app_env):
    at = open_url("morph")
    assert not at.expander[0].proto.expanded and at.get("download_button")
    at.toggle(key="present").set_value(True).run()
    assert at.query_params["present"] == "1"
    at = open_url("morph", present="1")
    assert at.toggle(key="present").value
    assert at.expander[0].proto.expanded and not at.get("download_button")
    assert any("font-size" in h.proto.body for h in at.get("html"))
    assert "Charts download as" not in [s.label for s in at.sidebar.get("button_group")]


def most_confused(manifest: dict) -> tuple[str, str]:
    names = manifest["dataset"]["class_names"]
    cm = np.asarray(manifest["metrics"]["confusion_matrix"], dtype=float)
    off = cm + cm.T
    np.fill_diagonal(off, -1)
    i, j = sorted(np.unravel_index(int(np.argmax(off)), off.shape))
    return names[i], names[j]


def test_the_lesson_walks_the_pages_and_sets_each_view(app_env):
    from ui.lesson import STEPS

    at = open_url("home")
    at.sidebar.button(key="lesson_start").click().run()
    assert at.query_params["lesson"] == "1" and "step 1 of 10" in texts(at)
    assert "8 numbers" in texts(at)  # the tiny bundle's latent size, from the model
    at.button(key="lesson_next").click().run()
    assert at.query_params["lesson"] == "2" and at.title[0].value == "Latent map"
    assert at.radio(key="map_show").value == "test images"
    for n in range(3, 8):
        at.button(key="lesson_next").click().run()
        assert not at.exception and at.query_params["lesson"] == str(n), n
    a, b = most_confused(json.loads((app_env / "manifest.json").read_text()))
    assert at.title[0].value == "Morph" and at.slider(key="morph_t").value == 0.5
    assert (at.query_params["from"], at.query_params["to"]) == (a, b)
    assert f"from class {a} to class {b}" in texts(at)
    at.slider(key="morph_t").set_value(0.9).run()
    at.button(key="lesson_prev").click().run()
    at.button(key="lesson_next").click().run()
    assert at.slider(key="morph_t").value == 0.5  # the step sets its view again
    while not at.button(key="lesson_next").disabled:
        at.button(key="lesson_next").click().run()
        assert not at.exception
    assert at.query_params["lesson"] == str(len(STEPS)) and at.toggle(key="map_density").value
    at.button(key="lesson_end").click().run()
    assert "lesson" not in at.query_params and "Lesson" not in texts(at)


def test_a_lesson_link_opens_its_step(app_env):
    at = open_url("similarity", lesson="8", model="digits")
    assert "step 8 of 10" in texts(at)
    at = open_url("home", lesson="42")
    assert "lesson=" in notes(at) and "Lesson ·" not in texts(at)
