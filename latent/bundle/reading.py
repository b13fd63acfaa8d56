"""What the model makes of one input image: the whole chain behind the Draw page and `classify`, in one call.

`read_input(model, x)` takes a 28x28 model input (after `latent.inputs.preprocess.prepare`) and returns its
latent code, the answer (a class, or "none" with its reason), every "none" test's score against its
threshold, the reconstruction, its place on the map and the mixture component (style) that explains
it best. `answer_record` turns a reading (or a blank picture) into the JSON record `classify --json`
prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latent.bundle import width
from latent.bundle.rejection import NoneRule
from latent.errors import BlankImageError
from latent.inputs.preprocess import SIZE

# How each test's score is named and read, for people (the Draw page, `classify`).
TEST_LABELS = {
    "likelihood": ("best class log-likelihood of its code", "≥"),
    "reconstruction": ("log reconstruction error", "≤"),
    "detector": ("looks like the training images (detector logit)", "≥"),
    "combined": ("one of its classes (combined score)", "≥"),
}


@dataclass
class TestResult:
    """One "none" test on one input: its score, its threshold, and whether the input passed."""

    test: str  # "likelihood", "reconstruction", "detector", "combined"
    label: str
    value: float
    threshold: float
    passed: bool
    reason: str  # what a failure is called
    # the combined test's parts: (score, its value, its contribution to the combined score); else empty
    parts: tuple[tuple[str, float, float], ...] = ()


@dataclass
class Reading:
    x: np.ndarray  # (28, 28) the model input
    z: np.ndarray  # (d,) its latent code
    label: int  # predicted class index, -1 for "none"
    name: str  # predicted class name or "none"
    proba: np.ndarray  # (n_classes,) p(class | z)
    score: float  # max_c log p(z | c), the latent test's score
    reconstruction: np.ndarray  # (28, 28) decode(z)
    map_xy: np.ndarray  # (2,) position on the map
    style_class: int  # class index of the component that explains z best
    style: int  # that component's index within its class
    style_responsibility: float  # p(component | z, class)
    reason: str | None = None  # why "none" (None when it got a class)
    tests: tuple[TestResult, ...] = ()
    narrowed: bool = False  # read at the training digits' usual width (latent.bundle.width): `x` is that input
    as_drawn: tuple[str, float] | None = None  # when narrowed: the best class of the input as drawn, its log-likelihood


def _parts(rule: NoneRule, scores: dict[str, np.ndarray]) -> tuple[tuple[str, float, float], ...]:
    """(score, value, contribution) of each part of the rule's combined score, for one input."""
    combination = rule.combination
    if combination is None:
        return ()
    contributions = combination.contributions(scores)[0]
    return tuple((f, float(scores[f][0]), float(c)) for f, c in zip(combination.features, contributions, strict=True))


