"""Streamlit-side helpers of the dashboard (the `latent` package itself never imports streamlit)."""
