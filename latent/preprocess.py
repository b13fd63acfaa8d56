"""Turn any image (a file, an upload, a canvas drawing) into a 28x28 model input.

MNIST was made by cropping each digit to its ink, scaling it into a 20x20 box (keeping its aspect
ratio), and placing it in a 28x28 field so that its centre of mass sits in the middle. Doing the same
to a drawing is what makes a 280x280 canvas stroke look like the data the model was trained on, so
the CLI's `classify`, the Draw page and the upload box all go through `to_model_input` here.

Reading is defensive because images come from strangers: `read_image` (latent/imagefile.py) refuses
non-images, damaged files, folders, FIFOs and images beyond its memory budget with an
`ImageInputError`, reduces large ones to a working size before any float copy, and returns notes for
what it had to adapt (animated GIFs, transparency, 16-bit samples) so a page can say what it did.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import ImageInputError
from .imagefile import (MAX_BYTES, MAX_JPEG_PIXELS, MAX_PIXELS, WORK_SIDE, ImageRead,  # noqa: F401 (re-exported)
                        composite, open_image_file, read_image)

SIZE = 28  # side of a model input, pixels
BOX = 20  # the ink is scaled to fit a BOX x BOX square, as in MNIST
INK_FRACTION = 0.15  # a pixel is ink when brighter than this share of the brightest pixel


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
    return gray.size > 0 and float(gray.max() - gray.min()) > 0.05


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
    if gray.max() > 1.0:
        gray = gray / 255.0
    if not has_ink(gray):
        raise ImageInputError("the image is blank: there is nothing to classify")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        gray = 1.0 - gray
        background = 1.0 - background
    ink = np.clip((gray - background) / max(1.0 - background, 1e-6), 0, 1)
    peak = float(ink.max())
    if peak < 0.05:
        raise ImageInputError("the image is blank: there is nothing to classify")
    rows = np.flatnonzero((ink > INK_FRACTION * peak).any(axis=1))
    cols = np.flatnonzero((ink > INK_FRACTION * peak).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] / peak
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    patch = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS),
        dtype=np.float32,
    )
    patch = np.clip(patch, 0, None)
    if patch.max() > 0:
        patch /= patch.max()
    return center_by_mass(patch)


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


def image_to_model_input(source, *, name: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Read an image file/bytes and normalise it: the one path shared by CLI, upload and tests."""
    read = read_image(source, name=name)
    return to_model_input(read.gray), read.notes
