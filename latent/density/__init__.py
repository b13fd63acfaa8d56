"""Densities in latent space: Gaussian maths, the per-class mixtures, their measures and calibration."""
