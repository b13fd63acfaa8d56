"""Small image helpers for showing model inputs and outputs: tiling, upscaling, text thumbnails.

Images here are what the model reads and writes: (n, 28, 28) arrays, float in [0, 1] or uint8,
white ink on black. Everything is numpy only (no Pillow, no torch), so pages and plots can call it
freely.
"""

from __future__ import annotations

import math

import numpy as np

# Grey ramp for text thumbnails, darkest first. ASCII only: it is 1 byte a pixel in a figure's JSON.
TEXT_RAMP = " .:-=+*#%@"


def as_float_images(images: np.ndarray) -> np.ndarray:
    """Images as float32 in [0, 1], shape (n, H, W) (a single (H, W) image becomes (1, H, W))."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (n, H, W) or (H, W), got {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return np.clip(images.astype(np.float32), 0.0, 1.0)


def outermost(image: np.ndarray) -> np.ndarray:
    """The pixels along the frame of a (H, W) image, flat: its first and last rows and columns (what tells
    the background's level, or which marks touch the frame)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] (any shape) -> uint8 in [0, 255]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)


def tile(images: np.ndarray, n_cols: int | None = None, *, pad: int = 2, pad_value: float = 0.15) -> np.ndarray:
    """Lay out images on a grid.

    Parameters
    ----------
    images : array of shape (n, H, W)
        Float in [0, 1] or uint8.
    n_cols : int, optional
        Images per row; default ceil(sqrt(n)).
    pad : int
        Pixels between images and around the border.
    pad_value : float
        Grey level of the padding (a dark grey separates black backgrounds).

    Returns
    -------
    array of shape (rows * (H + pad) + pad, n_cols * (W + pad) + pad), float32 in [0, 1].
    Empty cells of the last row are left at `pad_value`.
    """
    images = as_float_images(images)
    n, h, w = images.shape
    if n == 0:
        raise ValueError("tile needs at least one image")
    n_cols = max(1, min(n_cols or math.ceil(math.sqrt(n)), n))
    n_rows = math.ceil(n / n_cols)
    out = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad), pad_value, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        out[top : top + h, left : left + w] = img
    return out


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a (H, W) image by an integer factor: crisp pixels in a browser."""
    if factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor}")
    image = np.asarray(image)
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def block_mean(images: np.ndarray, size: int) -> np.ndarray:
    """Downsample (n, H, W) images to (n, size, size) by averaging blocks (H and W divisible by size)."""
    images = as_float_images(images)
    n, h, w = images.shape
    if h % size or w % size:
        raise ValueError(f"image size {h}x{w} is not a multiple of {size}")
    return images.reshape(n, size, h // size, size, w // size).mean(axis=(2, 4))


def text_thumbnails(images: np.ndarray, *, size: int = 14, floor: float = 0.12) -> list[str]:
    """Tiny text pictures of images, for plotly hover labels (which cannot show real images).

    Each image is averaged down to size x size pixels, and every pair of rows becomes one line of
    characters from `TEXT_RAMP` (a character cell is about twice as tall as wide, so the picture
    keeps its aspect ratio in a monospace font). Lines are joined with "<br>", plotly's line break.

    Parameters
    ----------
    images : array of shape (n, H, W)
        Float in [0, 1] or uint8, with H and W multiples of `size` (28 -> 14, 7, 4, 2).
    size : int
        Pixels per side after downsampling.
    floor : float
        Grey level shown as blank, so a decoder's faint haze does not fill the picture.

    Returns
    -------
    list of n strings, each `size // 2` lines of `size` characters.
    """
    return levels_text(thumbnail_levels(images, size=size, floor=floor))


def thumbnail_levels(images: np.ndarray, *, size: int = 14, floor: float = 0.12) -> np.ndarray:
    """The characters of `text_thumbnails` as indices into `TEXT_RAMP`: (n, size // 2, size) uint8, what a
    bundle stores (`latent.bundle.map_inverse`) so that the dashboard need not decode its map points."""
    small = block_mean(images, size)  # (n, size, size)
    pairs = small[:, : size - size % 2].reshape(len(small), size // 2, 2, size).mean(axis=2)  # (n, size/2, size)
    peak = np.maximum(pairs.max(axis=(1, 2), keepdims=True), floor + 1e-3)
    scaled = np.clip((pairs - floor) / (peak - floor), 0.0, 1.0)  # faint background -> blank
    return np.round(scaled * (len(TEXT_RAMP) - 1)).astype(np.uint8)


def levels_text(levels: np.ndarray) -> list[str]:
    """Text thumbnails from `thumbnail_levels`: each row a line of `TEXT_RAMP` characters, joined by "<br>".
    Built as one byte string and sliced (10,000 map thumbnails: ~10 ms; joined line by line, ~0.4 s)."""
    chars = np.frombuffer(TEXT_RAMP.encode("ascii"), dtype=np.uint8)[np.asarray(levels, dtype=np.intp)]
    n, rows, size = chars.shape
    lines = np.concatenate([chars, np.broadcast_to(np.frombuffer(b"<br>", np.uint8), (n, rows, 4))], axis=2)
    width = rows * (size + 4) - 4  # one picture's text: its lines and the breaks between them
    text = lines.reshape(n, rows * (size + 4))[:, :width].tobytes().decode("ascii")  # all pictures, one string
    return [text[i * width : (i + 1) * width] for i in range(n)]
