"""Digits stored the way datasets and scanners store them: cut to the ink, stretched to fill a small
square, black and white, written with a bolder pen.

Semeion's handwritten digits (about 80 writers) are each stretched to fill a 16x16 box and thresholded
to black and white; many scans are cut close round the glyph. `benchmarks/uploads.py` uploads MNIST's
test digits so stored, and the "none" rule sets thresholds of its own for pictures that fill a small
square on validation digits so stored (`latent.workflows.filled_squares`).
Every function takes and returns a uint8 picture, ink bright.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SEMEION_SIDE = 16  # Semeion's digits are 16x16


def resized(image: np.ndarray, width: int, height: int, resample: str = "BILINEAR") -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling[resample]))


def cut_to_ink(image: np.ndarray, side: int, *, fill: bool = False) -> np.ndarray:
    """A digit cut to its ink's bounding box and resized: its longest side to `side` pixels, or (`fill`)
    stretched to fill a side x side box."""
    rows, cols = np.flatnonzero(image.max(axis=1) > 0), np.flatnonzero(image.max(axis=0) > 0)
    if not len(rows):
        return image
    glyph = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if fill:
        return resized(glyph, side, side)
    k = side / max(glyph.shape)
    return resized(glyph, max(1, round(glyph.shape[1] * k)), max(1, round(glyph.shape[0] * k)))


def black_and_white(image: np.ndarray) -> np.ndarray:
    """Thresholded at half-way, as a bilevel scan or a binarised dataset is."""
    return np.where(image > 127, 255, 0).astype(np.uint8)


def as_semeion(image: np.ndarray) -> np.ndarray:
    """A digit as Semeion stores one: stretched to fill a 16x16 box, then black and white."""
    return black_and_white(cut_to_ink(image, SEMEION_SIDE, fill=True))


def bolder(image: np.ndarray) -> np.ndarray:
    """A digit written with a pen about one pixel thicker: dilated 3x3 at twice its size, reduced back."""
    from scipy import ndimage

    height, width = image.shape
    big = ndimage.grey_dilation(resized(image, 2 * width, 2 * height), footprint=np.ones((3, 3)))
    return resized(big, width, height, "BOX")
