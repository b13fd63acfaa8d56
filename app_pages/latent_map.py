"""Latent map: the stored test codes on a 2-D map, the mixture components as ellipses; click anywhere to decode."""

import numpy as np
import streamlit as st

from latent.bundle.rejection import beyond_latent
from latent.explore.styles import styles_by_weight
from latent.figures import plots
from latent.text import escape_markdown, md_code
from ui import cached, common, url_state

path, model = common.require_model()
names = model.class_names
inverse = cached.map_inverse(path)
grid = inverse.grid

st.title("Latent map")
st.markdown(
    "Every dot is a test image, placed where the encoder put its latent code. **Click anywhere** to see "
    "what the model decodes there, a dot to see its test image, a **◆** to see the style it stands for."
)
common.explain(f"""
The encoder turns each image into **{model.latent_dim} numbers** (its latent code). We cannot draw
{model.latent_dim} dimensions, so this map squeezes them into 2 with UMAP, a method that keeps
neighbours together: images with similar codes land close to each other. Colour is the **true class**
of the image; the model never saw these labels when it learned the codes, yet the classes form islands.

Each class has a **Gaussian mixture**: a few overlapping bell curves (“components”) in latent space.
Each ellipse shows where one component's mass lands on the map, and the **◆ marker** at its centre is
clickable. A component is a **style** of the class: a slanted 7, a 7 with a bar, a thick 0…
Its **weight** is the share of the class it explains. Sampling a code from the component and
**decoding** it (running the decoder, the encoder in reverse) draws a new image in that style.

**Click anywhere.** The map only knows where test images landed, so the code at any other spot is a
blend: the average of the codes of the test images nearest to it, the nearer ones counting more (the
further from every island, the broader the blend). The panel decodes that code and shows how the
classifier reads it: the probability of each class and the **best class log-likelihood**, the score
the “none of these” answer looks at: below the threshold ({model.threshold:.1f}) the code is an
**unlikely latent code** and the answer is “none”.

**Density.** The shading shows that score at every spot: darker where the model finds the code more
likely, grey (inside a grey line at the threshold) where it would answer “none”. Blends of nearby codes
are typical codes, so most of the map clears the threshold: the codes the model finds unlikely lie away
from every test image in latent space, where no map of test images reaches. {beyond_latent(model.rule)}

Hover a dot to see a tiny picture of its decoded code. Click a class in the legend to hide it;
double-click to show only that class. Drag to pan; use the toolbar to zoom, reset the view or save
the map as a picture.
""")

# ----------------------------------------------------------------------------- state
if "map_seed" not in st.session_state:
    st.session_state.map_seed = 0  # bumped by "Resample"
    st.session_state.map_point = None  # a clicked test image, if any
    st.session_state.map_spot = None  # (x, y) of a clicked spot of the map, if any
    st.session_state.map_last_event = []  # the selection already acted on

SHOW = ["test images and styles", "test images", "styles only"]
FORMATS = {"PNG": "png", "SVG": "svg"}
x0, x1, y0, y1 = (float(v) for v in inverse.extent)
pad = 0.05 * max(x1 - x0, y1 - y0)
URL = {  # session key: (URL parameter, how it is written)
    "map_show": ("show", url_state.choice(dict(zip(["all", "dots", "styles"], SHOW, strict=True)))),
    "map_density": ("density", url_state.flag()),
    "map_point": ("point", url_state.optional(url_state.integer(0, len(model.map_labels) - 1))),
    "map_spot": ("spot", url_state.optional(url_state.point(x0 - pad, x1 + pad, lo_y=y0 - pad, hi_y=y1 + pad))),
    "map_class": ("class", url_state.class_index(names)),
    "map_seed": ("seed", url_state.integer(0, 10**6)),
}


def bind(key: str, default=None):
    return url_state.bind(key, *URL[key], default=default)


for key in ("map_show", "map_density"):
    bind(key, default=SHOW[0] if key == "map_show" else False)


def style_options(class_index: int) -> list[int]:
    """The class's components, heaviest first: option j is style j + 1, as on the Styles page."""
    return [int(k) for k in styles_by_weight(model.mixture, class_index)]


