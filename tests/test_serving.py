"""How the dashboard process serves many sessions at once (measured by benchmarks/load_bench.py).

Each setting here was found by that benchmark; the tests keep them from being lost. Speed itself is
not asserted here (no timed tests): the benchmark measures it.
"""

from __future__ import annotations

import tomllib

import pytest

from conftest import ROOT


@pytest.fixture()
def torch_threads():
    """Restore torch's intra-op thread count and kernel choice after the test."""
    import torch

    before, onednn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    yield torch
    torch.set_num_threads(before)
    torch.backends.mkldnn.enabled = onednn


def test_the_served_model_runs_each_op_on_one_thread(tiny_bundle, torch_threads):
    """A request is one image: splitting its tiny convolutions over threads only adds synchronisation,
    and concurrent sessions already use the cores. Two intra-op threads on a busy 2-core machine made
    one encode 10-30x slower (60-200 ms instead of 7 ms)."""
    import ui.common

    torch_threads.set_num_threads(2)
    ui.common.load_model.clear()
    model = ui.common.load_model(str(tiny_bundle.resolve()))
    assert model.n_classes > 1
    assert torch_threads.get_num_threads() == 1


def test_the_served_model_runs_torch_kernels_not_onednn(tiny_bundle, torch_threads):
    """Every rerun runs in a new thread, and oneDNN's first convolution in a thread costs several ms more
    than the next (a drawing's encode: 12-15 ms instead of ~1.3); torch's own kernels do not pay it and read one
    image faster (benchmarks/torch_kernels.py)."""
    import ui.common

    torch_threads.backends.mkldnn.enabled = True
    ui.common.load_model.clear()
    ui.common.load_model(str(tiny_bundle.resolve()))
    assert torch_threads.backends.mkldnn.enabled is False


def test_the_app_does_not_force_a_full_garbage_collection_after_every_run():
    """streamlit's runner.postScriptGC runs gc.collect(2) after every script run while holding the GIL:
    with the model, figures and caches in memory that took 300-450 ms per rerun under load, during
    which every other session's run and the sending of all answers waited. Python's own generational
    collector still frees cyclic garbage (RSS is measured by the load benchmark)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_the_walk_animation_is_the_figure_plotly_validates_frame_by_frame():
    """frames_animation validates one heatmap and reuses it for every frame (validating 60 frames cost
    ~0.25 s per Sampling page rerun); what reaches the browser must be what full validation gives."""
    import json

    import numpy as np
    import plotly.graph_objects as go
    import plotly.io

    from latent.figures import plots

    images = np.random.default_rng(0).uniform(size=(7, 28, 28))
    fig = plots.frames_animation(images, [f"step {i}" for i in range(7)])
    levels = np.round(images * 255).astype(np.uint8)
    frames = [go.Frame(data=[go.Heatmap(z=img)], name=str(i)) for i, img in enumerate(levels)]
    validated = go.Figure(data=[plots._image_heatmap(levels[0])], frames=frames, layout=fig.layout)
    assert json.loads(plotly.io.to_json(fig)) == json.loads(plotly.io.to_json(validated))
    assert isinstance(fig.data[0].colorscale, tuple)  # spelled out: plotly.js knows no "gray"
    assert fig.frames[3].data[0].colorscale is None  # frames carry pixels only; plotly.js keeps the rest


def test_the_favicon_is_drawn_once_as_a_data_url():
    """Given a picture, st.set_page_config encodes it to PNG and stores it in the media manager on every
    rerun of every session; a data URL is passed through as it is."""
    import base64
    import io

    from PIL import Image

    import ui.common

    url = ui.common.favicon()
    assert url.startswith("data:image/png;base64,")
    assert ui.common.favicon() is url
    assert Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size == (64, 64)


def test_plotly_serialises_figures_with_orjson():
    """plotly's own JSON encoder passes every figure three times (encode, parse, encode again); every
    chart of every rerun goes through it. With orjson installed (a requirement), plotly's "auto" engine
    uses it instead."""
    import importlib.util

    import plotly.io as pio

    assert importlib.util.find_spec("orjson") is not None, "orjson is in requirements.txt"
    assert pio.json.config.default_engine == "auto"


def test_reruns_make_no_pages_and_parse_no_arguments_after_the_first(monkeypatch, tmp_path):
    """Every rerun of app.py used to build its 8 st.Page objects (each resolves its script's path) and an
    ArgumentParser (gettext looks for translation files): ~60 system calls a rerun, each a chance to lose
    the interpreter to another session under load. They are made once per process; each run still gets
    its own page objects, since st.navigation and Page.run change them."""
    import argparse

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import ui.common

    ui.common._page_templates.cache_clear()
    ui.common._requested_model.cache_clear()
    monkeypatch.delenv("LATENT_MODEL", raising=False)
    made, parsers, navigated = [], [], []
    page_class, parser_init, navigation = st.Page, argparse.ArgumentParser.__init__, st.navigation

    def counting_page(*args, **kwargs):
        made.append(args[0])
        return page_class(*args, **kwargs)

    def counting_parser(self, *args, **kwargs):
        parsers.append(1)
        parser_init(self, *args, **kwargs)

    def recording_navigation(pages, *args, **kwargs):
        navigated.append(pages)
        return navigation(pages, *args, **kwargs)

    monkeypatch.setattr(st, "Page", counting_page)
    monkeypatch.setattr(argparse.ArgumentParser, "__init__", counting_parser)
    monkeypatch.setattr(st, "navigation", recording_navigation)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    for _ in range(3):
        at.run()
    assert not at.exception
    assert len(made) == 8 and len(parsers) == 1, (made, parsers)
    assert len(navigated) == 4 and navigated[0][0] is not navigated[1][0]  # fresh copies each run
    assert [p.title for p in navigated[3]] == [p.title for p in navigated[0]]


def test_a_fresh_server_imports_torch_in_the_background_after_the_first_page():
    """The Home page imports neither torch nor scikit-learn; app.py then starts one background import of the
    model stack, so a visitor's first model page does not wait ~2 s for `import torch`. In a fresh interpreter:
    importing the dashboard's helpers leaves torch alone, warm_up imports it off the calling thread, once,
    after its delay (not while the browser still draws the first page)."""
    import subprocess
    import sys

    code = """
import sys, threading, time
from ui import common
assert "torch" not in sys.modules
start = time.monotonic()
thread = common.warm_up(delay=3.0)
assert thread is not None and thread is not threading.current_thread() and thread.daemon
assert common.warm_up() is None  # once per process
time.sleep(0.5)
if time.monotonic() - start < 2.5:  # it waits while the browser draws the first page
    assert "torch" not in sys.modules
thread.join(120)
assert all(name in sys.modules for name in common.WARM_UP_MODULES), common.WARM_UP_MODULES
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]
