"""Latent Explorer, the dashboard: `streamlit run app.py [-- --model PATH]`.

This file is the frame and the router: page setup, the navigation (every page listed explicitly)
and the model picker in the sidebar, which every page reads. It imports neither torch nor
scikit-learn, so the home page is quick.

The page scripts live in `app_pages/`, not `pages/`: Streamlit 1.67 still switches to its legacy
multipage mode when a `pages/` folder sits beside the main script (`PagesManager.uses_pages_directory`)
until the first `st.navigation` call, so the first request to a fresh server for a sub-page URL,
and every page switch under `AppTest`, would run the page without this frame (no model picker,
an auto-generated menu).
"""

from urllib.parse import urlencode

import streamlit as st

from latent.errors import LatentError
from ui import common, lesson, url_state

st.set_page_config(
    page_title="Latent Explorer",
    page_icon=common.favicon(),
    layout="wide",
    initial_sidebar_state="collapsed" if st.query_params.get("present") == "1" else "auto",
)

PAGES = (  # script, title, icon; the first is the default
    ("app_pages/home.py", "Home", ":material/home:"),
    ("app_pages/latent_map.py", "Latent map", ":material/scatter_plot:"),
    ("app_pages/styles.py", "Styles", ":material/view_module:"),
    ("app_pages/morph.py", "Morph", ":material/swap_horiz:"),
    ("app_pages/sampling.py", "Sampling & manifold", ":material/casino:"),
    ("app_pages/similarity.py", "Class similarity", ":material/compare_arrows:"),
    ("app_pages/draw.py", "Draw", ":material/draw:"),
    ("app_pages/report.py", "Model report", ":material/analytics:"),
)

page = st.navigation(common.pages(PAGES))
url_state.start_run()
common.model_picker()
url_state.bind(common.PRESENT_KEY, "present", url_state.flag(), default=False)
st.sidebar.toggle(
    "Presenter mode",
    key=common.PRESENT_KEY,
    help="For a projector: larger type, explanations open, fewer controls. Kept in the link.",
)
url_state.bind(lesson.LESSON_KEY, lesson.PARAM, url_state.optional(url_state.integer(1, len(lesson.STEPS))))
common.presenter_css()


def kept_params() -> dict[str, str]:
    """What every page's link carries: the model and presenter mode."""
    return {k: st.query_params[k] for k in ("model", "present") if k in st.query_params}


def start_lesson() -> None:
    st.session_state[lesson.LESSON_KEY] = 1


@st.dialog("Share this view")
def share_dialog() -> None:
    """The link, built when asked for: a fragment (the morph's frame, the map's panel) changes the URL
    without rerunning the sidebar, so a link written there by the last full run could be stale."""
    st.caption("This link opens the page as you see it now (model and every choice):")
    st.code((st.context.url or "") + "?" + urlencode(st.query_params.to_dict()), language=None, wrap_lines=True)


link_box = st.sidebar.container()  # the share link, written after the page has put its choices in the URL
notes_box = st.container()  # notes about link parameters that could not be used
try:
    if st.session_state.get(lesson.LESSON_KEY):
        path = common.model_path()
        if path is not None:
            _, model = common.require_model()
            lesson.panel(model, kept_params())
    page.run()
except LatentError as exc:  # e.g. a bundle whose network overflows on some input: a message, not a traceback
    common.show_error(exc)
finally:
    url_state.show_notes(notes_box)
    with link_box:
        if not st.session_state.get(lesson.LESSON_KEY) and common.model_path() is not None:
            if st.button("Start the guided lesson", key="lesson_start", icon=":material/school:"):
                start_lesson()
                lesson_model = common.require_model()[1]
                lesson.go(1, lesson.facts(lesson_model), kept_params())
        if st.button("Share this view", key="share_open", icon=":material/link:", width="stretch"):
            share_dialog()

if common.model_path() is not None:
    common.warm_up()  # the model pages' imports, in the background, once per process
