"""The guided lesson: ten steps that tell the write-up's story across the pages, as data.

Each `Step` names the page it shows, the page's URL parameters for the view it talks about, and a short
text. Texts and parameters are templates filled from `facts(model)`: every number a step quotes comes from
the loaded model or from the library's constants, never from this file. The step lives in the URL
(`?lesson=3`); `panel()` draws the step's box with Previous / Next, which navigate with the next step's
parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

LESSON_KEY = "lesson_step"  # session-state key of the current step (1-based), None outside the lesson
PARAM = "lesson"


@dataclass(frozen=True)
class Step:
    title: str
    page: str  # the page script, e.g. "app_pages/morph.py"
    text: str  # Markdown with {fact} fields (see `facts`)
    state: Mapping[str, str] = field(default_factory=dict)  # that page's URL parameters, with {fact} fields


MAP_CLEAR = {"point": "none", "spot": "none"}  # no clicked dot or spot: the view the step describes

STEPS: list[Step] = [
    Step(
        "The autoencoder",
        "app_pages/home.py",
        "Every picture is {side}×{side} = {pixels} pixels. An **autoencoder** learns, without any labels, to "
        "squeeze it into **{latent_dim} numbers**, its *latent code*, and to draw the picture back from them. "
        "Everything that follows works on those {latent_dim} numbers.",
    ),
    Step(
        "The latent map",
        "app_pages/latent_map.py",
        "Each dot is one of the {n_map} test images stored with the model, placed so that images with similar "
        "codes sit together. The colour is the true class: the autoencoder never saw a label, yet the "
        "{n_classes} classes form islands.",
        {"show": "dots", "density": "0", **MAP_CLEAR},
    ),
    Step(
        "One mixture per class",
        "app_pages/latent_map.py",
        "For each class, a **Gaussian mixture** is fitted to its codes: a few overlapping bell curves, drawn as "
        "ellipses. A new code gets the class whose mixture finds it most likely: {test_accuracy:.1%} of the "
        "test images are answered right.",
        {"show": "all", "density": "0", "class": "{busy_class}", "style": "1", **MAP_CLEAR},
    ),
    Step(
        "Styles",
        "app_pages/styles.py",
        "A component is a **style**: one way of drawing the class. Class {busy_class} has {busy_n} styles; "
        "the most common carries {busy_top:.0%} of it. Each row decodes a style's centre and samples from it.",
        {"class": "{busy_class}", "n": "8"},
    ),
    Step(
        "Sampling vs the uniform box",
        "app_pages/sampling.py",
        "Decode codes drawn from the class mixtures: plausible pictures, recognised as their class. Decode codes "
        "drawn uniformly from the box around all codes: the decoder still draws *something*, but those codes "
        "lie far from every class, below the “none” threshold ({threshold:.1f}). A generator needs a density, "
        "not just a decoder.",
        {"judge": "0"},
    ),
    Step(
        "A walk on the manifold",
        "app_pages/sampling.py",
        "[Scroll down to the walk](#walk): a Markov chain (MCMC) wanders through class {busy_class}'s mixture, "
        "and its frames drift from style to style while staying in the class. Metropolis explores fastest when it "
        "accepts about {mh_target:.0%} of its moves, Langevin about {mala_target:.0%}; step size 1 is tuned to that.",
        {"walk_class": "{busy_class}", "sampler": "mh", "steps": "200", "step": "1"},
    ),
    Step(
        "Morph",
        "app_pages/morph.py",
        "A straight line in latent space from class {pair_a} to class {pair_b}, the pair this model confuses "
        "most ({pair_n} test images). Move **t**: where do the probability lines cross, and does the path pass "
        "through empty space (a grey band: “none”)?",
        {"from": "{pair_a}", "to": "{pair_b}", "from_style": "0", "to_style": "0", "path": "line", "t": "0.5"},
    ),
    Step(
        "Class similarity",
        "app_pages/similarity.py",
        "How far apart are the class mixtures? **KL divergence** measures it, **entropy** how spread out each "
        "class is. Compare with the mistakes: is the {pair_a}–{pair_b} pair close in KL too?",
        {"method": "mc", "samples": "2000"},
    ),
    Step(
        "Draw",
        "app_pages/draw.py",
        "Your turn: draw {what}. It is prepared like the training images ({side}×{side}), encoded into "
        "{latent_dim} numbers and classified by the mixtures. Watch its position on the map.",
        {"mode": "draw", "pen": "19", "threshold": "{threshold_raw}"},
    ),
    Step(
        "“None of these”",
        "app_pages/latent_map.py",
        "When no class finds a code likely (best class log-likelihood below {threshold:.1f}, a threshold that "
        "refuses {val_rejection:.0%} of real validation images), the answer is **none**. The shading shows that "
        "score over the map. {beyond_map}",
        {"show": "all", "density": "1", **MAP_CLEAR},
    ),
]


def facts(model) -> dict:
    """Everything a step's text or parameters quote, from the model (class names as given by the bundle)."""
    from latent.bundle.rejection import beyond_latent
    from latent.explore.walks import TARGET_ACCEPTANCE
    from latent.inputs.catalog import dataset_info

    names = model.class_names
    n_comp = np.asarray(model.mixture.n_components_)
    busy = int(np.argmax(n_comp))
    weights = np.asarray(model.mixture.weights_[busy])[: int(n_comp[busy])]
    cm = np.asarray(model.metrics.get("confusion_matrix", []), dtype=float)
    if cm.shape == (len(names), len(names)) and len(names) > 1:
        off = cm + cm.T
        np.fill_diagonal(off, -1)
        a, b = sorted(int(v) for v in np.unravel_index(int(np.argmax(off)), off.shape))
        pair_n = int(off[a, b])
    else:
        a, b, pair_n = 0, min(1, len(names) - 1), 0
    side = int(model.manifest.get("config", {}).get("autoencoder", {}).get("image_size", 28))
    return {
        "side": side,
        "pixels": side * side,
        "latent_dim": model.latent_dim,
        "n_classes": len(names),
        "n_map": len(model.map_labels),
        "test_accuracy": float(model.metrics.get("test_accuracy", float("nan"))),
        "busy_class": names[busy],
        "busy_n": int(n_comp[busy]),
        "busy_top": float(weights.max()),
        "threshold": model.threshold,
        "threshold_raw": f"{model.threshold:.6f}",
        "val_rejection": model.rejection_rate(model.threshold),
        "mh_target": TARGET_ACCEPTANCE["mh"],
        "mala_target": TARGET_ACCEPTANCE["mala"],
        "pair_a": names[a],
        "pair_b": names[b],
        "pair_n": pair_n,
        "what": dataset_info(model.manifest.get("dataset", {}).get("name")).what,
        "beyond_map": beyond_latent(model.rule),
    }


