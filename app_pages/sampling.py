"""Sampling & manifold: where good samples come from, and a random walk along one class's manifold."""

import streamlit as st

from latent import plots
from latent.sampling import SOURCES
from latent.text import escape_markdown
from ui import cached, common

path, model = common.require_model()
names = model.class_names

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
  that box is empty space the decoder never saw, so the images are **gibberish**: this is why a
  generator needs a density, not just a decoder.

**Recognised** is the share of 500 samples for which the classifier does *not* answer “none”,
at the calibrated threshold. Tick *judge the decoded picture* to run each decoded image through
the encoder and classifier again, as a viewer would.

The **walk** below is a Markov chain (MCMC) that wanders through one class's mixture: each step
proposes a move and accepts it more often when the class finds the new code likely. Its frames
stay recognisable while drifting from one style to another: the class **manifold** as a movie.
In {model.latent_dim} dimensions, *step size* trades moving far against being rejected often.
""")

if "samp_seed" not in st.session_state:
    st.session_state.samp_seed = 0
    st.session_state.walk_seed = 0

top = st.columns([1, 2], vertical_alignment="center")
top[0].button("Draw new samples", key="samp_resample", icon=":material/casino:",
              on_click=lambda: st.session_state.update(samp_seed=st.session_state.samp_seed + 1))
via_image = top[1].toggle("Judge the decoded picture (decode → encode → classify)", value=False, key="samp_via_image")

NOTES = {
    "class": "as the class it was drawn for: {as_intended:.0%}",
    "single": "no class was asked for",
    "uniform": "gibberish: the box is mostly empty space",
}
for col, (source, title) in zip(st.columns(3, gap="medium"), SOURCES.items()):
    panel = cached.sample_panel(path, source, st.session_state.samp_seed, via_image)
    with col.container(border=True):
        st.markdown(f"**{title}**")
        common.show_grid(panel["images"], 4, scale=2)
        st.metric("Recognised", f"{panel['share']:.0%}", help=f"Share of {panel['n']} samples not answered 'none'.")
        st.caption(NOTES[source].format(as_intended=panel["as_intended"] or 0.0))

st.divider()
st.subheader("A walk on a class manifold")
w1, w2, w3, w4 = st.columns([1.2, 1.4, 1.4, 1.2], vertical_alignment="bottom")
c = w1.selectbox("Class", range(len(names)), format_func=lambda i: names[i], key="walk_class")
n_steps = w2.slider("Steps", 20, 500, 200, 10, key="walk_steps")
step_size = w3.slider("Step size", 0.05, 1.5, 0.4, 0.05, key="walk_step_size",
                      help="Relative to a proposal scale that suits one Gaussian component. A good walk "
                           "accepts roughly 20–70% of its moves.")
method = w4.radio("Sampler", ["mala", "mh"], key="walk_method", horizontal=True,
                  format_func=lambda m: {"mala": "Langevin", "mh": "Metropolis"}[m],
                  help="Langevin (MALA) also follows the slope of the density; Metropolis-Hastings only proposes random moves.")
st.button("New walk", key="walk_new", icon=":material/refresh:",
          on_click=lambda: st.session_state.update(walk_seed=st.session_state.walk_seed + 1))

walk = cached.walk_data(path, c, n_steps, step_size, method, st.session_state.walk_seed)
frames_col, map_col = st.columns([1, 2], gap="medium")
with frames_col:
    labels = [f"step {s}" for s in walk["frame_steps"]]
    st.plotly_chart(plots.frames_animation(walk["frames"], labels, height=330), key="walk_frames",
                    config=common.STATIC_PLOT_CONFIG, width="stretch")
    recognised = sum(nm == names[c] for nm in walk["frame_names"]) / len(walk["frame_names"])
    a, b = st.columns(2)
    a.metric("Accepted moves", f"{walk['acceptance']:.0%}")
    b.metric("Frames recognised", f"{recognised:.0%}",
             help=f"Share of the frames that the classifier puts in class {escape_markdown(names[c])}.")
with map_col:
    base = cached.map_figure(path, ellipses=False, max_points=cached.LIGHT_MAP_POINTS, height=420)
    st.plotly_chart(plots.map_path(base, walk["xy"], name=f"walk in class {names[c]}"), key="walk_map",
                    config=common.PLOT_CONFIG, width="stretch")
    st.plotly_chart(plots.log_density_trace(walk["log_density"], threshold=model.threshold, height=200),
                    key="walk_density", config=common.STATIC_PLOT_CONFIG, width="stretch")