def map_height() -> int:
    """The map's plot area about as tall as the column is wide (~560 px at 1280 px) for the data's aspect,
    plus its legend, and never taller than a laptop screen."""
    x0, x1, y0, y1 = inverse.extent
    return int(np.clip(560 * (y1 - y0) / (x1 - x0), 420, 600)) + 70


def chart_config(fmt: str) -> dict:
    """Plotly's toolbar: zoom, pan, reset, and the camera, which saves the map as PNG or SVG."""
    options: dict[str, str | int] = {"format": fmt, "filename": f"latent-map-{model.name}"}
    if fmt == "png":
        options.update(scale=2)
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
        "scrollZoom": False,
        "toImageButtonOptions": options,
    }


def on_click(items: list[tuple[int, int]]) -> None:
    """A new click (a selection different from the last one acted on) moves the panel to what was clicked."""
    kind, index = items[-1]
    if kind == plots.COMPONENT and 0 <= index < len(model.ellipse_index):
        c, k = (int(v) for v in model.ellipse_index[index])
        st.session_state.map_class, st.session_state.map_style = c, k
        st.session_state.map_point = st.session_state.map_spot = None
    elif kind == plots.POINT and 0 <= index < len(model.map_labels):
        st.session_state.map_point, st.session_state.map_spot = index, None
    elif kind == plots.SPOT and (xy := cached.spot_position(path, index)) is not None:
        st.session_state.map_spot, st.session_state.map_point = xy, None


left, right = st.columns([2, 1], gap="medium")

with left:
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        show = st.radio(
            "Show",
            SHOW,
            key="map_show",
            horizontal=True,
            label_visibility="collapsed",
            help="“styles only” leaves the ◆ markers and the spots between them.",
        )
        density = st.toggle(
            "Density",
            key="map_density",
            disabled=grid is None,
            help="Shade the map by how likely the model finds the code at each spot (grey below the “none” threshold).",
        )
    fig = cached.map_figure(
        path,
        ellipses=show != "test images",
        thumbnails=True,
        points=show != "styles only",
        spots=True,
        density=density and grid is not None,
        height=map_height(),
        webgl=True,
    )
    fmt = st.session_state.get("map_format") or "PNG"
    event = st.plotly_chart(
        fig,
        key="map_chart",
        on_select="rerun",
        selection_mode="points",
        config=chart_config(FORMATS.get(fmt, "png")),
        width="stretch",
    )
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        if grid is None:
            note = (
                "its map_inverse.npz cannot be used (" + escape_markdown(inverse.problem) + ")"
                if inverse.problem
                else "it was built before this layer existed"
            )
            st.caption(
                f"The density layer is unavailable for this model: {note}. "
                f"{md_code('python -m latent map --model ' + path)} adds it without retraining; "
                "clicking anywhere works without it.",
                width="stretch",
            )
        elif density:
            below = grid.below(model.threshold)
            if below == 0:
                where = (
                    f"No spot of this map falls below the “none” threshold ({model.threshold:.1f}): "
                    "blends of test codes are codes the model knows."
                )
            else:
                where = f"{below:.1%} of the map falls below the “none” threshold ({model.threshold:.1f}): grey" + (
                    ", inside the grey line." if below < 1 else "."
                )
            st.caption(
                "Shading: best class log-likelihood of the code at each spot, darker = likelier. " + where,
                width="stretch",
            )
        else:
            st.caption("Hover anywhere: the label says what the model sees there.", width="stretch")
        st.segmented_control(
            "Camera saves",
            list(FORMATS),
            default="PNG",
            key="map_format",
            width="content",
            label_visibility="collapsed",
            help="The format the toolbar's camera button saves the map in: PNG or SVG.",
        )

items = plots.selected_items(event)
if items and items != st.session_state.map_last_event:
    on_click(items)
st.session_state.map_last_event = items