BUNDLE_TEXT = ("busy_class", "pair_a", "pair_b")  # facts that are the bundle's class names: shown as plain text


def text(step: Step, known: dict) -> str:
    """The step's Markdown, bundle text (class names) escaped."""
    from latent.text import escape_markdown

    return step.text.format(**{k: escape_markdown(v) if k in BUNDLE_TEXT else v for k, v in known.items()})


def params(step: Step, known: dict) -> dict[str, str]:
    """The step's URL parameters for its page."""
    return {k: v.format(**known) for k, v in step.state.items()}


def go(n: int, known: dict, keep: dict[str, str]) -> None:
    """Open step n (1-based): its page with its parameters, the lesson's number and `keep` (model, present)."""
    from ui import url_state

    step = STEPS[n - 1]
    url_state.follow_link()
    st.switch_page(step.page, query_params={**keep, **params(step, known), PARAM: str(n)})


def panel(model, keep: dict[str, str]) -> None:
    """The current step's box: title, text, Previous / Next / End."""
    n = st.session_state.get(LESSON_KEY)
    if not n:
        return
    known = facts(model)
    step = STEPS[n - 1]
    with st.container(border=True, key="lesson_box"):
        st.markdown(f"**Lesson · step {n} of {len(STEPS)} · {step.title}**  \n{text(step, known)}")
        with st.container(horizontal=True, gap="small"):
            if st.button("Previous", key="lesson_prev", icon=":material/arrow_back:", disabled=n <= 1):
                go(n - 1, known, keep)
            if st.button(
                "Next", key="lesson_next", icon=":material/arrow_forward:", type="primary", disabled=n >= len(STEPS)
            ):
                go(n + 1, known, keep)
            st.button(
                "End the lesson",
                key="lesson_end",
                icon=":material/close:",
                on_click=lambda: st.session_state.update({LESSON_KEY: None}),
            )
