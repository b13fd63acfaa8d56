"""Turn any image (a file, an upload, a canvas drawing) into a 28x28 model input.

MNIST was made by cropping each digit to its ink, scaling it into a 20x20 box (keeping its aspect
ratio), and placing it in a 28x28 field so that its centre of mass sits in the middle. Doing the same
to a drawing is what makes a 280x280 canvas stroke look like the data the model was trained on, so
the CLI's `classify`, the Draw page and the upload box all go through `to_model_input` here.

Reading is defensive because images come from strangers: `read_image` (latent/inputs/imagefile.py) refuses
non-images, damaged files, folders, FIFOs and images beyond its memory budget with an
`ImageInputError`, reduces large ones to a working size before any float copy, and returns notes for
what it had to adapt (animated GIFs, transparency, 16-bit samples) so a page can say what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from latent.errors import BlankImageError, ImageInputError
from latent.inputs.imagefile import (  # noqa: F401 (re-exported)
    FAINT,
    MAX_BYTES,
    MAX_JPEG_PIXELS,
    MAX_PIXELS,
    WORK_SIDE,
    ImageRead,
    composite,
    open_image_file,
    read_image,
)
from latent.inputs.imaging import outermost

SIZE = 28  # side of a model input, pixels
BOX = 20  # the ink is scaled to fit a BOX x BOX square, as in MNIST
INK_FRACTION = 0.15  # a pixel is ink when brighter than this share of the brightest pixel
# Stroke widths (in model pixels, 2 x area / perimeter of the ink at half its peak) of MNIST's training
# digits: 5th and 95th percentile, and the median. A pen outside this range is redrawn at the median.
STROKE_RANGE = (1.3, 3.1)
STROKE_TARGET = 2.0
STROKE_SIDE = 4 * BOX  # strokes are measured and redrawn with the glyph's longest side at this many pixels
# A glyph is bilevel (black and white, hard-edged) when fewer than this share of its ink pixels are mid-grey
# (between 0.15 and 0.85 of its peak); in MNIST's training digits at least 0.17 are, in 99.9 % of them.
BILEVEL_SHARE = 0.15
EVEN_SHADE = "blank: nothing drawn, the picture is one even shade"


def rgba_to_gray(rgba: np.ndarray, notes: list[str] | None = None) -> np.ndarray:
    """Flatten an RGBA array (H, W, 4) in [0, 1] or uint8 onto a background opposite to its ink.

    A drawing canvas gives light strokes on transparent pixels; a logo may give dark strokes. The
    alpha-weighted brightness of the opaque pixels tells which, and the image is composited onto
    black (light ink) or white (dark ink), so `to_model_input` then sees the usual two cases.
    """
    rgba = np.asarray(rgba)
    if rgba.dtype == np.uint8:
        rgba = rgba.astype(np.float32) / 255.0
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ImageInputError(f"expected an RGBA array of shape (H, W, 4), got {rgba.shape}")
    lum = rgba[..., 0] * 0.299 + rgba[..., 1] * 0.587 + rgba[..., 2] * 0.114
    alpha = rgba[..., 3]
    if alpha.min() >= 0.999:
        return lum.astype(np.float32)
    return composite(lum * alpha, alpha, notes)


def has_ink(gray: np.ndarray) -> bool:
    """True when the image holds any mark at all (used to skip an empty canvas)."""
    gray = np.asarray(gray, dtype=np.float32)
    return gray.size > 0 and float(gray.max() - gray.min()) > FAINT


def to_model_input(gray: np.ndarray) -> np.ndarray:
    """MNIST-style normalisation of one grayscale image to a (28, 28) float32 array in [0, 1].

    Dark-on-light images (bright border) are inverted to white ink on black; the background level
    is subtracted; the ink is cropped, scaled to fit 20x20 keeping its aspect ratio, and placed so
    that its centre of mass is at the centre of the 28x28 field. Raises `ImageInputError` when
    there is no ink.
    """
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim == 3 and gray.shape[2] == 4:
        gray = rgba_to_gray(gray)
    elif gray.ndim == 3:
        gray = gray[..., :3].mean(axis=2)
    if gray.ndim != 2 or gray.size == 0:
        raise ImageInputError(f"expected a 2-D grayscale image, got shape {gray.shape}")
    if gray.max() > 2.0:  # 0..255 samples (a resampled 0..1 image may overshoot 1 a little)
        gray = gray / 255.0
    gray = np.clip(gray, 0.0, 1.0)
    if not has_ink(gray):
        raise BlankImageError(EVEN_SHADE)
    background = float(np.median(outermost(gray)))
    if background > 0.5:
        gray = 1.0 - gray
        background = 1.0 - background
    ink = np.clip((gray - background) / max(1.0 - background, 1e-6), 0, 1)
    peak = float(ink.max())
    if peak < 0.05:
        raise BlankImageError("blank: the marks are too faint to read")
    box = ink_box(ink)
    assert box is not None  # the peak is at least 0.05
    top, bottom, left, right = box
    crop = normalize_strokes(ink[top:bottom, left:right] / peak)
    h, w = crop.shape
    scale = BOX / max(h, w)
    return center_by_mass(fit(crop, (max(1, round(w * scale)), max(1, round(h * scale)))))


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink, bottom and right exclusive: the pixels brighter than
    INK_FRACTION of the brightest one; None when nothing is brighter than 0."""
    ink = np.asarray(ink, dtype=np.float32)
    peak = float(ink.max()) if ink.size else 0.0
    if peak <= 0:
        return None
    mask = ink > INK_FRACTION * peak
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`crop` resized to `size` (width, height) with Lanczos, negatives clipped, its peak scaled to 1."""
    patch = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS), dtype=np.float32
    )
    patch = np.clip(patch, 0, None)
    if patch.max() > 0:
        patch /= patch.max()
    return patch


def stroke_width(mask: np.ndarray) -> float:
    """Mean width of the strokes in a binary image, in its pixels: a stroke of length L and width w has
    area w*L and a perimeter of about 2L."""
    m = np.pad(np.asarray(mask, dtype=bool), 1)
    perimeter = np.count_nonzero(m[1:] != m[:-1]) + np.count_nonzero(m[:, 1:] != m[:, :-1])
    return 2.0 * np.count_nonzero(m) / max(int(perimeter), 1)


def normalize_strokes(crop: np.ndarray) -> np.ndarray:
    """Redraw a glyph whose pen is thinner or thicker than MNIST's at MNIST's median width.

    `crop` is ink cropped to its bounding box, peak 1. Widths are judged at the scale the model will
    see (longest side BOX pixels). Inside MNIST's range the crop is returned unchanged. Outside it,
    the ink is eroded or dilated (by its distance transform) until its strokes have the target width:
    exact for a round pen, and a higher or lower iso-line for a blurred glyph. The result is binary at
    `STROKE_SIDE` pixels, as NIST's bilevel digits were before MNIST's anti-aliased downscaling.

    A bilevel glyph smaller than `STROKE_SIDE` (a thresholded scan, a dataset's binarised digits) is
    redrawn that way too, at any width: scaled to BOX pixels as it is, its edges stay hard (at 20 pixels,
    not resampled at all), which MNIST's never are, and the model found such a code unlikely (test digits
    binarised at 28 pixels: 74 % "none", benchmarks/uploads.py). Smoothly enlarged and thresholded, its
    outline is a curve that the reduction to BOX pixels anti-aliases as MNIST's was.
    """
    from scipy import ndimage

    h, w = crop.shape
    scale = STROKE_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    work = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(size, resample), dtype=np.float32)
    mask = work > 0.4 * float(work.max())
    if mask.sum() < 4:
        return crop
    width = stroke_width(mask) * BOX / STROKE_SIDE
    low, high = STROKE_RANGE
    if low <= width <= high:
        return _cropped(mask) if max(h, w) < STROKE_SIDE and bilevel(crop) else crop
    padded = np.pad(mask, int(STROKE_TARGET * STROKE_SIDE / BOX) + 2)
    change = (STROKE_TARGET - width) / 2 * STROKE_SIDE / BOX  # pen radius to add (< 0: to remove), work pixels
    if change < 0:  # erode: a round pen's strokes keep their shape, blurred glyphs their iso-line
        redrawn = ndimage.distance_transform_edt(padded) > -change
    else:
        redrawn = ndimage.distance_transform_edt(~padded) <= change
    if not redrawn.any():
        return crop
    return _cropped(redrawn)


def bilevel(crop: np.ndarray) -> bool:
    """Whether a glyph (peak 1) is black and white: hardly any of its ink is mid-grey (BILEVEL_SHARE)."""
    ink = np.count_nonzero(crop > 0.1)
    mid = np.count_nonzero((crop > 0.15) & (crop < 0.85))
    return bool(mid < BILEVEL_SHARE * ink)


def _cropped(mask: np.ndarray) -> np.ndarray:
    """A binary glyph cropped to its ink (`ink_box`), as float32; callers check that it has ink."""
    glyph = mask.astype(np.float32)
    box = ink_box(glyph)
    assert box is not None
    top, bottom, left, right = box
    return glyph[top:bottom, left:right]


def center_by_mass(patch: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Place `patch` in a size x size field with its centre of mass at the centre (kept inside)."""
    h, w = patch.shape
    mass = patch.sum()
    yy, xx = np.mgrid[:h, :w]
    cy = (patch * yy).sum() / mass if mass > 0 else (h - 1) / 2
    cx = (patch * xx).sum() / mass if mass > 0 else (w - 1) / 2
    top = int(np.clip(round(size / 2 - cy), 0, size - h))
    left = int(np.clip(round(size / 2 - cx), 0, size - w))
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + h, left : left + w] = patch
    return out


