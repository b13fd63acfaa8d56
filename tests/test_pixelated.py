"""A picture enlarged by repeating its pixels is read at its own pixels (latent.inputs.pixelated)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from drawing import cut_to_ink, draw_digit
from latent.inputs.pixelated import native_pixels
from latent.inputs.preprocess import image_to_model_input


def _stored_small(digit: str, side: int = 16) -> np.ndarray:
    """A drawn digit stored as Semeion stores one: stretched to fill a side x side box, black and white."""
    return np.where(cut_to_ink(draw_digit(digit, width=18), side, fill=True) > 127, 255, 0).astype(np.uint8)


def _file(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format=fmt)
    return data.getvalue()


@pytest.mark.parametrize("side", [32, 100, 128, 160, 280])  # whole and fractional factors (100 / 16 = 6.25)
@pytest.mark.parametrize("digit", ["2", "4", "8"])
def test_a_small_file_enlarged_by_repeating_pixels_reads_as_the_small_file(digit, side):
    """Before, the enlarged file's blocks were read as a large picture's ink: another model input (and
    for Semeion-like digits 1.2 points fewer right at 128 px)."""
    small = _stored_small(digit)
    enlarged = np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.NEAREST))
    x_small = image_to_model_input(_file(small), reading="ink").x
    prepared = image_to_model_input(_file(enlarged), reading="ink")
    x_large, notes = prepared.x, prepared.notes
    np.testing.assert_array_equal(x_large, x_small)
    assert any("16x16" in note for note in notes)


@pytest.mark.parametrize(("h", "w", "factor"), [(16, 16, 2), (8, 8, 10), (16, 12, 5), (28, 28, 7)])
def test_whole_number_enlargements_by_any_enlarger_are_undone_exactly(h, w, factor):
    rng = np.random.default_rng(h * w + factor)
    small = rng.integers(0, 256, (h, w)).astype(np.uint8)
    repeated = np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)  # what any nearest enlarger gives
    np.testing.assert_array_equal(native_pixels(repeated), small)


@pytest.mark.parametrize("side", [53, 100, 137, 280, 1000])
def test_fractional_enlargements_are_undone(side):
    small = (np.random.default_rng(side).random((16, 16)) > 0.5).astype(np.uint8) * 255
    enlarged = np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.NEAREST))
    np.testing.assert_array_equal(native_pixels(enlarged), small)


def test_pictures_that_are_not_such_enlargements_are_left_alone():
    rng = np.random.default_rng(0)
    small = (rng.random((16, 16)) > 0.5).astype(np.uint8) * 255
    smooth = np.asarray(Image.fromarray(small).resize((128, 128), Image.Resampling.BILINEAR))
    # blocks of 7 across JPEG's tiles of 8 (blocks of 8 on its tiles are stored exactly, and are taken)
    nearest = np.asarray(Image.fromarray(small).resize((112, 112), Image.Resampling.NEAREST))
    as_jpeg = np.asarray(Image.open(io.BytesIO(_file(nearest, "JPEG"))))
    drawn = draw_digit("5", width=19)  # a canvas drawing: anti-aliased edges
    few_blocks = np.kron(np.eye(4, dtype=np.uint8) * 255, np.ones((40, 40), np.uint8))  # 4x4 blocks: too few
    for picture in (smooth, as_jpeg, drawn, rng.random((64, 64)), few_blocks, small):
        assert native_pixels(picture) is None
