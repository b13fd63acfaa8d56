"""Model report: the write-up's accuracy beside ours, mistakes, reconstructions, and the bundle's details."""

import json

import numpy as np
import pandas as pd
import streamlit as st

from latent import plots
from latent.summary import accuracy_table, dataset_title, file_table, manifest_facts
from ui import cached, common

path, model = common.require_model()
manifest = model.manifest
names = model.class_names
metrics = model.metrics

st.title("Model report")
st.markdown(f"**{manifest.get('name', '?')}**, trained on {dataset_title(manifest)}: how well it does, and "
            "exactly what it is.")
common.explain("""
**Accuracy** is the share of images whose most likely class is the true class. *Train* images were
used to fit the model, *validation* images to choose settings (the “none” threshold, the best
epoch), and *test* images were never used for anything: the test column is the honest number.
The **original write-up** row is the figure this project set out to reproduce.

The **confusion matrix** counts, for each true class (row), which class the model answered
(column): the diagonal is right, everything else is a mistake.

**Reconstructions** show test images next to decode(encode(image)): what survives the squeeze into
a few numbers. The **training curves** show the autoencoder's loss falling epoch by epoch; the
validation curve is the one that matters (if it rose while training fell, the model would be
memorising).
""")

st.subheader("Accuracy")
rows = accuracy_table(manifest)
table = pd.DataFrame([{k: (v if k == "model" else "–" if v is None else f"{100 * v:.2f}%") for k, v in r.items()}
                      for r in rows]).set_index("model")
table.index.name = None
st.table(table)

left, right = st.columns(2, gap="medium")
with left:
    st.markdown("##### Confusion matrix (test)")
    cm = metrics.get("confusion_matrix")
    if cm:
        st.plotly_chart(plots.confusion_heatmap(cm, names, height=420), key="report_confusion",
                        config=common.STATIC_PLOT_CONFIG, width="stretch")
    else:
        st.info("No confusion matrix in this bundle's manifest.")
with right:
    st.markdown("##### Test accuracy per class")
    per_class = metrics.get("per_class_test_accuracy")
    if per_class:
        st.plotly_chart(plots.accuracy_bars(per_class, height=420), key="report_per_class",
                        config=common.STATIC_PLOT_CONFIG, width="stretch")

st.subheader("Reconstructions")
rec = cached.test_reconstructions(path, 12)
if rec["originals"] is not None:
    st.caption("Rows 1 and 3: test images. Rows 2 and 4: their reconstructions, decode(encode(image)).")
    o, r = rec["originals"], rec["reconstructions"]
    common.show_grid(np.concatenate([o[:6], r[:6], o[6:], r[6:]]), 6, scale=3)
else:
    st.caption("The dataset files are not available here, so the test images themselves cannot be shown; these are "
               "the decoded codes of test images stored in the bundle (their reconstructions).")
    common.show_grid(rec["reconstructions"], 6, scale=3)
mse = metrics.get("test_reconstruction_mse")
if mse is not None:
    st.caption(f"Mean squared pixel error on the test split: {mse:.4f}.")

history = manifest.get("history") or []
if history:
    st.subheader("Training curves")
    st.plotly_chart(plots.training_curves(history, height=280), key="report_history",
                    config=common.STATIC_PLOT_CONFIG, width="stretch")

st.subheader("The bundle")
st.table(pd.DataFrame(manifest_facts(manifest), columns=["", "value"]).set_index(""))
st.caption(f"Folder: `{path}`")
with st.expander("Files and their SHA-256", icon=":material/folder_zip:"):
    st.dataframe(pd.DataFrame(file_table(manifest)), hide_index=True, width="stretch")
with st.expander("Full configuration (manifest.json)", icon=":material/data_object:"):
    st.code(json.dumps(manifest.get("config", {}), indent=2), language="json")