def read_input(
    model,
    x: np.ndarray,
    *,
    reject_below: float | None = None,
    rule: NoneRule | None = None,
    fills_square: bool = False,
) -> Reading:
    """Encode, classify (every "none" test of `rule`, by default the bundle's, with the latent test's
    threshold replaced by `reject_below` when given), decode and place one (28, 28) input in [0, 1], as
    the model reads it (`LatentModel.as_read`: a digit drawn very wide, or a picture stretched to fill
    its square box, `latent.inputs.preprocess.Prepared.fills_square`, is also read at the usual width;
    the latter is tested against the thresholds set for such pictures, `NoneRule.for_filled_square`)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape != (SIZE, SIZE):
        raise ValueError(f"expected a ({SIZE}, {SIZE}) model input, got {x.shape}")
    read, narrowed = model.as_read(x[None], stretched=np.array([fills_square]))
    as_drawn = None
    if narrowed[0]:  # what the wide reading replaced, for people to compare
        drawn = model.classify(model.encode(x[None]))
        as_drawn = (drawn.names[0], float(drawn.max_log_likelihood[0]))
    x = read[0]
    rule = rule if rule is not None else model.rule
    if reject_below is not None:
        rule = rule.with_likelihood(reject_below)
    if fills_square:
        rule = rule.for_filled_square()
    z = model.encode(x[None])[0]
    reconstruction = model.decode(z[None])  # once: the reconstruction test and the picture shown
    result = model.classify_images(x[None], rule=rule, Z=z[None], reconstructions=reconstruction)
    c, k, resp = model.nearest_component(z, None if result.log_likelihoods is None else result.log_likelihoods[0])
    first = {k: np.atleast_1d(v)[:1] for k, v in result.scores.items()}
    tests = tuple(
        TestResult(
            t.score,
            TEST_LABELS[t.score][0],
            float(result.scores[t.score][0]),
            t.threshold,
            not bool(t.fails(result.scores[t.score][0])),
            rule.test_reasons(t, first)[0],
            _parts(rule, first) if t.score == "combined" else (),
        )
        for t in rule.tests
    )
    return Reading(
        x=x,
        z=z,
        label=int(result.labels[0]),
        name=result.names[0],
        proba=result.proba[0],
        score=float(result.max_log_likelihood[0]),
        reconstruction=reconstruction[0],
        map_xy=model.to_map(z)[0],
        style_class=c,
        style=k,
        style_responsibility=float(resp[k]),
        reason=result.reasons[0],
        tests=tests,
        narrowed=bool(narrowed[0]),
        as_drawn=as_drawn,
    )


def answer_record(
    model, file: str, reading: Reading | None = None, *, blank: BlankImageError | None = None, notes=()
) -> dict:
    """The JSON record of one answer: file, label (a class name or "none"), reason, probabilities,
    scores (each test's value, threshold and whether it passed), and the closest class; or, for a
    picture with nothing to read (`blank`), "none" with its reason and what was found (`detail`)."""
    if reading is None:  # nothing to read: "none" because the picture is blank, not an error
        assert blank is not None, "answer_record needs a reading or the reason there is none"
        return {
            "file": file,
            "label": "none",
            "reason": blank.reason,
            "detail": blank.detail,
            "probabilities": {},
            "scores": {},
            "notes": list(notes),
        }
    top = int(np.argmax(reading.proba))
    if reading.narrowed:
        notes = [*notes, width.NOTE]
    return {
        "file": file,
        "label": reading.name,
        "reason": reading.reason,
        "probabilities": {name: float(p) for name, p in zip(model.class_names, reading.proba, strict=True)},
        "scores": {t.test: _score_record(t) for t in reading.tests},
        "predicted_class": model.class_names[top],
        "probability": float(reading.proba[top]),
        "log_likelihood": reading.score,
        "notes": list(notes),
    }


def _score_record(t: TestResult) -> dict:
    record: dict = {"value": t.value, "threshold": t.threshold, "passed": t.passed}
    if t.parts:  # the combined test: each score behind it and what it added
        record["parts"] = {name: {"value": value, "contribution": c} for name, value, c in t.parts}
    return record


def answer_line(model, file: str, reading: Reading | None = None, *, blank: BlankImageError | None = None) -> str:
    """One line for `classify`: the class and its probability, or "none" with its reason and scores
    (or, with nothing to read, what was found)."""
    if reading is None:
        assert blank is not None, "answer_line needs a reading or the reason there is none"
        return f"{file}: none, {blank.reason} ({blank.detail})"
    top = int(np.argmax(reading.proba))
    closest = f"{model.class_names[top]} p={reading.proba[top]:.3f}"
    if reading.reason is None:
        return f"{file}: {reading.name} (p={reading.proba[top]:.3f}, log-likelihood {reading.score:.1f})"
    failed = [t for t in reading.tests if not t.passed]
    detail = "; ".join(
        f"{t.test} {t.value:.2f} {'<' if TEST_LABELS[t.test][1] == '≥' else '>'} {t.threshold:.2f}" for t in failed
    )
    return f"{file}: none, {reading.reason} ({detail}; closest {closest})"
