"""A picture enlarged by repeating its pixels, read at its own pixels.

Small pictures are often enlarged before they are shared: a 16x16 scan shown as 128x128, scikit-learn's
8x8 digits saved at 64x64, an icon exported at 4x. Enlarged the plain way (nearest neighbour), each
pixel becomes a block of identical pixels and nothing is added; but the reading does not know that, and
reads the blocks' staircase outline as a large picture's ink (Semeion-like digits stored 16x16 black and
white: 95.0 % right as 16-pixel files, 93.8 % at 128 pixels, benchmarks/uploads.py). The same pixels
should get the same answer, so such a picture is reduced back to the pixels it was made from before
anything else is done to it.

It is told from the picture alone: along each axis, the lines (rows, columns) change only at the
boundaries of a grid of blocks at least MIN_REPEAT lines wide, exactly for a whole-number enlargement;
for any other, blocks at least MIN_FRACTIONAL_REPEAT wide and edges within one line (enlargers round a
fractional block edge either way). Photos, drawings with smooth edges and JPEG files (unless their
blocks lie on its 8x8 tiles, which it stores exactly) change between almost every two lines and are
never taken.
"""

from __future__ import annotations

import numpy as np

MIN_REPEAT = 2  # each pixel repeated at least this many times along each axis
MIN_FRACTIONAL_REPEAT = 3  # an enlargement by a fractional factor: its block edges may be one line off
MIN_SIDE = 8  # a picture made from fewer pixels on its longer side is a few blocks, not a glyph: read as it is
NOTE = "enlarged by repeating each pixel: read at its own {w}x{h} pixels"


def _changes(lines: np.ndarray) -> np.ndarray:
    """Indices i where line i differs from line i - 1 (lines along axis 0)."""
    return np.flatnonzero(np.any(lines[1:] != lines[:-1], axis=1)) + 1


def _grid(lines: np.ndarray) -> np.ndarray | None:
    """One line index per original pixel (the middle of its block) when the lines along axis 0 change
    only at the block edges of an enlargement; None otherwise. The coarsest such grid is taken."""
    length = len(lines)
    changes = _changes(lines)
    if len(changes) < 2:
        return None
    gap = int(np.diff(changes).min())
    if gap < MIN_REPEAT:
        return None
    # blocks are `repeat` lines long, so the shortest run between two changes is about one block
    for side in range(max(2, length // (gap + 1)), length // max(gap - 1, MIN_REPEAT) + 1):
        repeat = length / side
        whole = abs(repeat - round(repeat)) < 1e-9
        if not whole and repeat < MIN_FRACTIONAL_REPEAT:
            continue
        edge = np.round(changes / repeat)
        off = np.abs(changes - edge * repeat)
        if np.all(off <= (1e-6 if whole else 1.0 + 1e-6)) and len(np.unique(edge)) == len(edge):
            return np.minimum(((np.arange(side) + 0.5) * repeat).astype(int), length - 1)
    return None


def native_pixels(gray: np.ndarray) -> np.ndarray | None:
    """`gray` (H, W) at the pixels it was enlarged from when it is a nearest-neighbour enlargement
    (module docstring); None when it is not one."""
    gray = np.asarray(gray)
    if gray.ndim != 2:
        return None
    rows = _grid(gray)
    if rows is None:
        return None
    cols = _grid(gray.T)
    if cols is None or max(len(rows), len(cols)) < MIN_SIDE:
        return None
    return gray[rows][:, cols]