def image_to_model_input(source, *, name: str | None = None, reading: str = "object") -> Prepared:
    """Read an image file/bytes and normalise it: the one path shared by CLI, upload and tests.

    `reading` is the model's dataset's (latent.inputs.catalog): "ink" cleans a photo of paper to ink on black
    first; "object" (folder datasets' default) takes the picture as it is. The notes say what was done
    to the picture that people should know (its transparency, a 1 stretched to fill its box)."""
    read = read_image(source, name=name)
    prepared = prepare_steps(read.gray, via=UPLOAD, reading=reading)
    return replace(prepared, notes=(*read.notes, *prepared.notes))


# How a dataset's pictures are read: "ink" (digits: strokes on paper, so photos are cleaned to ink
# on black first) or "object" (clothes: the picture is the object; only its background is removed).
INK, OBJECT = "ink", "object"
CANVAS, UPLOAD = "canvas", "upload"


@dataclass(frozen=True)
class Prepared:
    """A picture made ready for the model, with what people should know about how it was read."""

    x: np.ndarray  # (28, 28) float32 in [0, 1]: the model input
    cleaned: np.ndarray | None = None  # a photo cleaned to ink on black (shown to people); None: read whole
    notes: tuple[str, ...] = ()  # what was done to the picture that people should know, in words
    fills_square: bool = False  # a glyph filling its square box: read at the usual width too, own thresholds


