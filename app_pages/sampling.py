"""Sampling & manifold: where good samples come from, and a random walk along one class's manifold."""

import streamlit as st

from latent.explore.sampling import SOURCES
from latent.explore.walks import GOOD_ACCEPTANCE, TARGET_ACCEPTANCE
from latent.text import escape_markdown
from ui import cached, common, url_state

path, model = common.require_model()
names = model.class_names
SAMPLERS = {"mala": "Langevin", "mh": "Metropolis"}


def rate_range(method: str) -> str:
    lo, hi = GOOD_ACCEPTANCE[method]
    return f"≈ {TARGET_ACCEPTANCE[method]:.0%} (good: {lo:.0%}–{hi:.0%})"


evaluation = model.manifest.get("evaluation", {})
judge_note = ""
if isinstance(evaluation.get("uniform_judge_confidence"), float):
    on_samples = evaluation.get("sample_judge_confidence")
    versus = f" ({on_samples:.0%} on class samples)" if isinstance(on_samples, float) else ""
    judge_note = (
        f" A picture classifier is fooled more easily than a person: an independent CNN trained on the "
        f"real images names them with {evaluation['uniform_judge_confidence']:.0%} mean "
        f"confidence{versus}, so it is the code's likelihood, not a picture classifier, that tells "
        "them apart (`benchmarks/uniform_box.py` measures all this)."
    )

st.title("Sampling & manifold")
st.markdown("Decode random codes from three places, and see which ones the classifier recognises.")
common.explain(f"""
To **generate** an image, pick a code in latent space and decode it. *Where* the code comes from
decides whether the result looks like anything:

- **Class mixtures**: a code drawn from one class's mixture lands where that class's images live,
  so it decodes to a plausible member of the class.
- **One mixture for all**: a single mixture fitted to all classes at once. Its samples are
  plausible too, but nothing says which class they are, and some fall between classes.
- **Uniform box**: a code drawn uniformly from the box that holds all the test codes. Almost all of
  that box is empty space the decoder never saw: the codes lie far outside every class (their
  likelihood is far below the “none” threshold). The decoder still draws *something*: from the MNIST
  model, pen-stroke **scribbles**, of which a person can name about one in three (we could name 31
  of 100). Pictures, not noise, but mostly unreadable: this is why a generator needs a density, not
  just a decoder.{judge_note}

**Recognised** is the share of {cached.SAMPLES_SCORED} samples of each source (measured once, not only on
the ones shown) for which the classifier does *not* answer “none”, at the calibrated threshold. Tick
*judge the decoded picture* to run each decoded image through the encoder and classifier again, as a
viewer would.

The **walk** below is a Markov chain (MCMC) that wanders through one class's mixture: each step
proposes a move and accepts it more often when the class finds the new code likely. Its frames
stay recognisable while drifting through the class, from one style to another where styles
overlap: the class **manifold** as a movie.
In {model.latent_dim} dimensions, the *step size* trades moving far against being rejected often.
Each sampler explores fastest at a known share of accepted moves: **Metropolis** (random moves)
{rate_range("mh")}, **Langevin** (moves that also follow the slope of the density)
{rate_range("mala")}. Step size 1 is tuned to that share for the class and sampler you pick. Each move is
shaped like the styles (mixture components) around the walk's current code, small in a narrow style and
large in a wide one, so every walk accepts about that share wherever it goes.
""")

common.chart_format_control()
if "samp_seed" not in st.session_state:
    st.session_state.samp_seed = 0
    st.session_state.walk_seed = 0


@common.fragment
def samples_section() -> None:
    """The three sources' samples and their controls: drawing new samples reruns only this part, not the
    walk below (whose three charts were serialised again on every press)."""
    url_state.bind("samp_seed", "seed", url_state.integer(0, 10**6))
    url_state.bind("samp_via_image", "judge", url_state.flag(), default=False)
    top = st.columns([1, 2], vertical_alignment="center")
    top[0].button(
        "Draw new samples",
        key="samp_resample",
        icon=":material/casino:",
        on_click=lambda: st.session_state.update(samp_seed=st.session_state.samp_seed + 1),
    )
    via_image = top[1].toggle(
        "Judge the decoded picture (decode → encode → classify)", value=False, key="samp_via_image"
    )

    threshold = model.threshold
    notes = {
        "class": "as the class it was drawn for: {as_intended:.0%}",
        "single": "no class was asked for",
        "uniform": "far from every class: median log-likelihood {median:.0f}, “none” below {threshold:.0f}",
    }
    for col, (source, title) in zip(st.columns(3, gap="medium"), SOURCES.items(), strict=False):
        images = cached.sample_images(path, source, st.session_state.samp_seed)
        measured = cached.sample_share(path, source, via_image)
        with col.container(border=True):
            head = st.columns([3, 2], vertical_alignment="center")
            head[0].markdown(f"**{title}**")
            with head[1]:
                common.download_grid(
                    images, 4, file_name=f"samples-{source}.png", key=f"samp_download_{source}", scale=2
                )
            common.show_grid(images, 4, scale=2)
            st.metric(
                "Recognised",
                f"{measured.share:.0%}",
                help=f"Share of {measured.n} samples from this source (not only the ones shown) not answered 'none'.",
            )
            st.caption(
                notes[source].format(
                    as_intended=measured.as_intended or 0.0, median=measured.median_log_likelihood, threshold=threshold
                )
            )


