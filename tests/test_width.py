"""A digit drawn wider than the training digits is also read at their usual width (latent.bundle.width)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from drawing import draw_digit
from latent.bundle import width
from latent.bundle.model import LatentModel
from latent.bundle.reading import answer_record, read_input
from latent.inputs.preprocess import BOX, to_model_input


@pytest.fixture(scope="module")
def mnist():
    return LatentModel.load(ROOT / "assets" / "mnist")


def _wide_four() -> np.ndarray:
    """A 4 stretched to fill a box two and a half times as wide as tall, as the Draw page's preprocessing
    gives it (read as drawn, the shipped mixtures take it for another digit)."""
    return to_model_input(draw_digit("4", box=(0.02, 0.35, 0.98, 0.73), width=18) / 255.0)


def test_at_width_redraws_the_ink_at_the_asked_ratio_box_tall_and_centred():
    x = _wide_four()
    assert width.aspect(x) >= 1.8
    narrow = width.at_width(x, 0.8)
    top, bottom, left, right = width.ink_box(narrow)
    assert bottom - top == BOX and abs((right - left) / (bottom - top) - 0.8) <= 0.1
    assert narrow.shape == (28, 28) and narrow.max() == pytest.approx(1.0)
    yy, xx = np.mgrid[:28, :28]
    centre = np.array([(narrow * yy).sum(), (narrow * xx).sum()]) / narrow.sum()
    assert np.all(np.abs(centre - 14) <= 1.0)
    assert width.aspect(np.zeros((28, 28))) == 0.0 and width.ink_box(np.zeros((28, 28))) is None
    as_bytes = width.at_width(np.round(x * 255).astype(np.uint8), 0.8)  # the stored inputs' type
    assert np.abs(as_bytes - narrow).max() < 0.02


def test_a_stretched_digit_is_read_at_the_usual_width_and_says_so(mnist):
    x = _wide_four()
    as_drawn = mnist.classify(mnist.encode(x[None]))
    reading = read_input(mnist, x)
    assert as_drawn.names[0] != "4"  # what it was before
    assert reading.narrowed and reading.name == "4"
    assert reading.as_drawn is not None and reading.as_drawn[0] == as_drawn.names[0]  # what it replaced
    assert reading.as_drawn[1] == pytest.approx(as_drawn.max_log_likelihood[0]) and reading.as_drawn[1] < reading.score
    assert width.aspect(reading.x) == pytest.approx(0.8, abs=0.1)  # the input shown is the one read
    assert width.NOTE in answer_record(mnist, "four.png", reading)["notes"]
    narrow_digit = to_model_input(draw_digit("4", width=18) / 255.0)  # drawn in the usual box
    assert not read_input(mnist, narrow_digit).narrowed and read_input(mnist, narrow_digit).as_drawn is None
    assert width.NOTE not in answer_record(mnist, "four.png", read_input(mnist, narrow_digit))["notes"]


def test_inputs_no_wider_than_training_digits_are_read_as_they_are(mnist):
    images = np.stack([to_model_input(draw_digit(d, width=18) / 255.0) for d in "0234567"])
    assert all(width.aspect(x) <= 1.2 for x in images)
    read, narrowed = mnist.as_read(images)
    assert read is images and not narrowed.any()


def test_objects_are_never_read_narrower():
    fashion = LatentModel.load(ROOT / "assets" / "fashion-mnist")
    assert fashion.wide_reading is None
    x = np.zeros((28, 28), dtype=np.float32)
    x[10:18, 0:28] = 1.0  # a wide bar: a belt, a bag's strap
    read, narrowed = fashion.as_read(x[None])
    assert not narrowed.any() and np.array_equal(read[0], x)
