"""Model report: the write-up's accuracy beside ours, mistakes, reconstructions, and the bundle's details."""

import json

import numpy as np
import pandas as pd
import streamlit as st

from latent.errors import LatentError
from latent.figures.summary import (
    dataset_title,
    method_comparison,
    ood_caption,
)
from latent.text import escape_markdown, md_code
from latent.workflows.evaluation import evaluation_commands
from ui import cached, common

path, model = common.require_model()
manifest = model.manifest
names = model.class_names
metrics = model.metrics

common.chart_format_control()
st.title("Model report")
st.markdown(
    f"**{escape_markdown(manifest.get('name', '?'))}**, trained on {escape_markdown(dataset_title(manifest))}: "
    "how well it does, and "
    "exactly what it is."
)
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

figures = cached.report_figures(path)
st.subheader("Accuracy")
st.table(figures.accuracy)

left, right = st.columns(2, gap="medium")
with left:
    st.markdown("##### Confusion matrix (test)")
    if figures.confusion is not None and figures.confusion_csv is not None:
        st.plotly_chart(
            figures.confusion,
            key="report_confusion",
            config=common.chart_config("confusion-matrix"),
            width="stretch",
        )
        common.download_csv(
            figures.confusion_csv,
            file_name="confusion-matrix.csv",
            key="report_confusion_csv",
            label="CSV of the counts",
        )
    else:
        st.info("No confusion matrix in this bundle's manifest.")
with right:
    st.markdown("##### Test accuracy per class")
    if figures.per_class is not None:
        st.plotly_chart(
            figures.per_class,
            key="report_per_class",
            config=common.chart_config("accuracy-per-class"),
            width="stretch",
        )
        st.caption("The axis is zoomed to the classes' spread; each line is the class's error, its gap to 100 %.")

if figures.reliability is not None:
    st.subheader("Are its probabilities honest?")
    st.markdown(
        f"Of all answers given with confidence *p*, about *p* should be right. The class likelihoods alone are "
        f"over- or under-sure; dividing their logarithms by a **temperature** of {metrics['temperature']:.2f} "
        f"(fitted on the validation split) changes no answer and moves the probabilities to what they mean: "
        f"expected calibration error on the test split **{metrics['test_ece_uncalibrated']:.2%} → "
        f"{metrics['test_ece']:.2%}**."
    )
    st.plotly_chart(
        figures.reliability,
        key="report_reliability",
        config=common.chart_config("reliability"),
        width="stretch",
    )

rec_head = st.columns([3, 1], vertical_alignment="bottom")
rec_head[0].subheader("Reconstructions")
rec = cached.test_reconstructions(path, 12)
if rec.originals is not None:
    st.caption("Rows 1 and 3: test images. Rows 2 and 4: their reconstructions, decode(encode(image)).")
    o, r = rec.originals, rec.reconstructions
    grid = np.concatenate([o[:6], r[:6], o[6:], r[6:]])
else:
    st.caption(
        "The dataset files are not available here, so the test images themselves cannot be shown; these are "
        "the decoded codes of test images stored in the bundle (their reconstructions)."
    )
    grid = rec.reconstructions
common.show_grid(grid, 6, scale=3)
with rec_head[1]:
    common.download_grid(grid, 6, file_name="reconstructions.png", key="report_reconstructions_download")
mse = metrics.get("test_reconstruction_mse")
if mse is not None:
    st.caption(f"Mean squared pixel error on the test split: {mse:.4f}.")

if figures.history is not None:
    st.subheader("Training curves")
    st.plotly_chart(
        figures.history, key="report_history", config=common.chart_config("training-curves"), width="stretch"
    )

st.subheader("Beyond the write-up")
dataset_name = manifest.get("dataset", {}).get("name")
same_data = {}
for other in common.bundle_choices(common.requested_model(), str(common.ASSETS)):
    try:
        other_manifest = common.manifest(other)
    except LatentError:
        continue
    if other_manifest.get("dataset", {}).get("name") == dataset_name:
        same_data[escape_markdown(other_manifest.get("name", other))] = other_manifest  # column headers: Markdown
if len(same_data) > 1:
    st.markdown("##### Two-stage vs joint training")
    st.caption(
        "The write-up trains the autoencoder first, without labels, and fits the class mixtures after. "
        "Joint training adds a term that uses the labels to shape the latent space for the mixtures."
    )
    st.table(pd.DataFrame(method_comparison(same_data)).set_index("measure"))

evaluation = manifest.get("evaluation", {})
if figures.ood is not None:
    st.markdown(
        f"##### Out of distribution: {evaluation.get('ood_n', '?')} "
        f"{escape_markdown(evaluation.get('ood_dataset', '?'))} "
        "test images vs this model's own test images"
    )
    st.caption(ood_caption(evaluation))
    st.table(figures.ood)
    st.caption(
        f"At the stored threshold, **{evaluation['ood_rejected_at_threshold']:.1%}** of the foreign images "
        f"are answered “none” (and {evaluation['test_rejected_at_threshold']:.1%} of the model's own test "
        "images)."
    )
if figures.junk_kinds is not None:
    st.markdown("##### Outside the test set: what people really draw and upload")
    st.caption(
        "Each foreign kind generated fresh (another seed than training), answered by this bundle's rule, and "
        "by the same rule with its detector trained **without that kind** (leave one kind out: the honest "
        "figure for kinds nobody thought of)."
    )
    st.table(figures.junk_kinds)
    st.caption("Digits as people write them: read right (a “none” counts as wrong) and refused.")
    if figures.junk_digits is not None:
        st.table(figures.junk_digits)
if figures.morphs is not None:
    st.markdown(f"##### Morphs: straight line vs through the data ({evaluation['morph_pairs']} random pairs of styles)")
    st.table(figures.morphs)
if "sample_fidelity" in evaluation:
    st.markdown("##### Sample fidelity")
    st.caption(
        f"An independent CNN (trained with labels on the real images, test accuracy "
        f"{evaluation['judge_test_accuracy']:.2%}) names **{evaluation['sample_fidelity']:.1%}** of decoded "
        f"class samples as the intended class. Its mean confidence: "
        f"{evaluation['sample_judge_confidence']:.0%} on class samples, "
        f"{evaluation['uniform_judge_confidence']:.0%} on uniform-box samples, pictures a person mostly cannot "
        "name (see the Sampling page)."
    )
measured_by = evaluation_commands(evaluation)
if measured_by:
    st.caption("Measured by " + ", then ".join(md_code(c) for c in measured_by) + ".")

sweep = figures.sweep is not None
if sweep:
    st.markdown("##### The latent-size trade-off")
    st.caption(
        "The same recipe trained at several latent sizes: a bigger space reconstructs better, a smaller one "
        f"is easier for the mixtures. Measured by {md_code(figures.sweep_command)}."
    )
    st.plotly_chart(figures.sweep, key="report_sweep", config=common.chart_config("latent-size-sweep"), width="stretch")
if not (len(same_data) > 1 or figures.ood is not None or figures.morphs is not None or sweep):
    st.caption(
        "No extra measurements for this model yet: `python -m latent evaluate --model PATH --ood OTHER --save` "
        "stores them in its manifest."
    )

st.subheader("The bundle")
st.table(figures.facts)
st.caption(f"Folder: {md_code(path)}")
with st.expander("Files and their SHA-256", icon=":material/folder_zip:"):
    st.dataframe(figures.files, hide_index=True, width="stretch")
with st.expander("Full configuration (manifest.json)", icon=":material/data_object:"):
    st.code(json.dumps(manifest.get("config", {}), indent=2), language="json")