samples_section()

st.divider()
st.subheader("A walk on a class manifold", anchor="walk")  # the lesson links here


@common.fragment
def walk_section() -> None:
    """The walk's controls and what they show: changing them reruns only this part, not the samples above."""
    w1, w2, w3, w4 = st.columns([1.2, 1.4, 1.4, 1.2], vertical_alignment="bottom")
    url_state.bind("walk_class", "walk_class", url_state.class_index(names), default=0)
    url_state.bind("walk_steps", "steps", url_state.integer(20, 500, step=10), default=200)
    url_state.bind("walk_method", "sampler", url_state.choice({m: m for m in SAMPLERS}), default=list(SAMPLERS)[0])
    url_state.bind("walk_step_size", "step", url_state.number(0.1, 4.0, step=0.1, digits=1), default=1.0)
    url_state.bind("walk_seed", "walk_seed", url_state.integer(0, 10**6))
    c = w1.selectbox("Class", range(len(names)), format_func=lambda i: names[i], key="walk_class")
    n_steps = w2.slider("Steps", 20, 500, 200, 10, key="walk_steps")
    method = w4.radio(
        "Sampler",
        list(SAMPLERS),
        key="walk_method",
        horizontal=True,
        format_func=SAMPLERS.get,
        help="Langevin (MALA) also follows the slope of the density; Metropolis-Hastings only proposes random moves.",
    )
    step_size = w3.slider(
        "Step size (1 = tuned)",
        0.1,
        4.0,
        1.0,
        0.1,
        key="walk_step_size",
        help="Relative to the step tuned for this class and sampler, at which it accepts "
        f"{rate_range(method)} of its moves. Smaller: more accepted, shorter moves; "
        "larger: longer moves, more rejected.",
    )
    st.button(
        "New walk",
        key="walk_new",
        icon=":material/refresh:",
        on_click=lambda: st.session_state.update(walk_seed=st.session_state.walk_seed + 1),
    )

    seed = st.session_state.walk_seed
    walk = cached.walk_data(path, c, n_steps, step_size, method, seed)
    figures = cached.walk_figures(path, c, n_steps, step_size, method, seed)
    frames_col, map_col = st.columns([1, 2], gap="medium")
    with frames_col:
        st.plotly_chart(figures.frames, key="walk_frames", config=common.chart_config("walk-frame"), width="stretch")
        recognised = sum(nm == names[c] for nm in walk.frame_names) / len(walk.frame_names)
        lo, hi = GOOD_ACCEPTANCE[method]
        st.metric(
            "Moves accepted",
            f"{walk.acceptance:.0%}",
            f"aim ≈ {TARGET_ACCEPTANCE[method]:.0%} ({lo:.0%}–{hi:.0%})",
            delta_color="off",
            delta_arrow="off",
            help=f"{SAMPLERS[method]} explores fastest when it accepts {rate_range(method)} of its moves.",
        )
        st.metric(
            "Frames in the class",
            f"{recognised:.0%}",
            help=f"Share of the frames that the classifier puts in class {escape_markdown(names[c])}.",
        )
        st.metric(
            "Styles visited",
            f"{walk.styles_visited} of {model.mixture.n_components_[c]}",
            help=f"The class's mixture components (styles) that explain the walk's codes best, from step to step: "
            f"it changed style {walk.style_changes} times in {n_steps} steps. Where styles overlap (the MNIST "
            "models) a walk moves from one to the next; where they lie far apart (the clothes models' 64 "
            "dimensions) it stays in the style it started in.",
        )
    with map_col:
        st.plotly_chart(
            figures.map,
            key="walk_map",
            config=common.chart_config("walk-map", base=common.PLOT_CONFIG),
            width="stretch",
        )
        st.plotly_chart(
            figures.density, key="walk_density", config=common.chart_config("walk-log-density"), width="stretch"
        )


walk_section()
