"""Morph: walk a straight line in latent space from one class to another and watch the answer change."""

import numpy as np
import streamlit as st

from latent import plots
from latent.morph import crossings
from latent.text import escape_markdown
from ui import cached, common

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


def style_picker(col, label: str, class_key: str, style_key: str) -> tuple[int, int | None]:
    c = col.selectbox(label, range(n_classes), format_func=lambda i: names[i], key=class_key, persist_state="session")
    k_max = int(model.mixture.n_components_[c])
    options = [None, *range(k_max)]
    if st.session_state.get(style_key) not in options:
        st.session_state[style_key] = None
    w = model.mixture.weights_[c]
    k = col.selectbox("Style", options, key=style_key, persist_state="session",
                      format_func=lambda j: "most common style" if j is None else f"style {j + 1} · weight {w[j]:.0%}")
    return c, k


pick = st.columns(2)
source, source_style = style_picker(pick[0], "From class", "morph_source", "morph_source_style")
target, target_style = style_picker(pick[1], "To class", "morph_target", "morph_target_style")
route = st.radio("Path", ["straight line", "through the data"], horizontal=True, key="morph_route",
                 persist_state="session",
                 help="Straight: the line between the two codes. Through the data: the shortest route that hops "
                      "between nearby real codes, so every frame stays where real images live.")
t = st.slider("Mix t (0 = source, 1 = target)", 0.0, 1.0, 0.5, 0.01, key="morph_t", persist_state="session")

data = cached.morph_data(path, source, source_style, target, target_style, dense=route == "through the data")
m = data["morph"]

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
        st.metric(f"Frame at t = {t:.2f}", escape_markdown(label),
                  f"{p:.0%} sure" if label != "none" else "no class finds this likely", delta_color="off",
                  delta_arrow="off")
with chart_col:
    fig = plots.path_probabilities(m.t, m.proba, names, current_t=t, rejected=m.labels < 0, height=300)
    st.plotly_chart(fig, key="morph_chart", config=common.STATIC_PLOT_CONFIG, width="stretch")
    flips = crossings(m.t, m.labels)
    if flips:
        text = "; ".join(f"{escape_markdown(model.label_name(a))} → {escape_markdown(model.label_name(b))} at "
                         f"t ≈ {tc:.2f}" for tc, a, b in flips)
        st.caption(f"The answer changes: {text}.")
    else:
        st.caption("The answer never changes along this path.")

st.markdown("##### The morph in 11 frames")
strip_t = np.linspace(0, 1, len(data["strip_images"]))
common.show_images(data["strip_images"], width=64,
                   captions=[f"{tt:.1f}: {escape_markdown(nm)}" for tt, nm in zip(strip_t, data["strip_names"])])

st.markdown("##### The path on the map")
base = cached.map_figure(path, ellipses=False, max_points=cached.LIGHT_MAP_POINTS, height=440)
text = [f"t = {tt:.2f}: {model.label_name(lab)}" for tt, lab in zip(m.t, m.labels)]
st.plotly_chart(plots.map_path(base, data["xy"], name=f"{names[source]} → {names[target]}", current=xy_now, text=text),
                key="morph_map", config=common.PLOT_CONFIG, width="stretch")
