"""A 1 stretched to fill a square box is told by its shape alone (latent.inputs.stretched)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from drawing import cut_to_ink, draw_digit
from latent.inputs import stretched


def _filling(digit: str, side: int = 32, pen: int = 18) -> np.ndarray:
    """A drawn digit cut to its ink and stretched to fill a side x side square, in [0, 1], ink bright."""
    return cut_to_ink(draw_digit(digit, width=pen), side, fill=True).astype(np.float32) / 255.0


def _band(side: int = 32, width: int = 10) -> np.ndarray:
    """A straight slanted band of even width from the top left corner to the bottom right one."""
    y, x = np.mgrid[:side, :side]
    return (np.abs(x - y * (side - width) / (side - 1) - width / 2) < width / 2).astype(np.float32)


@pytest.mark.parametrize("dark", [False, True])
def test_a_stretched_1_and_a_straight_band_are_told_in_either_polarity(dark):
    for picture in (_filling("1"), _band()):
        assert stretched.straight_band(1.0 - picture if dark else picture)


@pytest.mark.parametrize("digit", ["0", "2", "3", "4", "5", "6", "7", "8", "9"])
def test_other_digits_stretched_to_fill_the_square_are_not_bands(digit):
    assert not stretched.straight_band(_filling(digit))


@pytest.mark.parametrize("dark", [False, True])
def test_a_thick_1_spanning_the_square_s_height_but_not_all_its_width_is_a_band(dark):
    """A thick 1 stored in a square box: its faint edges were stretched to the box, its black core (a
    block or a band narrower than the box, as MNIST's test 1s so stored in black and white often are)
    was not. A band less than SPAN_WIDTH of the box wide did not fill it: scikit-learn's 8s enlarged
    from 8 pixels, their loops closed, are such bands."""
    block = np.zeros((16, 16), np.float32)
    block[:, 3:13] = 1.0
    y, x = np.mgrid[:32, :22]
    slanted = np.pad((np.abs(x - y * 14 / 31 - 4) < 4).astype(np.float32), ((0, 0), (5, 5)))  # short of the sides
    for picture in (block, slanted):
        assert stretched.straight_band(1.0 - picture if dark else picture)
    thin = np.zeros((16, 16), np.float32)
    thin[:, 5:11] = 1.0
    assert not stretched.straight_band(1.0 - thin if dark else thin)


def _bowed(side: int = 32, width: int = 10, bow: float = 14.0) -> np.ndarray:
    """A band of even width from top to bottom whose middle leans `bow` pixels left of its ends: a 1
    written as a bracket."""
    y, x = np.mgrid[:side, :side]
    t = (y - (side - 1) / 2) / ((side - 1) / 2)
    centre = side / 2 + bow * (t**2 - 0.5)
    return (np.abs(x - centre) < width / 2).astype(np.float32)


def _tapered(side: int = 32, top: int = 6, bottom: int = 13) -> np.ndarray:
    """A straight band from corner to corner, `top` pixels wide at the top and `bottom` at the bottom: a
    1 whose pen pressed harder as it went down, or whose foot, stretched, widened it."""
    y, x = np.mgrid[:side, :side]
    width = top + (bottom - top) * y / (side - 1)
    centre = top / 2 + (side - (top + bottom) / 2) * y / (side - 1)
    return (np.abs(x - centre) < width / 2).astype(np.float32)


@pytest.mark.parametrize("dark", [False, True])
def test_a_bowed_or_tapered_band_from_top_to_bottom_is_a_band(dark):
    """MNIST's test 1s stored stretched to fill 16x16 in black and white: a third of them were not
    narrowed (and read "none"): a 1 written as a bracket is a bowed band, off a straight line by more
    than a sixth of its width, and a 1 with a flag or a foot is up to twice as wide at one end. Neither
    is a shape another digit so stored makes (its runs must still be one per row)."""
    for picture in (_bowed(), _bowed(bow=-14.0), _tapered(), _tapered(top=13, bottom=6)):
        assert stretched.straight_band(1.0 - picture if dark else picture)


def test_a_bowed_band_short_of_the_box_s_sides_or_too_small_to_tell_is_not_taken():
    """scikit-learn's 3s and 8s enlarged from 8 pixels, their loops closed, are bowed bands about 0.6 of
    their box wide, and at 8 pixels a closed 6 or 8 is a bowed, uneven band: neither is a 1."""
    assert not stretched.straight_band(_bowed(bow=11.0))  # spans 21 of 32 columns
    small = np.asarray(Image.fromarray(_bowed() * 255).convert("L").resize((8, 8), Image.Resampling.BOX)) / 255.0
    assert not stretched.straight_band(small)
    assert stretched.straight_band(np.asarray(Image.fromarray(_bowed() * 255).convert("L").resize((16, 16))) / 255.0)


def test_a_band_in_a_picture_not_square_or_not_filled_or_a_filled_square_is_not_taken():
    band = _band()
    assert not stretched.straight_band(np.pad(band, ((0, 0), (0, 24))))  # wider than a square
    assert not stretched.straight_band(np.pad(band, 12))  # a margin round it: drawn, not stretched
    block = np.zeros((32, 32), np.float32)
    block[1:-1, 1:-1] = 1.0
    assert not stretched.straight_band(block)  # a filled square is a shape, not a stroke
    wiggly = band.copy()
    wiggly[8:16] = np.roll(band[8:16], 6, axis=1)
    assert not stretched.straight_band(wiggly)


def test_at_ones_width_narrows_to_the_training_1s_ratio_keeping_the_height():
    narrow = stretched.at_ones_width(_band(40))
    assert narrow.shape == (40, round(40 * stretched.ONE_WIDTH))
    assert narrow.max() <= 1.0 and narrow.sum() == pytest.approx(_band(40).sum() * stretched.ONE_WIDTH, rel=0.05)


def _as_file(pixels: np.ndarray) -> bytes:
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format="PNG")
    return data.getvalue()


def test_a_glyph_filling_its_square_is_told_from_a_drawing_with_room_round_it():
    assert stretched.fills_square(_filling("6")) and stretched.fills_square(1.0 - _filling("6"))
    drawn = draw_digit("6", width=18).astype(np.float32) / 255.0  # on the canvas: room all round
    assert not stretched.fills_square(drawn)
    assert not stretched.fills_square(cut_to_ink(draw_digit("6", width=18), 32).astype(np.float32) / 255.0)  # tall
    assert not stretched.fills_square(np.zeros((16, 16), np.float32))
    assert not stretched.fills_square(_filling("6", side=64))  # large: a drawing cut to its ink, width kept


@pytest.fixture(scope="module")
def mnist():
    from conftest import ROOT
    from latent.bundle.model import LatentModel

    return LatentModel.load(ROOT / "assets" / "mnist")


def test_a_digit_stretched_to_fill_its_box_is_also_read_at_the_usual_width(mnist):
    """A 6 stored as Semeion stores digits (stretched to fill 16x16, black and white) was read as a 5:
    stretched, its width is lost. It is also read at the training digits' usual width now, and the
    likelier code (a 6) wins."""
    from latent.bundle.reading import answer_record, read_input
    from latent.inputs.preprocess import image_to_model_input

    stored = np.where(cut_to_ink(draw_digit("6", width=10), 16, fill=True) > 127, 255, 0).astype(np.uint8)
    prepared = image_to_model_input(_as_file(stored), reading="ink")
    x, notes = prepared.x, prepared.notes
    assert prepared.fills_square and stretched.FILLED_NOTE in notes
    as_stored = read_input(mnist, x, rule=mnist.rule)
    assert as_stored.name == "5" and not as_stored.narrowed  # how it was read before
    reading = read_input(mnist, x, rule=mnist.rule, fills_square=prepared.fills_square)
    assert reading.name == "6" and reading.narrowed and reading.as_drawn is not None
    assert reading.as_drawn[0] == "5" and reading.score > reading.as_drawn[1]
    assert stretched.FILLED_NOTE in answer_record(mnist, "six.png", reading, notes=notes)["notes"]
    drawing = image_to_model_input(_as_file(draw_digit("6", width=10)), reading="ink")  # room round it
    assert not drawing.fills_square and stretched.FILLED_NOTE not in drawing.notes
