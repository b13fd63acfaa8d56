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
- `combined` (bundles calibrated since it exists, in place of the last two): one logistic score over
  the three scores above, fitted on generated foreign inputs against real and varied images the
  detector never trained on (`latent.workflows.foreign.fit_combination`); below its threshold the
  answer is "none", with the reason of the score that pulled it down the most.

A picture that fills a small square box, as a digit stretched to fill its box is stored (Semeion's
16x16 black-and-white digits; `latent.inputs.stretched.fills_square`), arrives another way than the
validation images: real digits so stored score lower on every test beyond the latent one (a bold
digit's loops close at 16 pixels). Those tests then have thresholds of their own (`filled_square`),
set the same way on validation digits stored that way, so that each still refuses its stated share
of real digits arriving so (`latent.workflows.filled_squares`).

Each score alone wastes what the others know: a real digit the autoencoder redraws badly (a
slanted or very thick one) is refused by the reconstruction test even when the detector and the
likelihood are sure of it, and a letter the detector half-doubts passes when no single threshold is
crossed. One weighted score refuses more junk and fewer real digits at the same validation rate.

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
DEFAULT_RATES = {"likelihood": 0.005, "reconstruction": 0.0025, "detector": 0.005, "combined": 0.01}
# The scores the combined test weighs, and the reason given when each is what pulled it down most.
COMBINED_FEATURES = ("likelihood", "reconstruction", "detector")
FEATURE_REASONS = {"likelihood": UNLIKELY, "reconstruction": CANNOT_REDRAW, "detector": FOREIGN}


@dataclass(frozen=True)
class Combination:
    """A logistic score over other scores: sum_i weight_i * (score_i - mean_i) / scale_i + bias, high
    for inputs like the training images. Each term is a score's *contribution*; the most negative one
    says why an input was refused."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def contributions(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        """(n, k) each feature's term of the score."""
        x = np.stack([np.asarray(scores[f], dtype=np.float64) for f in self.features], axis=-1)
        return (x - np.asarray(self.mean)) / np.asarray(self.scale) * np.asarray(self.weights)

    def score(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        return self.contributions(scores).sum(axis=-1) + self.bias

    def reasons(self, scores: dict[str, np.ndarray]) -> list[str]:
        """Per input, the reason of the feature whose contribution is lowest."""
        worst = np.argmin(self.contributions(scores), axis=-1)
        return [FEATURE_REASONS[self.features[int(i)]] for i in np.atleast_1d(worst)]

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Combination:
        return cls(
            tuple(str(f) for f in d["features"]),
            tuple(float(v) for v in d["mean"]),
            tuple(float(v) for v in d["scale"]),
            tuple(float(v) for v in d["weights"]),
            float(d["bias"]),
        )


@dataclass
class Test:
    """One test: the score's name, its threshold, and whether low scores fail (else high ones fail)."""

    __test__ = False  # not a pytest test class, though its name says Test

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
    combination: Combination | None = None  # what the "combined" test's score is (None: no such test)
    # thresholds for pictures that fill a small square box, by test (module docstring); empty: none of its own
    filled_square: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_calibration(cls, calibration: dict) -> NoneRule:
        """The rule stored in a manifest's "calibration" (bundles before the detector: likelihood only;
        before the combined test: likelihood, reconstruction and detector, each alone)."""
        tests = [Test("likelihood", float(calibration["reject_below"]), True, UNLIKELY)]
        filled = {k: float(v) for k, v in (calibration.get("filled_square") or {}).get("thresholds", {}).items()}
        if calibration.get("combined") is not None:
            combined = calibration["combined"]
            tests.append(Test("combined", float(combined["threshold"]), True, FOREIGN))
            return cls(tests, Combination.from_dict(combined), filled)
        if calibration.get("reconstruction_above") is not None:
            tests.append(Test("reconstruction", float(calibration["reconstruction_above"]), False, CANNOT_REDRAW))
        if calibration.get("detector_below") is not None:
            tests.append(Test("detector", float(calibration["detector_below"]), True, FOREIGN))
        return cls(tests, filled_square=filled)

    def with_likelihood(self, threshold: float | None) -> NoneRule:
        """The same rule with another likelihood threshold (the Draw page's slider); None: never refuse."""
        if threshold is None:
            return NoneRule([])
        return NoneRule(
            [Test(t.score, threshold, t.fails_below, t.reason) if t.score == "likelihood" else t for t in self.tests],
            self.combination,
            self.filled_square,  # never the latent test's (latent.schema)
        )

    def for_filled_square(self) -> NoneRule:
        """The rule for a picture that fills a small square box: its tests with the thresholds set on
        validation digits stored that way, where the bundle has them (module docstring)."""
        return NoneRule(
            [Test(t.score, self.filled_square.get(t.score, t.threshold), t.fails_below, t.reason) for t in self.tests],
            self.combination,
        )

    def with_scores(self, scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """`scores` with the ones this rule derives from them (the combined score) added."""
        if self.combination is None or "combined" in scores:
            return scores
        return {**scores, "combined": self.combination.score(scores)}

    def test_reasons(self, test: Test, scores: dict[str, np.ndarray]) -> list[str]:
        """Per input, what a failure of `test` is called (for the combined test: its lowest contribution)."""
        n = len(np.atleast_1d(scores[test.score]))
        if test.score == "combined" and self.combination is not None:
            return self.combination.reasons(scores)
        return [test.reason] * n

    def reasons(self, scores: dict[str, np.ndarray]) -> list[str | None]:
        """Per input, the reason of the first test it fails, or None when it passes them all."""
        scores = self.with_scores(scores)
        n = len(next(iter(scores.values())))
        out: list[str | None] = [None] * n
        for test in reversed(self.tests):  # the first failing test in order wins
            failing = np.flatnonzero(test.fails(scores[test.score]))
            if len(failing):
                names = self.test_reasons(test, {k: np.atleast_1d(v)[failing] for k, v in scores.items()})
                for i, name in zip(failing, names, strict=True):
                    out[i] = name
        return out

    def thresholds(self) -> dict[str, float]:
        return {t.score: t.threshold for t in self.tests}


# What each test beyond the latent one checks, in words for page texts (Markdown, no bundle text in it).
BEYOND_LATENT = {
    "reconstruction": "the autoencoder **cannot redraw the drawing** (its reconstruction is far from it)",
    "detector": "an **outlier-exposure check**, trained on pictures that are none of the classes, says it does "
    "not look like any of them",
    "combined": "a **combined score** says it is none of them: how likely its code is, how well the autoencoder "
    "redraws it and an outlier-exposure check (trained on pictures that are none of the classes), weighed together",
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
