"""What every page of the dashboard shares: the model picker, the cached model, explanations, errors.

This is the only place that knows how a model is chosen (bundles under `assets/`, plus one named
by `--model PATH` after `--` on the `streamlit run` command line or by $LATENT_MODEL) and how it is
cached: the bundle loads once per process with `st.cache_resource`; arrays and figures derived from
it are cached per (model path, parameters) by the pages. Heavy imports stay inside functions, so the
home page renders without importing torch.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Literal, NoReturn

import numpy as np
import streamlit as st

from latent import artifacts
from latent.errors import LatentError
from latent.paths import assets_root
from latent.text import escape_markdown

ASSETS = assets_root()  # the folder the command line writes to, whatever its working folder
ENV_VAR = "LATENT_MODEL"
MODEL_KEY = "model"  # session-state key of the sidebar's model picker
DEFAULT_BUNDLE = "mnist"  # the bundle under assets/ that a visitor sees first (digits can be drawn)

BUILD_HELP = """No model bundle was found, so there is nothing to explore yet. Build one (about a minute on a
laptop, no download needed) and reload this page:

```bash
python -m latent train --dataset digits --out assets/digits --epochs 5 --latent-dim 8 --map-points 359
```

For the real thing, train on MNIST or Fashion-MNIST (the dataset files are downloaded or read from
`$LATENT_DATA_DIR`):

```bash
python -m latent train --dataset mnist --out assets/mnist
python -m latent train --dataset fashion-mnist --out assets/fashion-mnist
```

