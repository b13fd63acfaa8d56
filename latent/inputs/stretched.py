"""A 1 stretched to fill a square box, read at a 1's usual width.

Some datasets and forms store each digit stretched to fill a square (Semeion's 16x16 black-and-white
digits, written by about 80 people). Most digits keep their strokes that way, but a 1 becomes one
thick band from corner to corner, or a block: a shape the mixtures never saw (MNIST's test digits so
stored: their 1s 56 % right, most of the rest "none", benchmarks/uploads.py). Such a picture is told
by its shape alone, before the model sees it: square, its ink spanning its height, one run of ink
across nearly every row, the runs about as long as each other and narrower than the square (a filled
square is a shape), their centres on a straight line (a 7's bar, a 4's crossing, a 0's two sides, a
scribble's turns are not). The ink need not span all the width: a thick 1's faint edges may have
been stretched to the box and its dark core, thresholded to black and white, be a band or a block
narrower than the box. A band spanning less than SPAN_WIDTH of it is a glyph that did not fill the box
(scikit-learn's 8x8 digits enlarged: a bold 8 whose loops closed at 8 pixels is such a band). It is
narrowed to the width of MNIST's training 1s and read as any picture is: the model still decides what
it is, and may answer "none".

A 1 written as a bracket is a bowed band, and a 1 with a flag or a foot is up to twice as wide at one
end (a third of MNIST's test 1s so stored were neither straight nor even enough). Such a band is taken
too when it fills the box across (BOWED_SPAN_WIDTH) and has rows enough to tell a bow from a loop
(BOWED_ROWS): scikit-learn's 3s and 8s enlarged from 8 pixels, their loops closed, are bowed bands
about 0.6 of their box wide, and at 8 pixels a closed 6 or 8 is a bowed, uneven band. What it costs:
a few letters and scribbles stored the same way are such bands too (a t, a J, an S-like stroke) and
one or two in a hundred more read as 1s.

Any other glyph filling its square (`fills_square`) has lost its width too: it is read as it is and
at the training digits' usual width, and the likelier code wins (`latent.bundle.width`), as a digit
drawn wider than they are is. Every picture filling its square is then tested against the "none"
thresholds set on validation digits stored that way (`latent.workflows.filled_squares`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from latent.inputs.imaging import outermost

SQUARE = (0.8, 1.25)  # width / height of a picture that can be a square box
SPAN = 0.8  # the ink spans at least this share of the picture's height (a margin round it: drawn, not stretched)
SPAN_WIDTH = 0.6  # and at least this share of its width
ONE_RUN = 0.85  # at least this share of the ink's rows is crossed by exactly one run of ink
EVEN = 1.7  # the runs' 90th percentile length at most this many times their 10th
BAND = 0.8  # and their median at most this share of the picture's width (a filled square is a shape)
STRAIGHT = 0.15  # the runs' centres within this share of their median length (std) of a straight line
BOWED_EVEN = 2.0  # a bowed band (centres within STRAIGHT of a parabola): 90th percentile run <= this x 10th
BOWED_SPAN_WIDTH = 0.7  # its ink spanning at least this share of the width
BOWED_ROWS = 12  # in a picture at least this many pixels tall
FILL_SIDE = 32  # a glyph stretched to fill its box is stored small (Semeion: 16x16); a larger one is cut to its ink
ONE_WIDTH = 0.4  # width / height of MNIST's training 1s' ink, median (quartiles 0.3 and 0.6)
NOTE = (
    "a square holding one band of ink from top to bottom, as a 1 stretched to fill its box is: "
    "read at a 1's usual width"
)
FILLED_NOTE = (
    "its ink fills the square, as a digit stretched to fill its box does: also read at the training digits' usual "
    "width, and tested against digits stored that way"
)


def _ink(gray: np.ndarray) -> np.ndarray:
    """The ink of a picture on a plain background: the pixels past half-way from its frame's side."""
    return gray < 0.5 if np.median(outermost(gray)) > 0.5 else gray > 0.5


def _square_ink(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(ink, its rows, its columns) of a square picture (SQUARE) holding ink; None for any other."""
    h, w = gray.shape
    if not SQUARE[0] <= w / h <= SQUARE[1]:
        return None
    ink = _ink(gray)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return (ink, rows, cols) if len(rows) else None


def fills_square(gray: np.ndarray) -> bool:
    """Whether a picture in [0, 1] on a plain background is a small square (FILL_SIDE) its ink spans (SPAN
    of its height and of its width): a glyph stretched to fill its box, which has lost its width. Larger
    ones are left as they are: a drawing cut to its ink is often square too (a 0, a symbol), and kept its
    width (read also at the usual width, 4 of 150 more such symbols read as digits, `uploads.py`)."""
    gray = np.asarray(gray, dtype=np.float32)
    found = _square_ink(gray) if max(gray.shape) <= FILL_SIDE else None
    if found is None:
        return False
    _, rows, cols = found
    h, w = gray.shape
    return bool(rows[-1] - rows[0] + 1 >= SPAN * h and cols[-1] - cols[0] + 1 >= SPAN * w)


def straight_band(gray: np.ndarray) -> bool:
    """Whether a picture in [0, 1] on a plain background is a square holding one straight band of ink of
    even width from top to bottom, or a bowed one filling it (module docstring)."""
    gray = np.asarray(gray, dtype=np.float32)
    found = _square_ink(gray)
    if found is None:
        return False
    ink, rows, cols = found
    h, w = gray.shape
    ink_width = cols[-1] - cols[0] + 1
    if rows[-1] - rows[0] + 1 < SPAN * h or ink_width < SPAN_WIDTH * w:
        return False
    ink = ink[rows[0] : rows[-1] + 1]
    runs = ink[:, 0].astype(int) + np.count_nonzero(ink[:, 1:] & ~ink[:, :-1], axis=1)
    one = runs == 1
    if one.sum() < max(3, ONE_RUN * len(ink)):
        return False
    lengths = ink[one].sum(axis=1).astype(np.float64)
    centres = (ink[one] * np.arange(w)).sum(axis=1) / lengths
    at = np.flatnonzero(one).astype(np.float64)
    short, long = np.percentile(lengths, [10, 90])
    typical = float(np.median(lengths))
    if typical > BAND * w:
        return False

    def near(degree: int) -> bool:  # the centres within STRAIGHT of a line (1) or a parabola (2)
        off = centres - np.polyval(np.polyfit(at, centres, degree), at)
        return bool(off.std() <= STRAIGHT * max(typical, 1.0))

    if long <= EVEN * max(short, 1.0) and near(1):
        return True
    room_for_a_bow = ink_width >= BOWED_SPAN_WIDTH * w and h >= BOWED_ROWS
    return bool(room_for_a_bow and long <= BOWED_EVEN * max(short, 1.0) and near(2))


def at_ones_width(gray: np.ndarray) -> np.ndarray:
    """The picture narrowed (averaging) to ONE_WIDTH of its height."""
    gray = np.asarray(gray, dtype=np.float32)
    h = gray.shape[0]
    size = (max(1, round(h * ONE_WIDTH)), h)
    return np.asarray(Image.fromarray(gray, mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32)
