"""Draw: draw (or upload) an image; see it as the model does, classified, reconstructed and placed."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from latent import plots
from latent.errors import ImageInputError
from latent.preprocess import has_ink, read_image, rgba_to_gray, to_model_input
from latent.reading import read_input
from latent.text import escape_markdown
from ui import cached, common

path, model = common.require_model()
names = model.class_names
what = {"mnist": "a digit", "digits": "a digit", "fashion-mnist": "a piece of clothing (a shoe, a bag, a shirt…)"}.get(
    model.manifest.get("dataset", {}).get("name"), "something from one of its classes")

st.title("Draw")
st.markdown(f"Draw {what} in the black square, or upload a picture. The model tells you what it sees, "
            "or that it sees **none** of its classes.")
common.explain(f"""
Your drawing is prepared exactly like the training images: cropped to the ink, scaled into a 20×20
box, and centred by its centre of mass in a **28×28 model input** (shown below the result). The
encoder turns that into a code; each class's mixture says how likely the code is, and the
probabilities compare the classes with each other.

The **threshold** sets when the answer is **“none”**: when even the best class finds the code less
likely than this (a log-likelihood), the model refuses to guess. Its default was chosen on the
validation images so that only {model.rejection_rate(model.threshold):.0%} of real images are refused;
raising it makes the model pickier.

The **reconstruction** is the decoded code: what the model “remembers” of your drawing. The
**nearest style** is the mixture component that explains the code best, and the star on the map
shows where your drawing lands among the test images. Scribbles land in odd places and get “none”.
""")

if "draw_canvas_n" not in st.session_state:
    st.session_state.draw_canvas_n = 0  # bumped by "Clear": a new key gives a fresh, empty canvas


def clear_canvas() -> None:
    st.session_state.draw_canvas_n += 1


left, right = st.columns([1, 1.35], gap="large")

x = None  # the 28x28 model input, once there is something to classify
with left:
    mode = st.segmented_control("Input", ["Draw", "Upload"], default="Draw", key="draw_mode", required=True,
                                label_visibility="collapsed")
    if mode == "Upload":
        upload = st.file_uploader("An image of a single digit or object (PNG, JPEG, GIF, BMP or WebP)", key="draw_upload",
                                  help="Dark-on-light and light-on-dark both work; the picture is cropped to its ink.")
        if upload is not None:
            try:
                read = read_image(upload.getvalue(), name=upload.name)
                for note in read.notes:
                    st.info(note, icon=":material/info:")
                x = to_model_input(read.gray)
            except ImageInputError as exc:
                st.error(str(exc), icon=":material/broken_image:")
        else:
            st.caption("Nothing uploaded yet.")
    else:
        canvas = st_canvas(stroke_width=19, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                           drawing_mode="freedraw", return_image_data=True, update_streamlit=True,
                           key=f"draw_canvas_{st.session_state.draw_canvas_n}")
        st.button("Clear", key="draw_clear", icon=":material/delete:", on_click=clear_canvas)
        image = canvas.image_data
        if image is not None:
            gray = rgba_to_gray(image) if image.ndim == 3 and image.shape[-1] == 4 else image
            if has_ink(gray):
                try:
                    x = to_model_input(gray)
                except ImageInputError as exc:
                    st.error(str(exc), icon=":material/broken_image:")

    # The slider's grid is laid out from the calibrated threshold, so its default sits exactly on it.
    val, step, calibrated = model.val_max_log_likelihood, 0.05, model.threshold
    below = int(np.ceil((calibrated - (val[0] - (np.median(val) - val[0]) * 0.5)) / step))
    above = max(int(np.ceil((np.quantile(val, 0.9) - calibrated) / step)), 1)
    threshold = st.slider("Threshold for “none” (log-likelihood)", calibrated - below * step,
                          calibrated + above * step, calibrated, step, format="%.2f", key="draw_threshold",
                          help="Below this, the best class's log-likelihood is too low and the answer is 'none'. "
                               "The default is calibrated on the validation split.")
    st.caption(f"At this threshold, **{model.rejection_rate(threshold):.1%}** of validation images get “none” "
               f"(calibrated default {calibrated:.2f}).")

with right:
    if x is None:
        st.info(f"Draw {what} on the canvas (or upload a picture): the result appears here.",
                icon=":material/gesture:")
    else:
        r = read_input(model, x, reject_below=threshold)
        with st.container(border=True):
            if r.label >= 0:
                st.markdown(f"### It's a **{escape_markdown(r.name)}**  \n{float(r.proba.max()):.0%} sure · "
                            f"log-likelihood {r.score:.2f} ≥ threshold {threshold:.2f}")
            else:
                best = escape_markdown(names[int(np.argmax(r.proba))])
                st.markdown(f"### none of these  \nBest guess would be {best}, but its log-likelihood "
                            f"{r.score:.2f} is below the threshold {threshold:.2f}.")
            st.plotly_chart(plots.probability_bars(r.proba, names, predicted=r.label if r.label >= 0 else None,
                                                   height=260),
                            key="draw_proba", config=common.STATIC_PLOT_CONFIG, width="stretch")
        style_mean, _ = cached.component_images(path, r.style_class, r.style, 1, 0)
        common.show_images([r.x, r.reconstruction, style_mean], width=112, captions=[
            "model input (28×28)", "reconstruction",
            f"nearest style: {escape_markdown(names[r.style_class])}, style {r.style + 1}"])

if x is not None:
    st.markdown("##### Where your drawing lands on the map")
    base = cached.map_figure(path, ellipses=False, max_points=cached.LIGHT_MAP_POINTS, height=420)
    st.plotly_chart(plots.map_markers(base, r.map_xy, name="your drawing", text=[f"your drawing: {r.name}"]),
                    key="draw_map", config=common.PLOT_CONFIG, width="stretch")
