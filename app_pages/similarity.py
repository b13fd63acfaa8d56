"""Class similarity: KL divergence between class mixtures, entropy per class, and the confusion matrix."""

import numpy as np
import pandas as pd
import streamlit as st

from latent.density.similarity import confusion_kl_agreement, most_confused_pairs
from latent.text import escape_markdown
from ui import cached, common, url_state

path, model = common.require_model()
names = model.class_names

st.title("Class similarity")
st.markdown("How alike are two classes, as the model sees them? And are the alike ones the ones it mixes up?")
common.explain("""
Each class is a probability cloud in latent space (its mixture). Two numbers describe such clouds:

- **KL divergence** KL(p ‖ q) measures how surprised you would be, on average, to meet codes of
  class p if you expected class q. It is 0 for identical clouds and grows as they separate. It is
  **not symmetric**: a wide class can cover a narrow one (small KL one way) without the narrow one
  covering it (large KL the other way). Read the heatmap by rows: *from* p, *to* q.
- **Entropy** measures how spread out one class is: a class written in many different ways takes
  up more room, so its entropy is higher. (For continuous spaces entropy can be negative; compare
  classes with each other, not with zero.)

Both are **Monte Carlo** estimates: averages over random samples from the mixtures, so they carry a
small error, shown as ± on hover. The closed-form option uses an approximation instead (no error
bars, but not exact either).

The **confusion matrix** counts the classifier's mistakes on test images (correct answers hidden).
If the model's picture of the classes is faithful, the pairs it confuses should be close in KL.
""")

common.chart_format_control()
url_state.bind("sim_method", "method", url_state.choice({"mc": "mc", "variational": "variational"}), default="mc")
url_state.bind("sim_samples", "samples", url_state.choice({str(n): n for n in (500, 1000, 2000, 4000)}), default=2000)
c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
method = c1.radio(
    "Estimate",
    ["mc", "variational"],
    horizontal=True,
    key="sim_method",
    format_func=lambda m: {"mc": "Monte Carlo", "variational": "closed form (approximate)"}[m],
)
n_samples = c2.select_slider(
    "Samples per class", [500, 1000, 2000, 4000], value=2000, key="sim_samples", disabled=method != "mc"
)

samples = n_samples if method == "mc" else 0
data = cached.similarity_data(path, method, samples)
figures = cached.similarity_figures(path, method, samples)

left, right = st.columns(2, gap="medium")
with left:
    st.markdown("##### KL divergence between classes")
    st.plotly_chart(figures.kl, key="sim_kl", config=common.chart_config("kl-divergence"), width="stretch")
    if method == "mc":
        st.caption(f"Monte Carlo with {n_samples} samples per class; hover a cell for the value ± its standard error.")
    with st.container(horizontal=True):
        common.download_csv(figures.kl_csv, file_name="kl-divergence.csv", key="sim_kl_csv", label="CSV of the KL")
        if method == "mc":
            common.download_csv(
                figures.kl_err_csv,
                file_name="kl-standard-error.csv",
                key="sim_kl_err_csv",
                label="CSV of its errors",
            )
confusion = np.asarray(model.metrics.get("confusion_matrix", []), dtype=float)
has_confusion = figures.confusion is not None
with right:
    st.markdown("##### Mistakes on test images")
    if figures.confusion is not None and figures.confusion_csv is not None:
        st.plotly_chart(
            figures.confusion, key="sim_confusion", config=common.chart_config("confusion-mistakes"), width="stretch"
        )
        st.caption("Rows: true class; columns: the class predicted. Colour: share of the true class.")
        common.download_csv(
            figures.confusion_csv,
            file_name="confusion-matrix.csv",
            key="sim_confusion_csv",
            label="CSV of the counts",
        )
    else:
        st.info("This bundle's manifest has no confusion matrix.")

st.markdown("##### Entropy per class")
st.plotly_chart(figures.entropy, key="sim_entropy", config=common.chart_config("entropy"), width="stretch")
wide, narrow = int(np.argmax(data.entropy)), int(np.argmin(data.entropy))
st.caption(f"Most spread out: **{escape_markdown(names[wide])}**; most compact: **{escape_markdown(names[narrow])}**.")

st.markdown("##### Reading guide: do confused classes sit close in KL?")
if has_confusion and confusion.sum() > np.trace(confusion):
    rho = confusion_kl_agreement(confusion, data.kl)
    rows = most_confused_pairs(confusion, data.kl, names, top=5)
    verdict = "largely yes" if rho >= 0.5 else "partly" if rho >= 0.2 else "not really"
    st.markdown(
        f"Rank correlation between *how often two classes are confused* and *how close they are "
        f"in KL*: **{rho:+.2f}** ({verdict}). The most confused pairs, with the rank of their "
        f"(symmetrised) KL among all {rows[0]['n_pairs'] if rows else 0} pairs (1 = the closest pair):"
    )
    table = pd.DataFrame(
        [
            {
                "pair": r["pair"],
                "confused": r["confused"],
                "KL (symmetrised)": r["kl"],
                "KL rank": int(round(r["kl_rank"])),
            }
            for r in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "confused": st.column_config.NumberColumn(
                "confused", format="percent", help="mean share of the two classes mistaken for each other"
            ),
            "KL (symmetrised)": st.column_config.NumberColumn(format="%.1f nats"),
        },
    )
else:
    st.info("The model makes no mistakes on the test images, so there is nothing to compare.")
