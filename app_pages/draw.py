"""Draw: draw, upload or photograph an image; see it as the model does, its answer and why, and where it lands."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from latent.bundle import width
from latent.bundle.reading import read_input
from latent.errors import BlankImageError, ImageInputError
from latent.explore.styles import style_number
from latent.figures import plots
from latent.inputs.catalog import dataset_info
from latent.inputs.imaging import to_uint8
from latent.inputs.preprocess import CANVAS, UPLOAD, has_ink, prepare_steps, read_image, rgba_to_gray
from latent.text import escape_markdown, indefinite_article
from ui import cached, common, url_state

# On a phone the columns stack and the answer column lands below the fold: a one-line answer right under
# the input shows there instead (hidden where the columns stand side by side, above 640 px).
PHONE_ANSWER_CSS = """<style>
@media (min-width: 640px) { .st-key-draw_phone_answer { display: none !important; } }
</style>"""
PEN_WIDTHS = (4, 48, 19)  # the canvas pen: thinnest, thickest, default (pixels of the 280-pixel canvas)
MODES = {"Draw": ":material/draw:", "Upload": ":material/upload:", "Camera": ":material/photo_camera:"}

path, model = common.require_model()
names = model.class_names
info = dataset_info(model.manifest.get("dataset", {}).get("name"))
what = escape_markdown(info.what)

st.title("Draw")
st.markdown(
    f"Draw {what} in the black square, upload a picture or take one. The model tells you what it sees, "
    "or that it sees **none** of its classes, and why."
)
if not info.drawable:
    st.info(
        "This model learned from **photos**, not from sketches: a drawing almost never looks like its training "
        "images, so it will mostly answer “none”. **Upload a photo or take one with the camera** to see it "
        "recognise things.",
        icon=":material/photo_camera:",
    )
tests_text = {
    "likelihood": "the **best class log-likelihood** of its code (the latent test the map shows)",
    "reconstruction": "how well the autoencoder can **redraw** it",
    "detector": "a small network trained on generated letters, scribbles, shapes and photos against "
    "the training images (**does it look like any of its classes at all?**)",
    "combined": "a **combined score** that weighs the latent test's log-likelihood, how well the autoencoder can "
    "**redraw** it and a small network trained on generated letters, scribbles, shapes and photos against the "
    "training images (**does it look like any of its classes at all?**); a refusal names the part that weighed "
    "most against it",
}
common.explain(f"""
Your input is prepared like the training images: a photo of paper is first cleaned to the ink alone
(the paper's uneven light, shadows and the desk removed), then it is cropped to the ink, its pen brought
to the training images' stroke width, scaled into a 20×20 box and centred in a **28×28 model input**.
The encoder turns that into a code; each class's mixture says how likely the code is, and the
probabilities compare the classes with each other (calibrated, so “90 %” is right about 90 % of the time).

The answer is **“none”** when the input fails any of these tests, each set on validation images the model
never trained on so that it refuses only a small share of real ones:
{chr(10).join(f"- {tests_text[t.score]}" for t in model.rule.tests)}

A blank canvas or a photo without clear ink is “none” too. The **reconstruction** is the decoded code:
what the model “remembers” of your input. The **trail on the map** follows your drawing stroke by stroke.
""")

st.session_state.setdefault("draw_canvas_n", 0)  # bumped by "Clear": a new key gives a fresh, empty canvas
st.session_state.setdefault("draw_trail", [])  # map positions of the current drawing, stroke by stroke


def clear_canvas() -> None:
    st.session_state.draw_canvas_n += 1
    st.session_state.draw_trail = []


left, right = st.columns([1, 1.2], gap="large")

x, cleaned, blank = None, None, None  # the 28x28 model input; the cleaned photo; why there is nothing to read
with left:
    default_mode = "Draw" if info.drawable else "Upload"
    url_state.bind("draw_mode", "mode", url_state.choice({m.lower(): m for m in MODES}), default=default_mode)
    mode = st.segmented_control(
        "Input",
        list(MODES),
        default=default_mode,
        key="draw_mode",
        required=True,
        format_func=lambda m: f"{MODES[m]} {m}",
        label_visibility="collapsed",
    )
    gray, via, source_name = None, UPLOAD, None
    fills_square = False  # a glyph stretched to fill its box: read at the usual width too
    if mode == "Draw":
        url_state.bind("draw_pen", "pen", url_state.integer(*PEN_WIDTHS[:2]), default=PEN_WIDTHS[2])
        pen = st.slider(
            "Pen width",
            *PEN_WIDTHS,
            key="draw_pen",
            help="Thin or thick: the model reads both (strokes are brought to the width of its training images).",
        )
        canvas = st_canvas(
            stroke_width=pen,
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=280,
            width=280,
            drawing_mode="freedraw",
            return_image_data=True,
            update_streamlit=True,
            key=f"draw_canvas_{st.session_state.draw_canvas_n}",
        )
        st.button("Clear", key="draw_clear", icon=":material/delete:", on_click=clear_canvas)
        image = canvas.image_data
        if image is not None:
            drawn = rgba_to_gray(image) if image.ndim == 3 and image.shape[-1] == 4 else image
            if has_ink(drawn):
                gray, via = drawn, CANVAS
    else:
        if mode == "Upload":
            picture = st.file_uploader(
                "A picture of one digit or object (PNG, JPEG, GIF, BMP, WebP or TIFF)",
                key="draw_upload",
                help="A photo of paper works: the paper is cleaned away.",
            )
        else:
            picture = st.camera_input("Take a photo of one digit written on paper", key="draw_camera")
        if picture is None:
            st.caption("Nothing uploaded yet." if mode == "Upload" else "No photo taken yet.")
        else:
            try:
                read = read_image(picture.getvalue(), name=picture.name)
                for note in read.notes:
                    st.info(escape_markdown(note), icon=":material/info:")
                gray = read.gray
            except ImageInputError as exc:
                st.error(escape_markdown(str(exc)), icon=":material/broken_image:")
    phone_answer = st.container(key="draw_phone_answer")
    st.html(PHONE_ANSWER_CSS)
    if gray is not None:
        try:
            prepared = prepare_steps(gray, via=via, reading=info.reading)
            cleaned, x, fills_square = prepared.cleaned, prepared.x, prepared.fills_square
            for note in prepared.notes:  # how the picture was read, when it was not read as it came
                shown = escape_markdown(note[:1].upper() + note[1:])
                st.info(f"{shown} (the model input below).", icon=":material/info:")
        except BlankImageError as exc:
            blank = exc
            if via == UPLOAD:  # nothing to read: show what was looked at
                st.image(to_uint8(gray), width=168, caption="your picture: nothing to read in it")
        except ImageInputError as exc:
            st.error(escape_markdown(str(exc)), icon=":material/broken_image:")

with right:
    # The slider's grid is laid out from the calibrated threshold, so its default sits exactly on it.
    val, step, calibrated = model.val_max_log_likelihood, 0.05, model.threshold
    below = int(np.ceil((calibrated - (val[0] - (np.median(val) - val[0]) * 0.5)) / step))
    above = max(int(np.ceil((np.quantile(val, 0.9) - calibrated) / step)), 1)
    answer = st.container()
    url_state.bind(
        "draw_threshold",
        "threshold",
        url_state.number(calibrated - below * step, calibrated + above * step, step=step, origin=calibrated, digits=6),
        default=calibrated,
    )
    threshold = st.slider(
        "Latent test: “none” below this best class log-likelihood",
        calibrated - below * step,
        calibrated + above * step,
        calibrated,
        step,
        format="%.2f",
        key="draw_threshold",
        help="The latent test's threshold: below it, the best class finds the code too unlikely. "
        "The default is calibrated on the validation split.",
    )
    st.caption(
        f"At this threshold, the latent test refuses **{model.rejection_rate(threshold):.1%}** of validation "
        f"images (calibrated default {calibrated:.2f}); the other tests stay as calibrated."
    )
    with answer:
        if x is None and blank is None:
            st.info(
                f"Draw {what} on the canvas (or upload a picture): the answer appears here.", icon=":material/gesture:"
            )
        elif blank is not None:
            with st.container(border=True):
                st.markdown(
                    f"### none of these  \nReason: **{escape_markdown(blank.reason)}**: "
                    f"{escape_markdown(blank.detail)}."
                )
        elif x is not None:
            r = read_input(model, x, reject_below=threshold, fills_square=fills_square)
            with st.container(border=True):
                if r.label >= 0:
                    st.markdown(
                        f"### It's {indefinite_article(r.name)} **{escape_markdown(r.name)}**  \n"
                        f"{float(r.proba.max()):.0%} sure · passes "
                        f"all {len(r.tests)} tests"
                    )
                else:
                    best = escape_markdown(names[int(np.argmax(r.proba))])
                    st.markdown(
                        f"### none of these  \nReason: **{escape_markdown(r.reason)}**. Its best guess "
                        f"would have been {best}."
                    )
                if r.narrowed and r.as_drawn is not None:
                    drawn_name, drawn_score = r.as_drawn
                    st.caption(
                        width.NOTE[:1].upper() + width.NOTE[1:] + f" (the model input below). As drawn, its best "
                        f"class would be {escape_markdown(drawn_name)}, log-likelihood {drawn_score:.1f} against "
                        f"{r.score:.1f} at the usual width."
                    )
                st.plotly_chart(
                    plots.probability_bars(r.proba, names, predicted=r.label if r.label >= 0 else None, height=220),
                    key="draw_proba",
                    config=common.chart_config("draw-probabilities"),
                    width="stretch",
                )
            with st.expander("Why: the tests behind “none”", expanded=r.label < 0, icon=":material/rule:"):
                st.caption(
                    "Grey: the validation images' scores (real images the model never trained on). Dashed: "
                    "the threshold. Diamond: your input, green when it passes, red when it fails."
                )
                st.plotly_chart(
                    plots.none_tests(r.tests, model.val_scores),
                    key="draw_tests",
                    config=common.chart_config("draw-none-tests"),
                    width="stretch",
                )
    with phone_answer:
        if blank is not None:
            st.markdown(f"**none of these** · Reason: {escape_markdown(blank.reason)}")
        elif x is not None:
            st.markdown(
                f"**It's {indefinite_article(r.name)} {escape_markdown(r.name)}** · {float(r.proba.max()):.0%} sure"
                if r.label >= 0
                else f"**none of these** · Reason: {escape_markdown(r.reason)}"
            )

if x is not None:
    style_mean, _ = cached.component_images(path, r.style_class, r.style, 1, 0)
    if cleaned is not None:
        photo_col, pictures = st.columns([1, 3])
        photo_col.image(to_uint8(cleaned), width=168, caption="the photo cleaned to ink")
    else:
        pictures = st.container()
    with pictures:
        common.show_images(
            [r.x, r.reconstruction, style_mean],
            width=112,
            captions=[
                "model input (28×28)" + (", at the usual width" if r.narrowed else ""),
                "reconstruction",
                f"nearest style: {escape_markdown(names[r.style_class])}, "
                f"style {style_number(model.mixture, r.style_class, r.style)}",
            ],
        )

    trail = st.session_state.draw_trail if via == CANVAS else []
    here = [float(v) for v in r.map_xy]
    if via == CANVAS and (not trail or trail[-1] != here):
        trail.append(here)
    st.markdown(
        "##### Where your drawing lands on the map" + (" (its trail, stroke by stroke)" if len(trail) > 1 else "")
    )
    base = cached.map_figure(path, ellipses=False, max_points=cached.LIGHT_MAP_POINTS, height=420)
    fig = (
        plots.map_path(base, np.asarray(trail), name="your drawing, stroke by stroke", current=r.map_xy)
        if len(trail) > 1
        else plots.map_markers(base, r.map_xy, name="your drawing", text=[f"your drawing: {r.name}"])
    )
    st.plotly_chart(
        fig, key="draw_map", config=common.chart_config("draw-map", base=common.PLOT_CONFIG), width="stretch"
    )
