"""Glyphs drawn the way people draw them: stroke templates, a random "hand", a round pen.

The Draw page's users write with a mouse or a finger, thick or thin, slanted, small or filling the
canvas. To measure (and calibrate) how the model copes, this module renders stroke templates of
digits, letters and shapes through a seeded hand: every control point wobbles, the glyph is slanted,
rotated and stretched, placed anywhere on the canvas, and drawn with a round pen of any width. The
same renderer draws digits and non-digits, so a rule fitted on them must tell them apart by shape,
not by how they were drawn.

Templates are polylines in a unit box (x right, y down); a glyph is a list of strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]
Glyph = list[Stroke]

CANVAS = 280  # side of the Draw page's canvas, pixels


def _circle(cx: float, cy: float, rx: float, ry: float, start: float = -90, end: float = 270, n: int = 14) -> Stroke:
    a = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(t), cy + ry * np.sin(t)) for t in a]


# Several templates per digit: people write 1, 4, 7 and 9 in more than one way.
DIGITS: dict[str, list[Glyph]] = {
    "0": [[_circle(0.5, 0.5, 0.33, 0.45)], [_circle(0.5, 0.5, 0.25, 0.46, -100, 265)]],
    "1": [
        [[(0.5, 0.05), (0.5, 0.95)]],
        [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]],
        [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)], [(0.3, 0.95), (0.8, 0.95)]],
    ],
    "2": [
        [[(0.15, 0.25), (0.3, 0.08), (0.6, 0.05), (0.82, 0.2), (0.8, 0.42), (0.15, 0.95), (0.9, 0.95)]],
        [
            [
                (0.2, 0.2),
                (0.5, 0.04),
                (0.8, 0.2),
                (0.7, 0.5),
                (0.25, 0.9),
                (0.2, 0.82),
                (0.35, 0.8),
                (0.55, 0.95),
                (0.9, 0.9),
            ]
        ],
    ],
    "3": [
        [
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
        [[(0.15, 0.05), (0.85, 0.05), (0.45, 0.42), (0.8, 0.55), (0.85, 0.8), (0.5, 0.97), (0.15, 0.88)]],
    ],
    "4": [
        [[(0.6, 0.05), (0.12, 0.65), (0.88, 0.65)], [(0.65, 0.35), (0.65, 0.95)]],
        [[(0.25, 0.05), (0.2, 0.55), (0.85, 0.55)], [(0.7, 0.05), (0.7, 0.95)]],
    ],
    "5": [
        [[(0.85, 0.05), (0.25, 0.05), (0.2, 0.45), (0.55, 0.4), (0.82, 0.55), (0.82, 0.8), (0.5, 0.96), (0.15, 0.88)]],
        [
            [(0.25, 0.05), (0.2, 0.45), (0.55, 0.4), (0.82, 0.55), (0.82, 0.8), (0.5, 0.96), (0.15, 0.88)],
            [(0.25, 0.05), (0.85, 0.05)],
        ],
    ],
    "6": [
        [
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
        ]
    ],
    "7": [
        [[(0.15, 0.08), (0.85, 0.08), (0.45, 0.95)]],
        [[(0.15, 0.08), (0.85, 0.08), (0.45, 0.95)], [(0.35, 0.5), (0.8, 0.5)]],
    ],
    "8": [
        [
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
        [_circle(0.5, 0.27, 0.24, 0.23), _circle(0.5, 0.73, 0.3, 0.24)],
    ],
    "9": [
        [[(0.8, 0.35), (0.55, 0.5), (0.25, 0.4), (0.2, 0.18), (0.45, 0.03), (0.75, 0.1), (0.8, 0.35), (0.75, 0.97)]],
        [_circle(0.45, 0.3, 0.28, 0.26), [(0.73, 0.3), (0.73, 0.97)]],
    ],
}

# Letters that do not look like a digit (the issue lets O, I, l, S, Z, B, G, q go either way).
LETTERS: dict[str, list[Glyph]] = {
    "A": [[[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.28, 0.6), (0.72, 0.6)]]],
    "C": [[_circle(0.55, 0.5, 0.38, 0.45, -40, -320)]],
    "D": [[[(0.2, 0.05), (0.2, 0.95)], [(0.2, 0.05), (0.55, 0.08), (0.82, 0.3), (0.85, 0.6), (0.6, 0.9), (0.2, 0.95)]]],
    "E": [[[(0.85, 0.05), (0.2, 0.05), (0.2, 0.95), (0.85, 0.95)], [(0.2, 0.5), (0.7, 0.5)]]],
    "F": [[[(0.85, 0.05), (0.2, 0.05), (0.2, 0.95)], [(0.2, 0.5), (0.7, 0.5)]]],
    "H": [[[(0.15, 0.05), (0.15, 0.95)], [(0.85, 0.05), (0.85, 0.95)], [(0.15, 0.5), (0.85, 0.5)]]],
    "K": [[[(0.2, 0.05), (0.2, 0.95)], [(0.8, 0.05), (0.2, 0.55)], [(0.38, 0.42), (0.85, 0.95)]]],
    "L": [[[(0.2, 0.05), (0.2, 0.95), (0.85, 0.95)]]],
    "M": [[[(0.1, 0.95), (0.15, 0.05), (0.5, 0.6), (0.85, 0.05), (0.9, 0.95)]]],
    "N": [[[(0.15, 0.95), (0.15, 0.05), (0.85, 0.95), (0.85, 0.05)]]],
    "P": [[[(0.2, 0.95), (0.2, 0.05), (0.6, 0.05), (0.82, 0.2), (0.8, 0.4), (0.6, 0.52), (0.2, 0.52)]]],
    "R": [
        [
            [(0.2, 0.95), (0.2, 0.05), (0.6, 0.05), (0.82, 0.2), (0.8, 0.4), (0.6, 0.52), (0.2, 0.52)],
            [(0.45, 0.52), (0.85, 0.95)],
        ]
    ],
    "T": [[[(0.1, 0.05), (0.9, 0.05)], [(0.5, 0.05), (0.5, 0.95)]]],
    "U": [[[(0.15, 0.05), (0.15, 0.7), (0.3, 0.92), (0.5, 0.97), (0.7, 0.92), (0.85, 0.7), (0.85, 0.05)]]],
    "V": [[[(0.1, 0.05), (0.5, 0.95), (0.9, 0.05)]]],
    "W": [[[(0.05, 0.05), (0.25, 0.95), (0.5, 0.35), (0.75, 0.95), (0.95, 0.05)]]],
    "X": [[[(0.12, 0.05), (0.88, 0.95)], [(0.88, 0.05), (0.12, 0.95)]]],
    "Y": [[[(0.1, 0.05), (0.5, 0.5), (0.9, 0.05)], [(0.5, 0.5), (0.5, 0.95)]]],
    "a": [[_circle(0.45, 0.65, 0.3, 0.3, -30, 330), [(0.78, 0.35), (0.78, 0.95)]]],
    "e": [[[(0.15, 0.6), (0.85, 0.6), (0.8, 0.4), (0.5, 0.3), (0.2, 0.45), (0.18, 0.75), (0.45, 0.95), (0.85, 0.85)]]],
    "h": [[[(0.2, 0.05), (0.2, 0.95)], [(0.2, 0.55), (0.45, 0.38), (0.75, 0.45), (0.8, 0.95)]]],
    "k": [[[(0.2, 0.05), (0.2, 0.95)], [(0.75, 0.35), (0.2, 0.7)], [(0.4, 0.6), (0.8, 0.95)]]],
    "m": [
        [
            [(0.1, 0.95), (0.1, 0.4), (0.3, 0.35), (0.45, 0.45), (0.48, 0.95)],
            [(0.48, 0.45), (0.7, 0.35), (0.88, 0.45), (0.9, 0.95)],
        ]
    ],
    "n": [[[(0.2, 0.95), (0.2, 0.4)], [(0.2, 0.5), (0.45, 0.35), (0.75, 0.42), (0.8, 0.95)]]],
    "r": [[[(0.3, 0.95), (0.3, 0.4)], [(0.3, 0.55), (0.5, 0.38), (0.8, 0.38)]]],
    "t": [[[(0.45, 0.05), (0.45, 0.85), (0.6, 0.95), (0.8, 0.9)], [(0.15, 0.35), (0.8, 0.35)]]],
    "u": [[[(0.2, 0.35), (0.2, 0.8), (0.4, 0.95), (0.65, 0.9), (0.8, 0.75)], [(0.8, 0.35), (0.8, 0.95)]]],
    "v": [[[(0.15, 0.35), (0.5, 0.95), (0.85, 0.35)]]],
    "w": [[[(0.05, 0.35), (0.28, 0.95), (0.5, 0.5), (0.72, 0.95), (0.95, 0.35)]]],
    "x": [[[(0.15, 0.35), (0.85, 0.95)], [(0.85, 0.35), (0.15, 0.95)]]],
    "y": [[[(0.15, 0.3), (0.5, 0.7)], [(0.85, 0.3), (0.35, 0.98)]]],
    "f": [[[(0.8, 0.1), (0.6, 0.03), (0.45, 0.15), (0.45, 0.95)], [(0.2, 0.4), (0.75, 0.4)]]],
    "p": [[[(0.25, 0.3), (0.25, 0.98)], _circle(0.5, 0.5, 0.25, 0.2)]],
    "d": [[_circle(0.45, 0.7, 0.28, 0.25, 0, 360), [(0.73, 0.05), (0.73, 0.97)]]],
}

SHAPES: dict[str, list[Glyph]] = {
    "square": [[[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)]]],
    "triangle": [[[(0.5, 0.08), (0.92, 0.9), (0.08, 0.9), (0.5, 0.08)]]],
    "star": [[[(0.5 + 0.45 * np.sin(t), 0.52 - 0.45 * np.cos(t)) for t in np.radians(np.arange(0, 721, 144))]]],
    "plus": [[[(0.5, 0.08), (0.5, 0.92)], [(0.08, 0.5), (0.92, 0.5)]]],
    "heart": [
        [
            [
                (0.5, 0.3),
                (0.35, 0.1),
                (0.12, 0.15),
                (0.08, 0.4),
                (0.5, 0.92),
                (0.92, 0.4),
                (0.88, 0.15),
                (0.65, 0.1),
                (0.5, 0.3),
            ]
        ]
    ],
    "arrow": [[[(0.05, 0.5), (0.95, 0.5)], [(0.65, 0.2), (0.95, 0.5), (0.65, 0.8)]]],
    "smiley": [
        [
            _circle(0.5, 0.5, 0.45, 0.45, 0, 360, 20),
            [(0.35, 0.35), (0.36, 0.4)],
            [(0.65, 0.35), (0.66, 0.4)],
            _circle(0.5, 0.55, 0.25, 0.2, 20, 160, 8),
        ]
    ],
    "house": [
        [
            [(0.1, 0.95), (0.1, 0.45), (0.5, 0.08), (0.9, 0.45), (0.9, 0.95), (0.1, 0.95)],
            [(0.4, 0.95), (0.4, 0.65), (0.6, 0.65), (0.6, 0.95)],
        ]
    ],
    "diamond": [[[(0.5, 0.05), (0.9, 0.5), (0.5, 0.95), (0.1, 0.5), (0.5, 0.05)]]],
    "spiral": [[[(0.5 + 0.045 * t * np.cos(t), 0.5 + 0.045 * t * np.sin(t)) for t in np.linspace(0, 10, 40)]]],
    "grid": [
        [
            [(0.3, 0.05), (0.3, 0.95)],
            [(0.7, 0.05), (0.7, 0.95)],
            [(0.05, 0.35), (0.95, 0.35)],
            [(0.05, 0.7), (0.95, 0.7)],
        ]
    ],
    "wave": [[[(x, 0.5 + 0.3 * np.sin(x * 4 * np.pi)) for x in np.linspace(0.02, 0.98, 30)]]],
}


@dataclass
class Hand:
    """How one person writes: wobble, slant, rotation, stretch, where and how big, pen width (pixels)."""

    wobble: float = 0.02  # s.d. of each control point's displacement, in glyph units
    slant: float = 0.0  # horizontal shear (x += slant * (0.5 - y))
    rotate_deg: float = 0.0
    aspect: float = 1.0  # width / height of the box the glyph fills
    box: tuple[float, float, float, float] = (0.2, 0.1, 0.8, 0.9)  # left, top, right, bottom (canvas fractions)
    pen: float = 18.0  # pen width, in pixels of the 280-pixel canvas

    @classmethod
    def random(cls, rng: np.random.Generator, *, pen: tuple[float, float] = (0.03, 0.16)) -> Hand:
        """A plausible writer: small or large, anywhere, a little slanted or rotated, with a pen whose
        width is drawn (log-uniformly) from `pen`, as a share of the glyph's height."""
        height = rng.uniform(0.25, 0.95)
        aspect = float(np.exp(rng.uniform(np.log(0.45), np.log(1.6))))
        width = min(height * aspect, 0.95)
        left, top = rng.uniform(0.02, 0.98 - width), rng.uniform(0.02, 0.98 - height)
        return cls(
            wobble=rng.uniform(0.0, 0.04),
            slant=rng.uniform(-0.35, 0.35),
            rotate_deg=rng.uniform(-15, 15),
            aspect=aspect,
            box=(left, top, left + width, top + height),
            pen=float(np.exp(rng.uniform(np.log(pen[0]), np.log(pen[1])))) * height * CANVAS,
        )


