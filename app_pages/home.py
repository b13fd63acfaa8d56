"""Home: the idea in a few lines, a diagram, the model's headline numbers, and the way in to each page.

Reads the manifest only (no torch, no scikit-learn), so it is the fast first page.
"""

import streamlit as st

from latent.figures.summary import dataset_title, headline_numbers, pipeline_diagram_html
from latent.text import escape_markdown
from ui import common

st.title("Latent Explorer")
st.markdown(
    "An autoencoder squeezes each image into a few numbers, its **latent code**, without ever seeing a "
    "label. In that latent space we fit **one Gaussian mixture per class**. The same mixtures then "
    "*classify* (which class makes this code most likely?), say **“none of these”** when no class does, "
    "*generate* new images (sample a mixture, decode), and *measure* how alike classes are."
)

path = common.model_path()
if path is None:
    st.html(pipeline_diagram_html())
    common.no_model_stop()
path, manifest = common.require_manifest()

st.html(pipeline_diagram_html(manifest))

st.subheader(f"This model: {escape_markdown(manifest.get('name', '?'))} ({escape_markdown(dataset_title(manifest))})")
numbers = headline_numbers(manifest)
for row in range(0, len(numbers), 3):
    for col, h in zip(st.columns(3), numbers[row : row + 3], strict=False):
        col.metric(h.label, h.value, h.delta, help=h.help, border=True, delta_color="normal" if h.delta else "off")

st.subheader("Explore")
LINKS = [
    (
        "app_pages/latent_map.py",
        ":material/scatter_plot:",
        "Latent map",
        "Every test image as a dot, each class's styles as ellipses. Click a style to see what it draws.",
    ),
    (
        "app_pages/styles.py",
        ":material/view_module:",
        "Styles",
        "One row per mixture component: the ways a class is drawn.",
    ),
    (
        "app_pages/morph.py",
        ":material/swap_horiz:",
        "Morph",
        "Slide from one class to another and watch where the classifier changes its mind.",
    ),
    (
        "app_pages/sampling.py",
        ":material/casino:",
        "Sampling & manifold",
        "Samples from the class mixtures, from one mixture, from nowhere in particular; and a random walk.",
    ),
    (
        "app_pages/similarity.py",
        ":material/compare_arrows:",
        "Class similarity",
        "How far apart are the classes (KL divergence), how spread out (entropy), and what gets confused.",
    ),
    (
        "app_pages/draw.py",
        ":material/draw:",
        "Draw",
        "Draw a digit (or upload a picture) and see what the model makes of it.",
    ),
    (
        "app_pages/report.py",
        ":material/analytics:",
        "Model report",
        "Accuracy, confusion matrix, reconstructions, and the bundle's details.",
    ),
]
for left, right in zip(LINKS[0::2], LINKS[1::2] + [None], strict=False):
    cols = st.columns(2)
    for col, link in zip(cols, (left, right), strict=False):
        if link is None:
            continue
        page, icon, label, text = link
        with col.container(border=True):
            st.page_link(page, label=f"**{label}**", icon=icon)
            st.caption(text)

with st.expander("How to run it with your own model", icon=":material/terminal:"):
    st.markdown(
        "Train a bundle with `python -m latent train --dataset mnist --out assets/mnist` (or "
        "`fashion-mnist`, `digits`, `folder:PATH`), then `streamlit run app.py`. Every bundle under "
        "`assets/` appears in the sidebar's **Model** picker; one stored elsewhere can be added with "
        "`streamlit run app.py -- --model PATH` or `LATENT_MODEL=PATH`."
    )
