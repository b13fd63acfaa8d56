"""Latent Explorer: an autoencoder with one Gaussian mixture per class in its latent space.

The package never imports streamlit; the dashboard (app.py, app_pages/) is a thin layer over it.
Heavy libraries (torch, scikit-learn, umap) are imported inside the functions that need them, so
that importing a module here stays cheap.
"""

__version__ = "0.1.0"
