"""Whole jobs: the training stage, the bundle pipeline, evaluation, sweeps, the none rule's fitting, the judge."""
