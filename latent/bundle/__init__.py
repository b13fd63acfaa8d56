"""A trained model on disk and in memory: loading, the map projection, the none rule, reading an input."""
