"""Morph: walk a straight line in latent space from one class to another and watch the answer change."""

import numpy as np
import streamlit as st

from latent.explore.morph import crossings
from latent.explore.styles import styles_by_weight
from latent.figures import plots
from latent.text import escape_markdown
from ui import cached, common, url_state

path, model = common.require_model()
names = model.class_names
n_classes = len(names)


def default_pair() -> tuple[int, int]:
    """The two classes the model confuses most (an interesting morph), else the first two."""
    cm = np.asarray(model.metrics.get("confusion_matrix", []), dtype=float)
    if cm.shape == (n_classes, n_classes) and n_classes > 1:
        off = cm + cm.T
        np.fill_diagonal(off, -1)
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        return int(min(i, j)), int(max(i, j))
    return 0, min(1, n_classes - 1)


st.title("Morph")
st.markdown("Slide from one class to another through latent space. Where does the classifier change its mind?")
common.explain("""
Every image has a code: a point in latent space. Between two points there is a straight line, and
every point on it is a code the decoder can turn into an image. Moving the slider **t** from 0 to 1
walks that line from a typical **source** image (the centre of one of its styles) to a typical
**target** image.

The **chart** shows the classifier's probabilities along the way: the lines cross where the answer
flips from one class to the other. A grey band means no class finds that code likely at all: the
model answers **“none”**, because the line passes through empty space between the classes.

The **map** shows the same path; it bends because the map is a squeezed picture of a space with
more dimensions. The default pair is the two classes the model confuses most often.

**Through the data** replaces the straight line by a route that hops from one real code to a nearby
one (the shortest path in a neighbour graph of the stored test codes, where a long jump costs much
more than several short ones). Its frames stay where real images live: fewer blends no one would draw,
and a sharper change from one class to the other.
""")

s0, t0 = default_pair()
if "morph_source" not in st.session_state:
    st.session_state.morph_source, st.session_state.morph_target = s0, t0


def style_picker(col, label: str, class_key: str, style_key: str, param: str) -> tuple[int, int | None]:
    """A class and one of its styles, listed and numbered by weight as on the Styles page (style 1 = most common);
    both kept in the URL as `param` and `param`_style (0 = the most common style)."""
    url_state.bind(class_key, param, url_state.class_index(names))
    c = col.selectbox(label, range(n_classes), format_func=lambda i: names[i], key=class_key, persist_state="session")
    by_weight = [int(k) for k in styles_by_weight(model.mixture, c)]
    options = [None, *by_weight]
    spec = url_state.style_number(by_weight, allow_none=True)
    url_state.bind(style_key, f"{param}_style", spec)
    if st.session_state.get(style_key) not in options:
        st.session_state[style_key] = None
        url_state.write(style_key, f"{param}_style", spec, None)
    w, number = model.mixture.weights_[c], {k: j + 1 for j, k in enumerate(by_weight)}
    k = col.selectbox(
        "Style",
        options,
        key=style_key,
        persist_state="session",
        format_func=lambda j: "most common style" if j is None else f"style {number[j]} · weight {w[j]:.0%}",
    )
    return c, k


common.chart_format_control()
pick = st.columns(2)
source, source_style = style_picker(pick[0], "From class", "morph_source", "morph_source_style", "from")
target, target_style = style_picker(pick[1], "To class", "morph_target", "morph_target_style", "to")
ROUTES = ["straight line", "through the data"]
url_state.bind(
    "morph_route", "path", url_state.choice(dict(zip(["line", "data"], ROUTES, strict=True))), default=ROUTES[0]
)
route = st.radio(
    "Path",
    ROUTES,
    horizontal=True,
    key="morph_route",
    persist_state="session",
    help="Straight: the line between the two codes. Through the data: the shortest route that hops "
    "between nearby real codes, so every frame stays where real images live.",
)
dense = route == "through the data"
data = cached.morph_data(path, source, source_style, target, target_style, dense=dense)
figures = cached.morph_figures(path, source, source_style, target, target_style, dense=dense)
m = data.morph

live_box = st.container()  # the slider and what follows it (a fragment: a slider move reruns only this)

strip_head = st.columns([3, 1], vertical_alignment="center")
strip_head[0].markdown(f"##### The morph in {cached.MORPH_FRAMES} frames")
with strip_head[1]:
    common.download_grid(
        data.strip_images,
        len(data.strip_images),
        file_name="morph-frames.png",
        key="morph_strip_download",
        label="PNG",
    )
strip_t = np.linspace(0, 1, len(data.strip_images))
common.show_images(
    data.strip_images,
    width=64,
    captions=[f"{tt:.1f}: {escape_markdown(nm)}" for tt, nm in zip(strip_t, data.strip_names, strict=True)],
)

map_box = st.container()
map_box.markdown("##### The path on the map")


@common.fragment
def live() -> None:
    """The slider, its frame, the chart's line and the map's star: moving t reruns only this, not the pickers,
    the strip or the cached figures (arrow-key presses used to queue full reruns)."""
    url_state.bind("morph_t", "t", url_state.number(0.0, 1.0, step=0.01, digits=2), default=0.5)
    t = st.slider("Mix t (0 = source, 1 = target)", 0.0, 1.0, 0.5, 0.01, key="morph_t", persist_state="session")
    # The slider's own work: one latent, one decode, one classification, one map position.
    z = m.at(t)
    frame = model.decode(z)[0]
    now = model.classify(z, reject_below=model.threshold)
    xy_now = model.to_map(z)[0]

    frame_col, chart_col = st.columns([1, 2], gap="medium")
    with frame_col:
        with st.container(border=True):
            common.show_images([frame], width=196)
            label = now.names[0]
            p = float(now.proba[0].max())
            st.metric(
                f"Frame at t = {t:.2f}",
                escape_markdown(label),
                f"{p:.0%} sure" if label != "none" else "no class finds this likely",
                delta_color="off",
                delta_arrow="off",
            )
    with chart_col:
        st.plotly_chart(
            plots.from_spec(figures.chart, shapes=[plots.t_line(t)]),
            key="morph_chart",
            config=common.chart_config("morph-probabilities"),
            width="stretch",
        )
        flips = crossings(m.t, m.labels)
        if flips:
            text = "; ".join(
                f"{escape_markdown(model.label_name(a))} → {escape_markdown(model.label_name(b))} at t ≈ {tc:.2f}"
                for tc, a, b in flips
            )
            st.caption(f"The answer changes: {text}.")
        else:
            st.caption("The answer never changes along this path.")
        common.download_csv(
            figures.csv, file_name="morph-probabilities.csv", key="morph_csv", label="CSV of the probabilities"
        )
    with map_box:
        st.plotly_chart(
            plots.from_spec(figures.map, traces=[plots.now_star(xy_now)]),
            key="morph_map",
            config=common.chart_config("morph-map", base=common.PLOT_CONFIG),
            width="stretch",
        )


with live_box:
    live()
