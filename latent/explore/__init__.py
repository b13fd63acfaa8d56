"""What the pages explore: walks, morphs, sampling, styles."""
