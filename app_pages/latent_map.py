"""Latent map: the stored test codes on a 2-D map, the mixture components as ellipses; click a style."""

import streamlit as st

from latent import plots
from latent.styles import styles_by_weight
from latent.text import escape_markdown
from ui import cached, common

path, model = common.require_model()
names = model.class_names

st.title("Latent map")
st.markdown("Every dot is a test image, placed where the encoder put its latent code. "
            "**Click a ◆ marker** to see the style it stands for.")
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

Hover a dot to see a tiny picture of its decoded code. Click a class in the legend to hide it;
double-click to show only that class. Drag to pan, scroll or use the toolbar to zoom. In a crowded
island a click near a ◆ may pick a dot instead: choose **styles only** above the map, or pick the class
and style in the panel.
""")

# ----------------------------------------------------------------------------- state
if "map_seed" not in st.session_state:
    st.session_state.map_seed = 0  # bumped by "Resample"
    st.session_state.map_point = None  # a clicked test image, if any
    st.session_state.map_last_event = []  # the selection already acted on


SHOW = ["test images and styles", "test images", "styles only"]


def style_options(class_index: int) -> list[int]:
    """The class's components, heaviest first: option j is style j + 1, as on the Styles page."""
    return [int(k) for k in styles_by_weight(model.mixture, class_index)]


left, right = st.columns([3, 2], gap="medium")

with left:
    show = st.radio("Show", SHOW, key="map_show", horizontal=True, label_visibility="collapsed",
                    help="With the dots shown, a click near a ◆ can land on a dot; "
                         "“styles only” makes every ◆ easy to click.")
    fig = cached.map_figure(path, ellipses=show != "test images", thumbnails=True, points=show != "styles only")
    event = st.plotly_chart(fig, key="map_chart", on_select="rerun", selection_mode="points",
                            config=common.PLOT_CONFIG, width="stretch")

# A new click (a selection different from the last one acted on) moves the panel to what was clicked.
items = plots.selected_items(event)
if items and items != st.session_state.map_last_event:
    kind, index = items[-1]
    if kind == plots.COMPONENT and 0 <= index < len(model.ellipse_index):
        c, k = (int(v) for v in model.ellipse_index[index])
        st.session_state.map_class, st.session_state.map_style = c, k
        st.session_state.map_point = None
    elif kind == plots.POINT and 0 <= index < len(model.map_labels):
        st.session_state.map_point = index
st.session_state.map_last_event = items

with right:
    if st.session_state.map_point is not None:
        i = st.session_state.map_point
        info = cached.point_summary(path, i)
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
                common.show_images([info["image"]], width=84)
                st.markdown(f"**Test image {i}** · true class **{escape_markdown(info['true'])}**  \n"
                            f"The classifier says **{escape_markdown(info['predicted'])}** ({info['p']:.0%}).",
                            width="stretch")
            st.caption("The picture is its decoded code: what the autoencoder keeps of the image.")
            st.button("Close", key="map_close", icon=":material/close:",
                      on_click=lambda: st.session_state.update(map_point=None))

    with st.container(border=True):
        pick_a, pick_b = st.columns(2)
        c = pick_a.selectbox("Class", range(len(names)), format_func=lambda i: names[i], key="map_class",
                             persist_state="session")
        weights = model.mixture.weights_[c]
        if st.session_state.get("map_style") not in style_options(c):
            st.session_state.map_style = style_options(c)[0]
        number = {k: j + 1 for j, k in enumerate(style_options(c))}
        k = pick_b.selectbox("Style", style_options(c), key="map_style", persist_state="session",
                             format_func=lambda j: f"style {number[j]} ({weights[j]:.0%})")
        mean_image, samples = cached.component_images(path, c, k, 16, st.session_state.map_seed)
        st.markdown(f"**Class {escape_markdown(names[c])}, style {number[k]}**")
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            common.show_images([mean_image], captions=["its mean"], width=84)
            st.metric("Weight in its class", f"{weights[k]:.0%}", width="content",
                      help="Share of the class's probability mass that this component carries.")
        common.show_grid(samples, 4, scale=3, caption="16 samples from this style, decoded")
        st.button("Resample", key="map_resample", icon=":material/refresh:",
                  on_click=lambda: st.session_state.update(map_seed=st.session_state.map_seed + 1))