def prepare(gray: np.ndarray, *, via: str = UPLOAD, reading: str = INK) -> np.ndarray:
    """The (28, 28) model input of a grayscale picture in [0, 1] as it arrived (`via` the canvas or an
    upload). Uploads read as ink are cleaned to ink on black first (`latent.inputs.photo.clean_photo`).

    Raises `ImageInputError` (`BlankImageError`, with `.reason` "blank" or "no clear ink", when there
    is nothing to read).
    """
    return prepare_steps(gray, via=via, reading=reading).x


def prepare_steps(gray: np.ndarray, *, via: str = UPLOAD, reading: str = INK) -> Prepared:
    """`prepare`, with the cleaned picture and how the picture was read: a picture enlarged by repeating
    its pixels is read at its own (`latent.inputs.pixelated`), a 1 stretched to fill its box is narrowed
    and any other glyph filling its square is flagged to be read at the usual width too
    (`latent.inputs.stretched`)."""
    cleaned = None
    notes: list[str] = []
    fills_square = False
    if via == UPLOAD:
        from latent.inputs import pixelated

        small = pixelated.native_pixels(gray)
        if small is not None:
            gray = small
            notes.append(pixelated.NOTE.format(w=small.shape[1], h=small.shape[0]))
    if via == UPLOAD and reading == INK:
        from latent.inputs import stretched
        from latent.inputs.photo import clean_photo, plain_background

        if not has_ink(gray):
            raise BlankImageError(EVEN_SHADE)
        if not plain_background(gray):  # a drawing saved as a file is read whole, as the canvas is
            cleaned = clean_photo(gray)
        elif stretched.straight_band(gray):
            gray = stretched.at_ones_width(gray)
            notes.append(stretched.NOTE)
        elif stretched.fills_square(gray):
            fills_square = True
            notes.append(stretched.FILLED_NOTE)
    x = to_model_input(gray if cleaned is None else cleaned)
    return Prepared(x, cleaned, tuple(notes), fills_square)
