"""Digits drawn the way people draw them on a 280x280 canvas: polylines with a round brush."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# Stroke paths of a few digits in a unit box (x right, y down).
STROKES = {
    "0": [
        [
            (0.5, 0.05),
            (0.2, 0.2),
            (0.12, 0.5),
            (0.2, 0.8),
            (0.5, 0.95),
            (0.8, 0.8),
            (0.88, 0.5),
            (0.8, 0.2),
            (0.5, 0.05),
        ]
    ],
    "1": [[(0.45, 0.13), (0.55, 0.05), (0.55, 0.95)]],  # a short flag: a long one reads as a 7 (as in MNIST)
    "7": [[(0.15, 0.08), (0.85, 0.08), (0.45, 0.95)]],
    "4": [[(0.6, 0.05), (0.12, 0.65), (0.88, 0.65)], [(0.65, 0.35), (0.65, 0.95)]],
    "2": [[(0.15, 0.25), (0.3, 0.08), (0.6, 0.05), (0.82, 0.2), (0.8, 0.42), (0.15, 0.95), (0.9, 0.95)]],
    "3": [
        [
            (0.15, 0.1),
            (0.5, 0.03),
            (0.82, 0.18),
            (0.75, 0.4),
            (0.45, 0.5),
            (0.8, 0.6),
            (0.85, 0.82),
            (0.5, 0.97),
            (0.15, 0.88),
        ]
    ],
    "5": [[(0.85, 0.05), (0.25, 0.05), (0.2, 0.45), (0.55, 0.4), (0.82, 0.55), (0.82, 0.8), (0.5, 0.96), (0.15, 0.88)]],
    "6": [
        [
            (0.75, 0.05),
            (0.4, 0.25),
            (0.2, 0.6),
            (0.25, 0.88),
            (0.5, 0.97),
            (0.78, 0.85),
            (0.8, 0.62),
            (0.55, 0.5),
            (0.25, 0.62),
        ]
    ],
    "8": [
        [
            (0.5, 0.5),
            (0.2, 0.3),
            (0.3, 0.08),
            (0.5, 0.03),
            (0.72, 0.1),
            (0.78, 0.3),
            (0.5, 0.5),
            (0.2, 0.7),
            (0.28, 0.92),
            (0.5, 0.97),
            (0.75, 0.9),
            (0.82, 0.7),
            (0.5, 0.5),
        ]
    ],
    "9": [[(0.8, 0.35), (0.55, 0.5), (0.25, 0.4), (0.2, 0.18), (0.45, 0.03), (0.75, 0.1), (0.8, 0.35), (0.75, 0.97)]],
}


def draw_digit(
    digit: str,
    *,
    size: int = 280,
    box: tuple[float, float, float, float] = (0.2, 0.1, 0.8, 0.9),
    width: int = 18,
    ink: int = 255,
    paper: int = 0,
    rgba: bool = False,
) -> np.ndarray:
    """The digit drawn inside `box` (left, top, right, bottom as fractions of the canvas)."""
    img = Image.new("RGBA" if rgba else "L", (size, size), (0, 0, 0, 0) if rgba else paper)
    pen = ImageDraw.Draw(img)
    left, top, right, bottom = (v * size for v in box)
    fill = (ink, ink, ink, 255) if rgba else ink
    for stroke in STROKES[digit]:
        points = [(left + x * (right - left), top + y * (bottom - top)) for x, y in stroke]
        pen.line(points, fill=fill, width=width, joint="curve")
        r = width / 2
        for x, y in points:
            pen.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    return np.asarray(img)


def cut_to_ink(gray: np.ndarray, side: int, *, fill: bool = False) -> np.ndarray:
    """A drawing (uint8, ink bright) cut to its ink's bounding box, as datasets store a glyph, and reduced
    (averaging) so that its longest side is `side` pixels, or (`fill`) stretched to fill a side x side
    square, as Semeion stores its digits."""
    rows, cols = np.flatnonzero(gray.max(axis=1) > 0), np.flatnonzero(gray.max(axis=0) > 0)
    glyph = Image.fromarray(gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    k = side / max(glyph.size)
    size = (side, side) if fill else (max(1, round(glyph.width * k)), max(1, round(glyph.height * k)))
    return np.asarray(glyph.resize(size, Image.Resampling.BOX))


def save_png(array: np.ndarray, path) -> None:
    Image.fromarray(array).save(path)