A bundle stored elsewhere can be opened with `streamlit run app.py -- --model PATH` or by setting
`LATENT_MODEL=PATH`."""


# --------------------------------------------------------------------------- pages


def pages(definitions: tuple[tuple[str, str, str], ...]) -> list:
    """st.Page objects for (script, title, icon) definitions, the first the default. The pages are made once
    per process (st.Page resolves its script's path: ~40 system calls a rerun) and each run gets fresh
    copies: st.navigation and Page.run change a page's state, which sessions must not share."""
    import copy

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    home = str(ctx.pages_manager.main_script_parent) if ctx is not None else ""  # what st.Page resolves against
    return [copy.copy(p) for p in _page_templates(definitions, home)]


@functools.lru_cache(maxsize=4)
def _page_templates(definitions: tuple[tuple[str, str, str], ...], home: str) -> tuple:
    return tuple(
        st.Page(script, title=title, icon=icon, default=i == 0) for i, (script, title, icon) in enumerate(definitions)
    )


# --------------------------------------------------------------------------- choosing a model


def requested_model(argv: list[str] | None = None) -> str | None:
    """The bundle named by `--model PATH` (script arguments) or $LATENT_MODEL, resolved; else None."""
    return _requested_model(tuple(sys.argv[1:] if argv is None else argv), os.environ.get(ENV_VAR))


@functools.lru_cache(maxsize=8)
def _requested_model(argv: tuple[str, ...], env: str | None) -> str | None:
    """Worked out once per process (per arguments): every rerun asks, and an ArgumentParser (gettext's file
    lookups) plus `resolve()` cost ~20 system calls, each a chance to lose the interpreter under load."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--model")
    args, _ = parser.parse_known_args(list(argv))
    value = args.model or env
    return str(Path(value).expanduser().resolve()) if value else None


@st.cache_data(ttl=5, show_spinner=False)
def bundle_choices(requested: str | None, assets: str) -> dict[str, str]:
    """{bundle path: label} for the picker: the requested bundle first, then every bundle in assets/.
    Labels are unique (a repeated one names its folder): Streamlit keys a choice by its label."""
    from latent.figures.summary import bundle_label, unique_labels

    found = sorted(artifacts.find_bundles(assets), key=lambda p: p.name != DEFAULT_BUNDLE)  # mnist first: the canvas
    paths = ([requested] if requested else []) + [str(p.resolve()) for p in found]
    choices: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        try:
            choices[path] = bundle_label(artifacts.load_manifest(path, verify=False), path)
        except LatentError:
            choices[path] = f"{Path(path).name} · (cannot be read)"
    return unique_labels(choices)


def model_picker() -> str | None:
    """The sidebar's model selectbox; returns the chosen bundle path (None when there is none)."""
    choices = bundle_choices(requested_model(), str(ASSETS))
    if not choices:
        return None
    if st.session_state.get(MODEL_KEY) not in choices:
        st.session_state.pop(MODEL_KEY, None)
    from ui import url_state

    url_state.bind(MODEL_KEY, "model", url_state.model_spec(list(choices)), default=next(iter(choices)))
    return st.sidebar.selectbox(
        "Model",
        list(choices),
        format_func=lambda p: choices.get(p, p),
        key=MODEL_KEY,
        help="Every bundle under assets/, plus one given with `streamlit run app.py -- --model PATH` "
        "or the LATENT_MODEL environment variable.",
    )


def model_path() -> str | None:
    """The chosen bundle path (the picker's value; its default when the picker has not run yet)."""
    chosen = st.session_state.get(MODEL_KEY)
    if chosen is not None:
        return chosen
    choices = bundle_choices(requested_model(), str(ASSETS))
    return next(iter(choices), None)


@st.cache_data(ttl=5, show_spinner=False)
def manifest(path: str) -> dict:
    """The bundle's manifest without checking file hashes (cheap: JSON only)."""
    return artifacts.load_manifest(path, verify=False)


# What a model page needs that the Home page does not: torch alone is ~2 of the ~3 s a fresh server's first
# Latent map takes.
WARM_UP_MODULES = ("torch", "latent.networks.autoencoder", "latent.networks.detector", "latent.bundle.model")
# Started at once, the import made a fresh server's first render of Home 4.4-4.9 s instead of 3.4-4.0 s
# (bench_app.first_render, 4 runs each): torch's import competes with the browser loading the page.
WARM_UP_DELAY_S = 2.0
_warm_up_lock = threading.Lock()
_warm_up_started = False


def warm_up(modules=WARM_UP_MODULES, delay: float = WARM_UP_DELAY_S) -> threading.Thread | None:
    """Import the model stack in a background thread, once per process (the thread, or None when it was
    started before). app.py calls it after a page has been sent, so a fresh server imports torch while the
    first visitor reads the Home page instead of after their first click on a model page. The thread waits
    `delay` seconds first: the browser is still fetching and drawing that page, and an import beside it
    slowed the first render (see WARM_UP_DELAY_S). A page that needs a module meanwhile imports it itself
    (or waits on Python's import lock for this import); nothing is imported twice."""
    global _warm_up_started
    with _warm_up_lock:
        if _warm_up_started:
            return None
        _warm_up_started = True
    thread = threading.Thread(target=_import_all, args=(tuple(modules), delay), name="latent-warm-up", daemon=True)
    thread.start()
    return thread


def _import_all(modules: tuple[str, ...], delay: float) -> None:
    time.sleep(delay)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (the page that needs the module raises it where it is shown)
            return


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def load_model(path: str):
    """The loaded bundle (autoencoder + mixtures + map), shared by all sessions. Never mutated."""
    from latent.bundle.model import LatentModel, configure_torch_for_serving

    configure_torch_for_serving()
    return LatentModel.load(path)


def no_model_stop() -> NoReturn:
    st.warning(BUILD_HELP, icon=":material/model_training:")
    st.stop()


def require_manifest() -> tuple[str, dict]:
    """(path, manifest) of the chosen model, or a message and stop."""
    path = model_path()
    if path is None:
        no_model_stop()
    try:
        return path, manifest(path)
    except LatentError as exc:
        show_error(exc)


def require_model():
    """(path, LatentModel) of the chosen model, or a clear message and stop (never a traceback)."""
    path = model_path()
    if path is None:
        no_model_stop()
    try:
        model = load_model(path)
        if model.manifest.get("created") != manifest(path).get("created"):
            # The bundle was rebuilt while the app was running: drop everything computed from the old one.
            st.cache_resource.clear()
            st.cache_data.clear()
            model = load_model(path)
        return path, model
    except LatentError as exc:
        show_error(exc, "This model cannot be opened: ")


def show_error(exc: LatentError, lead: str = "") -> NoReturn:
    """One st.error with the message as plain text (it quotes paths and bundle fields), then stop."""
    st.error(lead + escape_markdown(exc), icon=":material/error:")
    st.stop()


def fragment(func):
    """`st.fragment` whose LatentError becomes one message, as on the rest of the page: app.py's catch does not
    reach inside a fragment (Streamlit handles a fragment's exception itself and shows a traceback box)."""

    @functools.wraps(func)
    def body(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except LatentError as exc:
            show_error(exc)

    return st.fragment(body)


# --------------------------------------------------------------------------- page furniture


@st.cache_resource(show_spinner=False)
@functools.cache
def favicon() -> str:
    """A 64x64 icon (three overlapping class clouds) drawn in code, as a PNG data URL: a material-icon or
    emoji favicon would be fetched from a CDN, which fails offline and logs a console error. Drawn once
    per process: given a picture, `st.set_page_config` would encode and store it again on every rerun."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[:64, :64].astype(np.float32)
    img = np.zeros((64, 64, 4), dtype=np.float32)
    for (cy, cx, r), color in zip(
        [(24, 22, 15), (40, 26, 13), (30, 43, 14)], [(76, 120, 168), (245, 133, 24), (228, 87, 86)], strict=True
    ):
        alpha = np.clip(1.2 - ((yy - cy) ** 2 + (xx - cx) ** 2) / r**2, 0, 1)[..., None]
        img[..., :3] = img[..., :3] * (1 - alpha) + np.array(color, dtype=np.float32) * alpha
        img[..., 3:] = np.maximum(img[..., 3:], alpha * 255)
    buffer = io.BytesIO()
    Image.fromarray(img.round().astype(np.uint8), mode="RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def explain(markdown: str, *, expanded: bool = False) -> None:
    """The collapsible 'What am I looking at?' text of a page, written for a student (open in presenter mode)."""
    with st.expander("What am I looking at?", expanded=expanded or presenting(), icon=":material/school:"):
        st.markdown(markdown)


def png(image, scale: int) -> bytes:
    """One image (float (H, W) in [0, 1] or uint8) upscaled with crisp pixels, as PNG bytes, encoded once:
    st.image re-encoded every array on every rerun (the Styles page spent ~280 ms on 54 small images).
    Keyed by the array's bytes in a plain LRU cache: st.cache_data's own hashing of each argument cost
    more than the encoding it saved (~7 % of a page's server time)."""
    return _png(*_as_key(image), scale)


def grid_png(images, n_cols: int, scale: int) -> bytes:
    """Images tiled on one grid picture, as PNG bytes (shown and offered for download), encoded once
    (keyed by the images' bytes, as `png`)."""
    return _grid_png(*_as_key(images), n_cols, scale)


def _as_key(images) -> tuple[bytes, tuple, str]:
    """An array as a hashable cache key: its bytes, shape and dtype (`_as_array` turns it back)."""
    array = np.ascontiguousarray(images)
    return array.tobytes(), array.shape, array.dtype.str


def _as_array(data: bytes, shape: tuple, dtype: str) -> np.ndarray:
    return np.frombuffer(data, dtype=dtype).reshape(shape)


@functools.lru_cache(maxsize=4096)  # small images: at most a few MB of keys and PNGs
def _png(data: bytes, shape: tuple, dtype: str, scale: int) -> bytes:
    from latent.figures.exports import png_bytes
    from latent.inputs.imaging import to_uint8, upscale

    return png_bytes(upscale(to_uint8(_as_array(data, shape, dtype)), scale))


@functools.lru_cache(maxsize=256)  # a grid of 16-64 small images: ~50-200 kB of key each, ~30 MB at most
def _grid_png(data: bytes, shape: tuple, dtype: str, n_cols: int, scale: int) -> bytes:
    from latent.figures.exports import grid_png as encode

    return encode(_as_array(data, shape, dtype), n_cols, scale=scale)


def show_images(images, *, captions=None, width: int | Literal["stretch"] = 84) -> None:
    """A row of images that wraps on narrow screens (float (n, H, W) in [0, 1] or uint8), crisp pixels.

    `width` is in pixels per image, or "stretch" to fill the column.
    """
    scale = 8 if isinstance(width, str) else max(1, width // images[0].shape[-1])
    st.image([png(img, scale) for img in images], caption=captions, width=width, output_format="PNG")


def show_grid(
    images,
    n_cols: int,
    *,
    width: int | Literal["stretch", "content"] = "content",
    scale: int = 3,
    caption: str | None = None,
) -> None:
    """Images tiled on one grid picture (float (n, H, W) in [0, 1] or uint8), crisp pixels."""
    st.image(grid_png(images, n_cols, scale), width=width, caption=caption, output_format="PNG")


PRESENT_KEY = "present"  # session-state key of the sidebar's presenter-mode toggle (?present=1)

# Presenter mode, for a projector: larger type (everything is sized in rem), no chart toolbars; the pages also
# open their explanations and leave out secondary controls (download buttons, the chart format).
PRESENT_CSS = """<style>
@media (min-width: 700px) { html { font-size: 22px; } }
@media (max-width: 699px) { html { font-size: 18px; } }
.modebar-container, [data-testid="stElementToolbar"] { display: none !important; }
</style>"""


def presenting() -> bool:
    """Whether presenter mode is on (the sidebar's toggle, kept in the URL as ?present=1)."""
    return bool(st.session_state.get(PRESENT_KEY))


def presenter_css() -> None:
    if presenting():
        st.html(PRESENT_CSS)


def download_grid(images, n_cols: int, *, file_name: str, key: str, scale: int = 3, label: str = "PNG") -> None:
    """A button that saves images as one grid picture (the same PNG the page shows); none in presenter mode."""
    if presenting():
        return
    st.download_button(
        label,
        grid_png(images, n_cols, scale),
        file_name=file_name,
        mime="image/png",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"Download these images as {file_name}",
    )


def download_csv(text: str, *, file_name: str, key: str, label: str = "CSV") -> None:
    """A button that saves a table as CSV (no rerun when clicked); none in presenter mode."""
    if presenting():
        return
    st.download_button(
        label,
        text,
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"Download the numbers as {file_name}",
    )


# Every chart keeps a small toolbar with the camera button (shown on hover; Streamlit adds full screen):
# it saves the chart as PNG or SVG, as chosen in the sidebar (plotly's button has one format at a time).
CHART_FORMAT_KEY = "chart_format"
CHART_FORMATS = {"png": "PNG", "svg": "SVG"}
_TOOLBAR_EXTRAS = [
    "zoom2d",
    "pan2d",
    "select2d",
    "lasso2d",
    "zoomIn2d",
    "zoomOut2d",
    "autoScale2d",
    "resetScale2d",
    "hoverClosestCartesian",
    "hoverCompareCartesian",
    "toggleSpikelines",
]


def chart_format_control() -> None:
    """The sidebar's choice of format for the charts' camera button (kept across pages; hidden when presenting)."""
    if presenting():
        return
    st.sidebar.segmented_control(
        "Charts download as",
        list(CHART_FORMATS),
        format_func=lambda f: CHART_FORMATS[f],
        default="png",
        key=CHART_FORMAT_KEY,
        persist_state="session",
        required=True,
        help="The camera button in the top right corner of a chart (shown on hover) saves it in this format: "
        "PNG for slides, SVG to edit or print at any size.",
    )


def chart_config(file_name: str, *, base: dict | None = None) -> dict:
    """Plotly config of a chart: `base` (default: a minimal toolbar, the camera only), with the camera
    saving `file_name`.png or .svg as the sidebar says."""
    fmt = st.session_state.get(CHART_FORMAT_KEY) or "png"
    options = {"format": fmt if fmt in CHART_FORMATS else "png", "filename": file_name}
    if options["format"] == "png":
        options["scale"] = 2  # crisp on a projector
    config = dict(STATIC_PLOT_CONFIG if base is None else base)
    config["toImageButtonOptions"] = options
    return config


PLOT_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "scrollZoom": False,
}
STATIC_PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": _TOOLBAR_EXTRAS, "scrollZoom": False}
