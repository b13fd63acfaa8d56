"""Styles: one row per mixture component of a class — its decoded mean, samples and weight."""

import streamlit as st

from latent.figures import plots
from latent.text import escape_markdown
from ui import cached, common, url_state

path, model = common.require_model()
names = model.class_names

st.title("Styles")
st.markdown(
    "A class is not one shape but several. Each row is one **component** of the class's mixture: one way of drawing it."
)
common.explain("""
The model describes each class with a **mixture of Gaussians**: a handful of bell-shaped clouds in
latent space. Nobody told it which styles exist; fitting the mixture found clusters in the codes of
the training images, and each cluster became a component.

Styles are numbered by weight: **style 1** is the class's most common way of drawing it (the same
number on the Latent map and in Morph's style picker). In each row, the **first picture** is the
decoded centre (mean) of the component, the typical member of that style. The others are **random
samples**: codes drawn from that component's bell curve and decoded. They vary around the mean, but
stay within the style. The **weight** is the share of the class that the style explains: a common
way of drawing gets a big weight, a rare one a small weight.

Try a class with many ways of being written (2, 4, 7) and compare its rows.
""")

common.chart_format_control()
if "styles_seed" not in st.session_state:
    st.session_state.styles_seed = 0

url_state.bind("styles_class", "class", url_state.class_index(names), default=0)
url_state.bind("styles_n", "n", url_state.integer(4, 12), default=8)
url_state.bind("styles_seed", "seed", url_state.integer(0, 10**6))
controls = st.columns([2, 2, 1], vertical_alignment="bottom")
c = controls[0].selectbox(
    "Class", range(len(names)), format_func=lambda i: names[i], key="styles_class", persist_state="session"
)
n = controls[1].slider("Samples per style", 4, 12, 8, key="styles_n")
controls[2].button(
    "Resample",
    key="styles_resample",
    icon=":material/refresh:",
    on_click=lambda: st.session_state.update(styles_seed=st.session_state.styles_seed + 1),
)

weights = model.mixture.weights_[c]
# style j + 1 is component order[j], the same number on every page; rows[j]: its mean, then n samples
order, rows = cached.class_styles(path, c, n, st.session_state.styles_seed)
head = st.columns([3, 1], vertical_alignment="center")
head[0].caption(f"Class **{escape_markdown(names[c])}** has {len(order)} styles, numbered from the most common.")
for number, (k, row) in enumerate(zip(order, rows, strict=True), start=1):
    mean_image, samples = row[0], row[1:]
    with st.container(border=True, horizontal=True, vertical_alignment="center", gap="medium"):
        with st.container(width=120):
            st.markdown(f"**Style {number}**")
            st.progress(float(weights[k]), text=f"weight {weights[k]:.0%}")
        common.show_images([mean_image], width=84, captions=["mean"])
        with st.container(width="stretch"):
            common.show_grid(samples, len(samples), scale=2)  # one picture a row: one media file, not 8
with head[1]:
    common.download_grid(
        rows.reshape(-1, *rows.shape[2:]),
        n + 1,
        file_name=f"styles-class-{c}.png",
        key="styles_download",
        label="PNG of all rows",
    )

bic = model.mixture.bic_
if bic is not None:
    with st.expander("How many styles? The BIC curve", expanded=False):
        st.markdown(
            "This model chose the number of styles of each class itself: the one with the lowest "
            "**BIC** (Bayesian information criterion), which rewards fitting the codes well and "
            "penalises every extra component."
        )
        st.plotly_chart(
            plots.bic_curve(bic[c], int(model.mixture.n_components_[c]), names[c]),
            key="styles_bic",
            config=common.chart_config(f"bic-class-{c}"),
            width="stretch",
        )
