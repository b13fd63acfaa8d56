"""The "none of these" answer: the tests an input must pass to get a class, and why it failed.

A model input gets a class only if it passes every test; each threshold is set on the validation
split (images the model never trained on), so each refuses a stated small share of real ones:

- `likelihood` (the latent test, the one the map shows): the best class log-likelihood of its code,
  log max_c p(z | c), is at least `likelihood_below`; else "unlikely latent code";
- `reconstruction`: the autoencoder can redraw it, log mean squared error at most
  `reconstruction_above`; else "the model cannot redraw it";
- `detector` (bundles that have one, see latent/networks/detector.py): the outlier-exposure check says it
  looks like the training images, logit at least `detector_below`; else "does not look like any of
  its classes".

Before any of these, preprocessing answers "blank" (no ink at all) or, for photos, "no clear ink".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BLANK = "blank"
NO_INK = "no clear ink"
UNLIKELY = "unlikely latent code"
CANNOT_REDRAW = "the model cannot redraw it"
FOREIGN = "does not look like any of its classes"

# Shares of validation images each test refuses by default (the union refuses at most their sum).
DEFAULT_RATES = {"likelihood": 0.005, "reconstruction": 0.0025, "detector": 0.005}


@dataclass
class Test:
    """One test: the score's name, its threshold, and whether low scores fail (else high ones fail)."""

    score: str
    threshold: float
    fails_below: bool
    reason: str

    def fails(self, value) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        return value < self.threshold if self.fails_below else value > self.threshold


@dataclass
class NoneRule:
    """The tests of a bundle, in the order their reasons are given."""

    tests: list[Test] = field(default_factory=list)

    @classmethod
    def from_calibration(cls, calibration: dict) -> NoneRule:
        """The rule stored in a manifest's "calibration" (bundles before the detector: likelihood only)."""
        tests = [Test("likelihood", float(calibration["reject_below"]), True, UNLIKELY)]
        if calibration.get("reconstruction_above") is not None:
            tests.append(Test("reconstruction", float(calibration["reconstruction_above"]), False, CANNOT_REDRAW))
        if calibration.get("detector_below") is not None:
            tests.append(Test("detector", float(calibration["detector_below"]), True, FOREIGN))
        return cls(tests)

    def with_likelihood(self, threshold: float | None) -> NoneRule:
        """The same rule with another likelihood threshold (the Draw page's slider); None: never refuse."""
        if threshold is None:
            return NoneRule([])
        return NoneRule(
            [Test(t.score, threshold, t.fails_below, t.reason) if t.score == "likelihood" else t for t in self.tests]
        )

    def reasons(self, scores: dict[str, np.ndarray]) -> list[str | None]:
        """Per input, the reason of the first test it fails, or None when it passes them all."""
        n = len(next(iter(scores.values())))
        out: list[str | None] = [None] * n
        for test in reversed(self.tests):  # the first failing test in order wins
            for i in np.flatnonzero(test.fails(scores[test.score])):
                out[i] = test.reason
        return out

    def thresholds(self) -> dict[str, float]:
        return {t.score: t.threshold for t in self.tests}


# What each test beyond the latent one checks, in words for page texts (Markdown, no bundle text in it).
BEYOND_LATENT = {
    "reconstruction": "the autoencoder **cannot redraw the drawing** (its reconstruction is far from it)",
    "detector": "an **outlier-exposure check**, trained on pictures that are none of the classes, says it does "
    "not look like any of them",
}


def beyond_latent(rule: NoneRule) -> str:
    """A sentence on the tests of `rule` that the latent map cannot show (the Latent map page's caption)."""
    parts = [BEYOND_LATENT[t.score] for t in rule.tests if t.score in BEYOND_LATENT]
    if not parts:
        return "This model's “none” is the latent test alone: the map shows all of it."
    return (
        "This is only the latent part of the Draw page's “none”: there the answer is also “none” when "
        + ", and when ".join(parts)
        + "."
    )