@st.fragment
def panel() -> None:
    """What was clicked and the chosen style; its own buttons rerun only this panel, not the map."""
    for key in ("map_point", "map_spot", "map_seed"):  # here: a click above or a button below changes them
        bind(key)
    if st.session_state.map_spot is not None:
        st.session_state.map_spot = tuple(st.session_state.map_spot)
    if st.session_state.map_spot is not None:
        spot_card(*st.session_state.map_spot)
    elif st.session_state.map_point is not None:
        point_card(st.session_state.map_point)
    style_card()


def spot_card(x: float, y: float) -> None:
    info = cached.spot_summary(path, x, y)
    ll, threshold = info.log_likelihood, model.threshold
    with st.container(border=True):
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            common.show_images([info.image], width=84)
            if info.label < 0:
                verdict = (
                    f"**Unlikely latent code**: the model answers **none** here "
                    f"(closest class {escape_markdown(names[int(np.argmax(info.proba))])})."
                )
            else:
                verdict = f"The model reads a **{escape_markdown(info.name)}** ({info.proba.max():.0%})."
            st.markdown(f"**This spot** ({x:.2f}, {y:.2f})  \n{verdict}", width="stretch")
        st.metric(
            "Best class log-likelihood",
            f"{ll:.1f}",
            delta=f"{ll - threshold:+.1f} vs threshold {threshold:.1f}",
            help="log p(code | class) of the likeliest class; below the threshold the answer is “none”.",
        )
        st.plotly_chart(
            plots.probability_bars(
                info.proba,
                names,
                predicted=info.label if info.label >= 0 else None,
                height=22 * len(names) + 24,
            ),
            key="map_spot_proba",
            config=common.chart_config("map-spot-probabilities"),
            width="stretch",
        )
        st.caption(
            f"The code is a blend of the stored codes nearest to this spot; the nearest is test image "
            f"{info.nearest} (a {escape_markdown(info.nearest_class)})."
        )
        st.button(
            "Close",
            key="map_spot_close",
            icon=":material/close:",
            on_click=lambda: st.session_state.update(map_spot=None),
        )


def point_card(i: int) -> None:
    info = cached.point_summary(path, i)
    with st.container(border=True):
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            common.show_images([info.image], width=84)
            st.markdown(
                f"**Test image {i}** · true class **{escape_markdown(info.true)}**  \n"
                f"The classifier says **{escape_markdown(info.predicted)}** ({info.p:.0%}).",
                width="stretch",
            )
        st.caption("The picture is its decoded code: what the autoencoder keeps of the image.")
        st.button(
            "Close", key="map_close", icon=":material/close:", on_click=lambda: st.session_state.update(map_point=None)
        )


def style_card() -> None:
    with st.container(border=True):
        pick_a, pick_b = st.columns(2)
        bind("map_class", default=0)
        c = pick_a.selectbox(
            "Class", range(len(names)), format_func=lambda i: names[i], key="map_class", persist_state="session"
        )
        weights = model.mixture.weights_[c]
        url_state.bind("map_style", "style", url_state.style_number(style_options(c)), default=style_options(c)[0])
        if st.session_state.get("map_style") not in style_options(c):
            st.session_state.map_style = style_options(c)[0]
            url_state.write("map_style", "style", url_state.style_number(style_options(c)), style_options(c)[0])
        number = {k: j + 1 for j, k in enumerate(style_options(c))}
        k = pick_b.selectbox(
            "Style",
            style_options(c),
            key="map_style",
            persist_state="session",
            format_func=lambda j: f"{number[j]} · {weights[j]:.0%}",
        )
        mean_image, samples = cached.component_images(path, c, k, cached.SAMPLES_SHOWN, st.session_state.map_seed)
        st.markdown(f"**Class {escape_markdown(names[c])}, style {number[k]}**")
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            common.show_images([mean_image], captions=["its mean"], width=84)
            st.metric(
                "Weight in its class",
                f"{weights[k]:.0%}",
                width="content",
                help="Share of the class's probability mass that this component carries.",
            )
        common.show_grid(samples, 4, scale=3, caption=f"{cached.SAMPLES_SHOWN} samples from this style, decoded")
        st.button(
            "Resample",
            key="map_resample",
            icon=":material/refresh:",
            on_click=lambda: st.session_state.update(map_seed=st.session_state.map_seed + 1),
        )


with right:
    panel()
