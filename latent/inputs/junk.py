"""Seeded test inputs from outside the training set: foreign kinds ("junk") and real-handwriting variations.

A "none" answer that only beats one foreign dataset is not trust. These generators make what people
really give a digit model, each kind from its own recipe, so that a rule can be fitted on some kinds
and measured on the others (leave one kind out):

- drawn on the canvas (white ink on black, 280x280): letters (stroke templates and fonts), scribbles,
  shapes; and, as the digits' side, digits in many hands, fonts and pens;
- uploaded (any picture, through the photo cleaning): photo crops, textures, gradients, noise, and
  letters or digits photographed on paper.

Every kind returns `Sample`s: the raw picture and how it arrives (`via`: "canvas" or "upload"), so the
same preprocessing the Draw page and `classify` apply turns it into a model input (`model_inputs`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from latent.inputs import handwriting as hw
from latent.inputs.preprocess import CANVAS, INK, SIZE, UPLOAD


@dataclass
class Sample:
    image: np.ndarray  # (H, W) float32 in [0, 1]
    via: str  # CANVAS (ink is white on black, as the Draw page's canvas) or UPLOAD (any picture)
    label: str | None = None  # the digit it shows, for the digit sets; None for junk


# --------------------------------------------------------------------------- fonts

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")


@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """TrueType fonts on this machine (any), sorted; empty when there are none (Pillow's own is used)."""
    found = []
    for root in FONT_DIRS:
        p = Path(root)
        if p.is_dir():
            found += [str(f) for f in p.rglob("*") if f.suffix.lower() in (".ttf", ".otf")]
    return tuple(sorted(found))


@lru_cache(maxsize=512)
def _load_font(path: str | None, size: int):
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _font(rng: np.random.Generator, size: int):
    """A random font of this machine at about `size` pixels (sizes rounded to 8 so fonts can be reused)."""
    files = font_files()
    return _load_font(files[int(rng.integers(len(files)))] if files else None, max(8, size // 8 * 8))


def _elastic(image: np.ndarray, rng: np.random.Generator, strength: float = 0.04) -> np.ndarray:
    """A smooth random warp (a hand's wobble) of a glyph image in [0, 1]: uint8 of the same shape."""
    from scipy import ndimage

    h, w = image.shape
    side = max(h, w)
    field = [ndimage.gaussian_filter(rng.normal(size=(8, 8)), 1.5) for _ in range(2)]
    dy, dx = (
        np.asarray(Image.fromarray(f.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BICUBIC))
        * strength
        * side
        / max(float(np.abs(f).max()), 1e-6)
        for f in field
    )
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    warped = ndimage.map_coordinates(image, [yy + dy, xx + dx], order=1, mode="constant")
    return (np.clip(warped, 0, 1) * 255).astype(np.uint8)


def _has_glyph(font, text: str) -> bool:
    """False when `font` would draw `text` as its "missing glyph" box."""
    try:
        return bytes(font.getmask(text)) != bytes(font.getmask("\uffff"))
    except (OSError, ValueError):
        return False


def render_text(text, rng: np.random.Generator, *, size: int = hw.CANVAS) -> np.ndarray:
    """`text` (or one of several strings) in a random font that has it, weight-like stroke, a hand's
    wobble, rotation and place: white on black, (size, size) in [0, 1]."""
    height = rng.uniform(0.3, 0.9) * size
    candidates = [text] if isinstance(text, str) else list(text)
    for _ in range(24):  # a font without the character would draw a box, which reads like a 0 or a 1
        text = candidates[int(rng.integers(len(candidates)))]
        font = _font(rng, int(height))
        if _has_glyph(font, text):
            break
    else:
        text, font = "&", _load_font(None, max(8, int(height) // 8 * 8))
    stroke = int(rng.integers(0, max(1, int(height / 12))))
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text((size // 2, size // 2), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    img = img.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    box = img.getbbox()
    if box is None:
        return np.zeros((size, size), dtype=np.float32)
    glyph = Image.fromarray(_elastic(np.asarray(img.crop(box), dtype=np.float32) / 255.0, rng))
    w, h = glyph.size
    scale = min(size * 0.95 / max(w, h), 1.0)
    glyph = glyph.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    left = int(rng.integers(0, size - glyph.size[0] + 1))
    top = int(rng.integers(0, size - glyph.size[1] + 1))
    canvas.paste(glyph, (left, top))
    return np.asarray(canvas, dtype=np.float32) / 255.0


# --------------------------------------------------------------------------- paper and photos


def on_paper(ink: np.ndarray, rng: np.random.Generator, *, size: int = hw.CANVAS) -> np.ndarray:
    """White-on-black ink as a phone photo of dark ink on paper: grey, unevenly lit, maybe shadowed,
    a strip of desk at one edge, blur, noise and JPEG. Returns (H, W) float32 in [0, 1], H and W
    about 0.7 to 2.3 times `size`."""
    side = int(rng.integers(size * 5 // 7, size * 16 // 7))
    margin = rng.uniform(0.15, 0.6)
    h = w = side
    inner = max(8, int(side * (1 - margin)))
    ink_img = Image.fromarray((np.clip(ink, 0, 1) * 255).astype(np.uint8)).resize(
        (inner, inner), Image.Resampling.BILINEAR
    )
    layer = np.zeros((h, w), dtype=np.float32)
    top, left = (int(rng.integers(0, side - inner + 1)) for _ in range(2))
    layer[top : top + inner, left : left + inner] = np.asarray(ink_img, dtype=np.float32) / 255.0
    yy, xx = np.mgrid[:h, :w].astype(np.float32) / side
    paper = rng.uniform(0.55, 0.95) + rng.uniform(-0.25, 0.25) * (xx - 0.5) + rng.uniform(-0.25, 0.25) * (yy - 0.5)
    paper = paper - rng.uniform(0, 0.25) * ((xx - rng.uniform()) ** 2 + (yy - rng.uniform()) ** 2)  # vignette
    if rng.uniform() < 0.5:  # a soft shadow across part of the page
        a, b = rng.normal(size=2)
        edge = (a * (xx - 0.5) + b * (yy - 0.5)) / (np.hypot(a, b) + 1e-6) - rng.uniform(-0.3, 0.3)
        paper = paper - rng.uniform(0.1, 0.3) / (1 + np.exp(-edge * rng.uniform(10, 40)))
    ink_level = rng.uniform(0.0, 0.35)
    picture = paper * (1 - layer) + ink_level * paper * layer
    if rng.uniform() < 0.5:  # a strip of desk along one edge
        cut = int(rng.uniform(0.04, 0.15) * side)
        desk = rng.uniform(0.05, 0.45) + 0.05 * rng.normal(size=(h, w)).astype(np.float32)
        region = [
            (slice(0, cut), slice(None)),
            (slice(h - cut, h), slice(None)),
            (slice(None), slice(0, cut)),
            (slice(None), slice(w - cut, w)),
        ][int(rng.integers(4))]
        picture[region] = desk[region]
    picture = picture + rng.normal(0, rng.uniform(0.005, 0.03), picture.shape)
    img = Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(rng.integers(35, 92)))
    return np.asarray(Image.open(buf), dtype=np.float32) / 255.0


@lru_cache(maxsize=1)
def _sample_photos() -> tuple[np.ndarray, ...]:
    """scikit-learn's two bundled photos, grayscale (offline, no download)."""
    from sklearn.datasets import load_sample_images

    return tuple(
        np.asarray(Image.fromarray(img).convert("L"), dtype=np.float32) / 255.0 for img in load_sample_images().images
    )


def photo_crop(rng: np.random.Generator, size: int = hw.CANVAS) -> np.ndarray:
    """A square crop of a real photo (scikit-learn's two bundled pictures), at most 1.5 x `size` pixels."""
    photos = _sample_photos()
    photo = photos[int(rng.integers(len(photos)))]
    side = int(rng.integers(48, min(photo.shape)))
    top, left = int(rng.integers(0, photo.shape[0] - side + 1)), int(rng.integers(0, photo.shape[1] - side + 1))
    crop = photo[top : top + side, left : left + side]
    out = min(side, int(1.5 * size))
    if out < side:
        crop = np.asarray(Image.fromarray(crop, mode="F").resize((out, out), Image.Resampling.BILINEAR))
    return np.ascontiguousarray(crop, dtype=np.float32)


def _pink_noise(rng: np.random.Generator, side: int) -> np.ndarray:
    f = np.fft.fftfreq(side)
    radius = np.hypot(*np.meshgrid(f, f))
    spectrum = (rng.normal(size=(side, side)) + 1j * rng.normal(size=(side, side))) / np.maximum(radius, 1 / side)
    field = np.real(np.fft.ifft2(spectrum ** rng.uniform(0.8, 1.2)))
    return ((field - field.min()) / (np.ptp(field) + 1e-9)).astype(np.float32)


def texture(rng: np.random.Generator, size: int = hw.CANVAS) -> np.ndarray:
    side = int(rng.integers(min(64, size), size + 1))
    kind = rng.integers(3)
    yy, xx = np.mgrid[:side, :side].astype(np.float32)
    if kind == 0:
        return _pink_noise(rng, side)
    if kind == 1:  # stripes
        angle, period = rng.uniform(0, np.pi), rng.uniform(4, side / 3)
        return (0.5 + 0.5 * np.sin(2 * np.pi * (np.cos(angle) * xx + np.sin(angle) * yy) / period)).astype(np.float32)
    cell = int(rng.integers(4, side // 3))  # checkerboard
    return (((yy // cell + xx // cell) % 2) * rng.uniform(0.4, 1.0)).astype(np.float32)


def gradient(rng: np.random.Generator, size: int = hw.CANVAS) -> np.ndarray:
    side = int(rng.integers(min(64, size), size + 1))
    yy, xx = np.mgrid[:side, :side].astype(np.float32) / side
    if rng.uniform() < 0.5:
        a = rng.uniform(0, 2 * np.pi)
        g = np.cos(a) * xx + np.sin(a) * yy
    else:
        cy, cx = rng.uniform(size=2)
        g = np.hypot(xx - cx, yy - cy)
    g = (g - g.min()) / (np.ptp(g) + 1e-9)
    lo, hi = np.sort(rng.uniform(0, 1, 2))
    return (lo + (hi - lo) * g).astype(np.float32)


def noise(rng: np.random.Generator, size: int = hw.CANVAS) -> np.ndarray:
    side = int(rng.integers(28, size + 1))
    kind = rng.integers(3)
    if kind == 0:
        return rng.uniform(size=(side, side)).astype(np.float32)
    if kind == 1:
        return np.clip(rng.normal(rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.3), (side, side)), 0, 1).astype(np.float32)
    return (rng.uniform(size=(side, side)) < rng.uniform(0.01, 0.3)).astype(np.float32)


# --------------------------------------------------------------------------- drawn junk


def _random_strokes(rng: np.random.Generator) -> hw.Glyph:
    """One to three strokes through random points: anywhere, or where a wandering pen takes them."""
    glyph = []
    for _ in range(int(rng.integers(1, 4))):
        n = int(rng.integers(4, 16))
        if rng.uniform() < 0.5:
            pts = rng.uniform(0.05, 0.95, (n, 2))  # anywhere
        else:
            pts = np.clip(0.5 + np.cumsum(rng.normal(0, 0.2, (n, 2)), axis=0), 0.02, 0.98)  # a wandering pen
        glyph.append([tuple(p) for p in pts])
    return glyph


def _hatching(rng: np.random.Generator) -> hw.Glyph:
    """Back and forth across a patch, as when shading or blacking something out."""
    n = int(rng.integers(5, 16))
    ys = np.linspace(0.1, 0.9, n) + rng.normal(0, 0.02, n)
    xs = np.where(np.arange(n) % 2 == 0, rng.uniform(0.05, 0.3, n), rng.uniform(0.7, 0.95, n))
    return [[(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]]


def _tangle(rng: np.random.Generator) -> hw.Glyph:
    """A long line that wanders in small steps and crosses itself."""
    n = int(rng.integers(20, 45))
    pts = np.clip(0.5 + 0.6 * np.cumsum(rng.normal(0, 0.12, (n, 2)), axis=0), 0.02, 0.98)
    return [[tuple(p) for p in pts]]


def _cross_out(rng: np.random.Generator) -> hw.Glyph:
    """Three to six straight strokes at random, as when crossing something out."""
    return [
        [tuple(rng.uniform(0.05, 0.95, 2)), tuple(rng.uniform(0.05, 0.95, 2))] for _ in range(int(rng.integers(3, 7)))
    ]


def _loops(rng: np.random.Generator) -> hw.Glyph:
    """A row of cursive loops (a pen tried out, or handwriting too small to read)."""
    k = int(rng.integers(3, 8))
    t = np.linspace(0, 2 * np.pi * k, 16 * k)
    r = rng.uniform(0.25, 0.45)
    x = 0.1 + 0.8 * t / t[-1] + 0.3 * r * np.sin(t)
    y = np.clip(0.55 - 0.8 * r * np.cos(t), 0, 1)
    return [[(float(a), float(b)) for a, b in zip(x, y, strict=True)]]


def _zigzag(rng: np.random.Generator) -> hw.Glyph:
    """A zigzag line across the canvas."""
    n = int(rng.integers(5, 14))
    ys = np.where(np.arange(n) % 2 == 0, 0.3, 0.7) + rng.normal(0, 0.05, n)
    return [[(float(x), float(y)) for x, y in zip(np.linspace(0.05, 0.95, n), ys, strict=True)]]


# How people scribble, with how often each is drawn: random strokes most, then the dense and the
# repetitive ways. (A circle gone round again and again is left out: it reads as a 0.)
SCRIBBLE_STYLES: dict[str, tuple[Callable[[np.random.Generator], hw.Glyph], float]] = {
    "strokes": (_random_strokes, 0.4),
    "hatching": (_hatching, 0.15),
    "tangle": (_tangle, 0.15),
    "cross-out": (_cross_out, 0.1),
    "loops": (_loops, 0.1),
    "zigzag": (_zigzag, 0.1),
}


def scribble(rng: np.random.Generator, size: int = hw.CANVAS, *, style: str | None = None) -> np.ndarray:
    """A scribble in one of `SCRIBBLE_STYLES` (drawn at its frequency, unless `style` names one)."""
    if style is None:
        names = list(SCRIBBLE_STYLES)
        style = names[int(rng.choice(len(names), p=[w for _, w in SCRIBBLE_STYLES.values()]))]
    make, _ = SCRIBBLE_STYLES[style]
    return hw.draw_glyph(make(rng), hw.Hand.random(rng), rng, size=size)


def drawn(
    templates: dict[str, list[hw.Glyph]],
    rng: np.random.Generator,
    size: int = hw.CANVAS,
    *,
    pen: tuple[float, float] = (0.03, 0.16),
) -> tuple[str, np.ndarray]:
    """(name, image) of a random template, written by a random hand."""
    name = list(templates)[int(rng.integers(len(templates)))]
    options = templates[name]
    glyph = options[int(rng.integers(len(options)))]
    return name, hw.draw_glyph(glyph, hw.Hand.random(rng, pen=pen), rng, size=size)


# Letters a person could read as a digit: not counted as foreign (the issue lets them go either way).
DIGIT_LIKE_LETTERS = set("OoIilSsZzBGqgb|")
FONT_LETTERS = [c for c in "ABCDEFHJKLMNPQRTUVWXYacdefhjkmnprtuvwxy" if c not in DIGIT_LIKE_LETTERS]


# One generator per kind: (rng, size) -> Sample. `size` is the canvas side (the Draw page's is 280;
# training sets use smaller ones, which are quicker to make and end up as 28x28 all the same).
Maker = Callable[[np.random.Generator, int], Sample]


# Other scripts and symbols: strokes a digit model never saw, none of which reads as a digit.
SYMBOLS = (
    "ΓΔΛΞΠΣΦΨΩαβγδεζηλμξπσφψω"
    "ДЖИЛПФЦШЩЫЮЯджилпфцшщыюя"
    "אבגדהוזחטכלמנסעפצקרשת"
    "∑∫∂√∞≈≠≤≥∆∇∀∃∈∉⊂⊃∪∩±×÷"
    "←↑→↓↔⇒⇔"
    "&@#%?!*+=<>$€£¥§¶"
    "♠♣♥♦★☆☺☻♪♫✓✗"
)


def _canvas(fn: Callable[[np.random.Generator, int], np.ndarray]) -> Maker:
    return lambda rng, size: Sample(fn(rng, size), CANVAS)


def _upload(fn: Callable[[np.random.Generator, int], np.ndarray]) -> Maker:
    return lambda rng, size: Sample(fn(rng, size), UPLOAD)


JUNK: dict[str, Maker] = {
    "letters (drawn)": _canvas(lambda rng, size: drawn(hw.LETTERS, rng, size)[1]),
    "letters (fonts)": _canvas(
        lambda rng, size: render_text(FONT_LETTERS[int(rng.integers(len(FONT_LETTERS)))], rng, size=size)
    ),
    "symbols, other scripts": _canvas(lambda rng, size: render_text(tuple(SYMBOLS), rng, size=size)),
    "scribbles": _canvas(scribble),
    "shapes": _canvas(lambda rng, size: drawn(hw.SHAPES, rng, size)[1]),
    "letters on paper": _upload(lambda rng, size: on_paper(drawn(hw.LETTERS, rng, size)[1], rng, size=size)),
    "photo crops": _upload(photo_crop),
    "textures": _upload(texture),
    "gradients": _upload(gradient),
    "noise": _upload(noise),
}


# --------------------------------------------------------------------------- digits people write


def _drawn_digit(pen: tuple[float, float] = (0.03, 0.16)) -> Maker:
    def make(rng: np.random.Generator, size: int) -> Sample:
        name, image = drawn(hw.DIGITS, rng, size, pen=pen)
        return Sample(image, CANVAS, name)

    return make


def _font_digit(rng: np.random.Generator, size: int) -> Sample:
    d = str(rng.integers(10))
    return Sample(render_text(d, rng, size=size), CANVAS, d)


def _paper_digit(rng: np.random.Generator, size: int) -> Sample:
    name, image = drawn(hw.DIGITS, rng, size, pen=(0.04, 0.14))
    return Sample(on_paper(image, rng, size=size), UPLOAD, name)


@lru_cache(maxsize=1)
def _sklearn_digits():
    from sklearn.datasets import load_digits

    return load_digits()


def sklearn_on_canvas(i: int, rng: np.random.Generator, size: int) -> Sample:
    """scikit-learn's digit `i` (8x8) scaled up smoothly onto a canvas, at a random size."""
    bunch = _sklearn_digits()
    small = Image.fromarray((bunch.images[i] / 16.0 * 255).astype(np.uint8))
    side = int(rng.integers(10, 30)) * size // 35
    big = np.asarray(small.resize((side, side), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    return Sample(big, CANVAS, str(bunch.target[i]))


def _sklearn_digit(rng: np.random.Generator, size: int) -> Sample:
    """One of scikit-learn's 1,797 digits by 43 writers (8x8), scaled up smoothly onto a canvas."""
    return sklearn_on_canvas(int(rng.integers(len(_sklearn_digits().images))), rng, size)


# Digits as people write them, each with its label (a "none" or a wrong class counts as an error).
DIGIT_SETS: dict[str, Maker] = {
    "drawn digits": _drawn_digit(),
    "drawn digits, thin pen": _drawn_digit((0.01, 0.03)),
    "drawn digits, thick pen": _drawn_digit((0.16, 0.25)),
    "font digits": _font_digit,
    "digits on paper": _paper_digit,
    "sklearn digits (43 writers)": _sklearn_digit,
}


# --------------------------------------------------------------------------- real digits, rewritten


def _ink_crop(image: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.1), np.flatnonzero(image.max(axis=0) > 0.1)
    if len(rows) == 0:
        return image
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def rewrite(
    image: np.ndarray,
    rng: np.random.Generator,
    size: int = hw.CANVAS,
    *,
    pen: float = 0.0,
    slant: float = 0.0,
    stretch: float = 1.0,
    height: float = 0.7,
    resolution: int | None = None,
) -> np.ndarray:
    """A real 28x28 digit (float in [0, 1]) written again on a size x size canvas: `height` of the canvas
    tall, its width times `stretch`, slanted, its pen `pen` (in 28x28 pixels) thicker (or thinner), at a
    random place; `resolution` first reduces it to that many pixels a side (a low-resolution scan)."""
    from scipy import ndimage

    glyph = _ink_crop(np.asarray(image, dtype=np.float32))
    if resolution is not None:
        h, w = glyph.shape
        k = resolution / max(h, w)
        small = Image.fromarray(glyph, mode="F").resize(
            (max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.BOX
        )
        glyph = np.asarray(small, dtype=np.float32)
    h_px = max(8, int(height * size))
    scale = h_px / glyph.shape[0]
    w_px = max(2, int(glyph.shape[1] * scale * stretch))
    big = np.asarray(Image.fromarray(glyph, mode="F").resize((w_px, h_px), Image.Resampling.BICUBIC), dtype=np.float32)
    if pen:
        mask = np.pad(big > 0.5 * big.max(), int(abs(pen) * scale) + 2)
        r = abs(pen) * scale / 2
        big = (
            (ndimage.distance_transform_edt(~mask) <= r) if pen > 0 else (ndimage.distance_transform_edt(mask) > r)
        ).astype(np.float32)
    if slant:
        img = Image.fromarray(big, mode="F")
        extra = int(abs(slant) * img.size[1])
        img = img.transform(
            (img.size[0] + extra, img.size[1]),
            Image.Transform.AFFINE,
            (1, slant, -extra if slant > 0 else 0, 0, 1, 0),
            resample=Image.Resampling.BILINEAR,
        )
        big = np.asarray(img, dtype=np.float32)
    big = np.clip(big, 0, 1)
    if max(big.shape) > size:
        k = size / max(big.shape)
        big = np.asarray(
            Image.fromarray(big, mode="F").resize((max(1, int(big.shape[1] * k)), max(1, int(big.shape[0] * k)))),
            dtype=np.float32,
        )
    canvas = np.zeros((size, size), dtype=np.float32)
    top = int(rng.integers(0, size - big.shape[0] + 1))
    left = int(rng.integers(0, size - big.shape[1] + 1))
    canvas[top : top + big.shape[0], left : left + big.shape[1]] = big
    return np.clip(canvas, 0.0, 1.0)


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


# Ways people's real digits differ from MNIST's: name -> (image, rng, size) -> Sample (label set by caller).
VARIATIONS: dict[str, Callable[[np.ndarray, np.random.Generator, int], Sample]] = {
    "thick pen": lambda x, rng, size: Sample(rewrite(x, rng, size, pen=_u(rng, 1.5, 4)), CANVAS),
    "thin pen": lambda x, rng, size: Sample(rewrite(x, rng, size, pen=-_u(rng, 0.5, 1.2)), CANVAS),
    "slanted": lambda x, rng, size: Sample(
        rewrite(x, rng, size, slant=float(rng.choice([-1, 1])) * _u(rng, 0.25, 0.5)), CANVAS
    ),
    "stretched to fill the box": lambda x, rng, size: Sample(
        rewrite(x, rng, size, stretch=_u(rng, 1.4, 2.2), height=_u(rng, 0.8, 0.95)), CANVAS
    ),
    "small, off-centre": lambda x, rng, size: Sample(rewrite(x, rng, size, height=_u(rng, 0.12, 0.25)), CANVAS),
    "low resolution": lambda x, rng, size: Sample(rewrite(x, rng, size, resolution=int(rng.integers(7, 13))), CANVAS),
    "on paper": lambda x, rng, size: Sample(on_paper(rewrite(x, rng, size), rng, size=size), UPLOAD),
}


def vary(kind: str, images: np.ndarray, labels, seed: int = 0, *, size: int = hw.CANVAS) -> list[Sample]:
    """Real digits (n, 28, 28) rewritten one way (a VARIATIONS name), each keeping its label."""
    make = VARIATIONS[kind]
    rng = np.random.default_rng([seed, sum(map(ord, kind))])
    images = np.asarray(images)
    images = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
    out = []
    for image, label in zip(images, labels, strict=True):
        sample = make(image, rng, size)
        sample.label = str(label)
        out.append(sample)
    return out


def generate(kind: str, n: int, seed: int = 0, *, size: int = hw.CANVAS) -> list[Sample]:
    """n samples of one kind (a JUNK kind or a DIGIT_SETS name), reproducible from the seed."""
    make = JUNK.get(kind) or DIGIT_SETS.get(kind)
    if make is None:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join([*JUNK, *DIGIT_SETS])}")
    rng = np.random.default_rng([seed, sum(map(ord, kind))])
    return [make(rng, size) for _ in range(n)]


@dataclass
class InputSet:
    """Model inputs made from samples: the readable ones, their labels, and how many were blank."""

    x: np.ndarray  # (n, 28, 28) uint8
    labels: list[str | None]
    blank: int  # answered "blank" or "no clear ink" by preprocessing (counted as "none")
    total: int


def model_inputs(samples: list[Sample], *, reading: str = INK) -> InputSet:
    """Each sample through the same preprocessing as the Draw page and `classify`."""
    from latent.errors import BlankImageError
    from latent.inputs.preprocess import prepare

    xs, labels, blank = [], [], 0
    for s in samples:
        try:
            xs.append(prepare(s.image, via=s.via, reading=reading))
            labels.append(s.label)
        except BlankImageError:
            blank += 1
    x = np.round(np.stack(xs) * 255).astype(np.uint8) if xs else np.zeros((0, SIZE, SIZE), dtype=np.uint8)
    return InputSet(x, labels, blank, len(samples))
