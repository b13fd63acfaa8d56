"""Real-browser tests (marker: e2e)."""