def _smooth(points: np.ndarray, per_segment: int = 6) -> np.ndarray:
    """A Catmull-Rom curve through the points: a hand's stroke has no corners sharper than it drew."""
    if len(points) < 3:
        return points
    p = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    out.append(points[-1:])
    return np.concatenate(out)


def draw_glyph(
    glyph: Glyph, hand: Hand, rng: np.random.Generator | None = None, *, size: int = CANVAS, smooth: bool = True
) -> np.ndarray:
    """The glyph written by `hand` on a black size x size canvas: (size, size) float32, white ink in [0, 1]."""
    rng = rng if rng is not None else np.random.default_rng(0)
    left, top, right, bottom = (v * size for v in hand.box)
    angle = np.radians(hand.rotate_deg)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    img = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(img)
    width = max(1, int(round(hand.pen * size / CANVAS)))
    for stroke in glyph:
        pts = np.asarray(stroke, dtype=np.float64)
        pts = pts + rng.normal(0, hand.wobble, pts.shape)
        pts[:, 0] += hand.slant * (0.5 - pts[:, 1])
        pts = (pts - 0.5) @ rot.T + 0.5
        if smooth:
            pts = _smooth(pts)
        xy = [(left + x * (right - left), top + y * (bottom - top)) for x, y in pts]
        if len(xy) == 1:
            xy = xy * 2
        pen.line(xy, fill=255, width=width, joint="curve")
        r = width / 2
        for x, y in (xy[0], xy[-1]):
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0
