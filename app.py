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

import streamlit as st

from latent.errors import LatentError
from ui import common

st.set_page_config(page_title="Latent Explorer", page_icon=common.favicon(), layout="wide",
                   initial_sidebar_state="auto")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
    st.Page("app_pages/styles.py", title="Styles", icon=":material/view_module:"),
    st.Page("app_pages/morph.py", title="Morph", icon=":material/swap_horiz:"),
    st.Page("app_pages/sampling.py", title="Sampling & manifold", icon=":material/casino:"),
    st.Page("app_pages/similarity.py", title="Class similarity", icon=":material/compare_arrows:"),
    st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:"),
    st.Page("app_pages/report.py", title="Model report", icon=":material/analytics:"),
]

page = st.navigation(PAGES)
common.model_picker()
try:
    page.run()
except LatentError as exc:  # e.g. a bundle whose network overflows on some input: a message, not a traceback
    common.show_error(exc)
