"""Decode image files from strangers within a fixed memory budget, into grayscale at a working size.

The model reads 28x28 pixels, so nothing here ever needs a photo at full resolution. The size is
read from the header first and checked against limits that bound what the decoder holds at once
(about 64 MiB): then the image is decoded as small as the format allows and averaged down, a strip
of rows at a time, to at most `WORK_SIDE` pixels a side before anything becomes a float.

- JPEG (phone and camera photos, up to `MAX_JPEG_PIXELS`): libjpeg decodes at 1/2, 1/4 or 1/8
  scale (`Image.draft`), holding only a few rows at full size. A progressive (or multi-scan) JPEG
  makes libjpeg keep every DCT coefficient, 2 bytes a sample, whatever the scale: its coefficient
  size is computed from the header and limited to `MAX_JPEG_COEFFICIENT_BYTES` (about 22 MP of
  ordinary 4:2:0 colour, 11 MP of 4:4:4, 33 MP of grayscale).
- PNG, TIFF, GIF and BMP are decoded whole by Pillow, at most 4 bytes a pixel, so they are limited
  to `MAX_PIXELS` (4096x4096, 16.8 MP); WebP, whose decoder holds several copies, to 2048x2048.
  No other format is opened (no Ghostscript for EPS, no PSD...).

`WORK_SIDE` (1024) keeps a digit written small on a photographed sheet at 50+ pixels, plenty for
the ink cleaning of `to_model_input`; a 280x280 canvas is far below it and read unchanged.
"""

from __future__ import annotations

import io
import math
import os
import stat
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

from latent.errors import ImageInputError

WORK_SIDE = 1024  # longest side, pixels, of the grayscale image handed on (reduced before any float copy)
MAX_PIXELS = 4096 * 4096  # non-JPEG images are decoded whole: <= 4 bytes a pixel = 64 MiB
# libwebp's decoder (Pillow drives its animation API) holds about four RGBA canvases at once
FORMAT_MAX_PIXELS = {"WEBP": 2048 * 2048}
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")  # Pillow plugins used (JPEG includes MPO); no EPS, PSD...
MAX_JPEG_PIXELS = 100_000_000  # baseline JPEG, decoded at reduced scale (48 MP phone photos pass)
MAX_JPEG_COEFFICIENT_BYTES = 64 * 2**20  # progressive / multi-scan JPEG: libjpeg's whole-image coefficient buffer
MAX_BYTES = 50 * 2**20  # refuse larger files before reading them
STRIP_BYTES = 2**20  # pixels (4 bytes each) converted to floats at a time while averaging down
FAINT = 0.05  # levels closer than this (in 0..1) look alike: a picture no wider in range shows nothing

WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # more than 8 bits a sample: rescaled to 0..1
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa")
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

# Pillow's own bomb guard (raise above 2x, warn above 1x) stays as a backstop above every limit of ours.
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS

# Pillow's names for the EXIF orientations, as ImageOps.exif_transpose uses them.
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass
class ImageRead:
    """A decoded image as grayscale in [0, 1] (ink may be dark or light), plus what was adapted."""

    gray: np.ndarray  # (H, W) float32 in [0, 1], H and W <= WORK_SIDE
    notes: list[str] = field(default_factory=list)


def read_image(source, *, name: str | None = None, max_pixels: int = MAX_PIXELS) -> ImageRead:
    """Decode `source` (a path, bytes, or a binary file object) into grayscale at <= WORK_SIDE pixels a side.

    Raises `ImageInputError` naming the input when it is not a readable regular file, not an image,
    truncated, or beyond the limits above (`max_pixels` for formats decoded whole). Animated images
    use their first frame; transparent pixels count as background; 16-bit and float images are
    rescaled; EXIF orientation is applied; each adaptation adds a note.
    """
    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "the upload")
    if isinstance(source, (str, os.PathLike)):
        with open_image_file(source, label) as fh:  # decoded from the file: its bytes are never all in memory
            return _decode(fh, label, max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = source if isinstance(source, bytes) else bytes(source)
        if len(data) > MAX_BYTES:
            raise ImageInputError(_too_big(label, len(data)))
    else:
        data = source.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ImageInputError(f"{label} is larger than {MAX_BYTES // 2**20} MB; please use a smaller image")
    if not data:
        raise ImageInputError(f"{label} is empty")
    return _decode(io.BytesIO(data), label, max_pixels)


def open_image_file(path: str | os.PathLike, label: str):
    """Open a regular file for reading, refusing folders, FIFOs and devices from their stat.

    The open is non-blocking and the type is checked again on the open descriptor, so a FIFO
    (which would block a plain open until a writer appears) is never waited on.
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ImageInputError(f"{label} is a folder, not an image file")
        if not stat.S_ISREG(st.st_mode):
            raise ImageInputError(f"{label} is not a regular file (a pipe, device or socket), so it is not read")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ImageInputError(f"cannot read {label}: {exc.strerror or exc}") from None
    fh = os.fdopen(fd, "rb")
    st = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(st.st_mode):  # replaced between the two looks
        problem = f"{label} is not a regular file (a pipe, device or socket), so it is not read"
    elif st.st_size > MAX_BYTES:
        problem = _too_big(label, st.st_size)
    elif st.st_size == 0:
        problem = f"{label} is empty"
    if problem:
        fh.close()
        raise ImageInputError(problem)
    return fh


def _too_big(label: str, size: int) -> str:
    return f"{label} is {size / 2**20:.1f} MB, larger than the {MAX_BYTES // 2**20} MB accepted; use a smaller image"


# --------------------------------------------------------------------------- decoding


def _decode(fh, label: str, max_pixels: int) -> ImageRead:
    img = _open(fh, label)
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageInputError(f"{label} has no pixels")
    notes: list[str] = []
    try:
        frames = getattr(img, "n_frames", 1)  # animated and multi-page formats only
        if frames > 1:
            notes.append(f"{label} has {frames} frames; the first one is used")
            img.seek(0)
        drafted = _draft(img)
        _check_budget(img, fh, label, (width, height), max_pixels, drafted)
        img.load()
        gray = _reduce_to_gray(img, notes)
    except DECODE_ERRORS as exc:
        raise ImageInputError(f"{label} is truncated or damaged and cannot be decoded ({exc})") from None
    gray = _orient(img, gray)
    gray = _two_faint_levels(gray, label, notes)
    if gray.shape != (height, width):
        notes.append(f"{label} is {width}x{height} pixels; read at {gray.shape[1]}x{gray.shape[0]}")
    return ImageRead(gray=gray, notes=notes)


def _two_faint_levels(gray: np.ndarray, label: str, notes: list[str]) -> np.ndarray:
    """A picture of exactly two levels too close to tell apart, as black (the lower) and white.

    A mask or a bit image saved with 8- or 16-bit samples of 0 and 1 (as `Image.fromarray` saves an
    array of 0s and 1s) looks black in every viewer, and would be answered "blank"; its two levels are
    what it holds. A photo or a scan has more than two levels (noise), and one even shade stays blank.
    """
    low, high = float(gray.min()), float(gray.max())
    if not 0 < high - low <= FAINT or not np.all((gray == low) | (gray == high)):
        return gray
    notes.append(
        f"{label} holds only two levels, too close to see apart (a mask saved as 0 and 1?): read as black and white"
    )
    return (gray == high).astype(np.float32)


def _open(fh, label: str) -> Image.Image:
    """Image.open reads the header only; its size is checked before anything is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limits are stricter
            return Image.open(fh, formats=FORMATS)
    except Image.DecompressionBombError:
        raise ImageInputError(
            f"{label} is too large: images up to {MAX_PIXELS:,} pixels are accepted, "
            f"JPEG photos up to {MAX_JPEG_PIXELS:,}"
        ) from None
    except UnidentifiedImageError:
        raise ImageInputError(
            f"{label} is not an image this tool can read (use PNG, JPEG, GIF, BMP, WebP or TIFF)"
        ) from None
    except DECODE_ERRORS as exc:
        raise ImageInputError(f"{label} could not be opened as an image ({exc})") from None


def _draft(img: Image.Image) -> bool:
    """Ask libjpeg to decode a JPEG at the smallest 1/2..1/8 scale that stays >= WORK_SIDE; True when it can."""
    if img.format not in ("JPEG", "MPO"):
        return False
    width, height = img.size
    longest = max(width, height)
    if longest <= WORK_SIDE:
        return True  # already small: decoded as it is, no scaling needed
    target = (max(1, width * WORK_SIDE // longest), max(1, height * WORK_SIDE // longest))
    return img.draft("L", target) is not None  # "L": colour JPEGs decode straight to luma


def _check_budget(img: Image.Image, fh, label: str, size: tuple[int, int], max_pixels: int, drafted: bool) -> None:
    """Refuse, from the header alone, an image whose decoding would hold more than the budget."""
    width, height = size
    pixels = width * height
    if drafted:
        if pixels > MAX_JPEG_PIXELS:
            raise ImageInputError(
                f"{label} is {width}x{height} pixels, too large: JPEG photos up to "
                f"{MAX_JPEG_PIXELS:,} pixels are accepted"
            )
        if _jpeg_keeps_all_coefficients(fh):
            needed = _jpeg_coefficient_bytes(img, width, height)
            if needed > MAX_JPEG_COEFFICIENT_BYTES:
                raise ImageInputError(
                    f"{label} is a progressive (or multi-scan) JPEG of {width}x{height} pixels, too large: "
                    f"decoding it would hold {needed / 2**20:.0f} MiB (up to {MAX_JPEG_COEFFICIENT_BYTES // 2**20} "
                    f"MiB are accepted); save it as a baseline JPEG or smaller"
                )
        return
    max_pixels = min(max_pixels, FORMAT_MAX_PIXELS.get(img.format or "", max_pixels))
    if pixels > max_pixels:
        side = math.isqrt(max_pixels)
        raise ImageInputError(
            f"{label} is {width}x{height} pixels, too large: {img.format or 'such'} images up to "
            f"{max_pixels:,} pixels ({side}x{side}) are accepted, JPEG photos up to "
            f"{MAX_JPEG_PIXELS:,}; save it smaller or as a JPEG"
        )


def _jpeg_keeps_all_coefficients(fh) -> bool:
    """True when libjpeg must buffer the whole image's coefficients: progressive, or a first scan
    that does not hold every component (libjpeg's `has_multiple_scans`). Reads marker headers only."""
    position = fh.tell()
    try:
        fh.seek(0)
        if fh.read(2) != b"\xff\xd8":
            return True
        components, progressive = None, False
        for _ in range(1000):  # a header has a few dozen segments; a hostile file gets no more
            byte = fh.read(1)
            while byte and byte != b"\xff":
                byte = fh.read(1)
            marker = fh.read(1)
            while marker == b"\xff":  # fill bytes
                marker = fh.read(1)
            if not marker:
                return True
            code = marker[0]
            if code in (0x01, *range(0xD0, 0xD8)):  # markers without a length
                continue
            length_bytes = fh.read(2)
            if len(length_bytes) < 2:
                return True
            length = int.from_bytes(length_bytes, "big")
            if code in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                frame = fh.read(6)
                components = frame[5] if len(frame) == 6 else None
                progressive = code in (0xC2, 0xC6, 0xCA, 0xCE)
                fh.seek(length - 2 - len(frame), 1)
            elif code == 0xDA:  # start of scan: how many components does the first scan hold?
                in_scan = fh.read(1)
                return progressive or not in_scan or components is None or in_scan[0] < components
            else:
                fh.seek(length - 2, 1)
        return True
    finally:
        fh.seek(position)


def _jpeg_coefficient_bytes(img: Image.Image, width: int, height: int) -> int:
    """Bytes of libjpeg's whole-image coefficient buffer: 2 bytes a sample of each (subsampled) component."""
    layers = getattr(img, "layer", None) or [(0, 1, 1, 0)] * max(1, getattr(img, "layers", 3))
    h_max = max(h for _, h, _, _ in layers) or 1
    v_max = max(v for _, _, v, _ in layers) or 1
    blocks = sum(math.ceil(width * h / h_max / 8) * math.ceil(height * v / v_max / 8) for _, h, v, _ in layers)
    return blocks * 64 * 2


def _reduce_to_gray(img: Image.Image, notes: list[str]) -> np.ndarray:
    """Grayscale in [0, 1] at <= WORK_SIDE pixels a side, averaging blocks of rows a strip at a time.

    Only one strip is ever converted to floats, so no full-size float copy exists. Transparent
    images are averaged premultiplied (lum x alpha, alpha), which composites exactly as the full
    image would; wide samples (16-bit, 32-bit, float) are rescaled by their range.
    """
    width, height = img.size
    factor = max(1, math.ceil(max(width, height) / WORK_SIDE))
    rows = height if width * height * 4 <= STRIP_BYTES else factor * max(1, STRIP_BYTES // (4 * width * factor))
    kind = (
        "wide"
        if img.mode in WIDE_MODES
        else "alpha"
        if img.mode in ALPHA_MODES or (img.mode == "P" and "transparency" in img.info)
        else "gray"
    )
    strips, peak = [], 0.0
    for top in range(0, height, rows):
        part = img if rows >= height else img.crop((0, top, width, min(height, top + rows)))
        planes = _planes(part, kind)
        if kind == "wide":
            peak = max(peak, float(planes[0].max()))
        strips.append([block_mean(p, factor) for p in planes])
    planes = [np.concatenate(column) for column in zip(*strips, strict=True)]
    if kind == "gray":
        return planes[0]
    if kind == "alpha":
        return composite(planes[0], planes[1], notes)
    full = 65535.0 if img.mode.startswith("I;16") or peak > 255 else 255.0
    if img.mode == "F":
        full = max(peak, 1.0)
    notes.append(f"{img.mode} samples rescaled to 0..1")
    return np.clip(planes[0] / full, 0, 1).astype(np.float32)


def _planes(part: Image.Image, kind: str) -> list[np.ndarray]:
    """Float32 planes of one strip: [gray], [lum x alpha, alpha], or [raw wide samples]."""
    if kind == "wide":
        raw = np.asarray(part, dtype=np.float32)
        raw = np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0)
        return [np.clip(raw, 0.0, 65535.0)]  # per sample, as rescaling the whole image clipped it
    if kind == "alpha":
        rgba = np.asarray(_convert(part, "RGBA"))
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        lum = (
            rgba[..., 0] * np.float32(0.299) + rgba[..., 1] * np.float32(0.587) + rgba[..., 2] * np.float32(0.114)
        ) / np.float32(255.0)
        return [lum * alpha, alpha]
    return [np.asarray(_convert(part, "L"), dtype=np.float32) / np.float32(255.0)]


def _convert(part: Image.Image, mode: str) -> Image.Image:
    if part.mode == mode:
        return part
    try:
        return part.convert(mode)
    except ValueError:  # a few modes (LAB) convert to RGBA only
        return part.convert("RGBA").convert(mode)


def block_mean(a: np.ndarray, factor: int) -> np.ndarray:
    """Average factor x factor blocks of a 2-D array (the last row/column of blocks may be partial)."""
    if factor == 1:
        return a.astype(np.float32, copy=False)
    h, w = a.shape
    r, c = np.arange(0, h, factor), np.arange(0, w, factor)
    sums = np.add.reduceat(np.add.reduceat(a, r, axis=0), c, axis=1)
    counts = np.outer(np.diff(np.append(r, h)), np.diff(np.append(c, w)))
    return (sums / counts).astype(np.float32)


def composite(lum_alpha: np.ndarray, alpha: np.ndarray, notes: list[str] | None = None) -> np.ndarray:
    """Flatten premultiplied luminance onto a background opposite to the ink (see `rgba_to_gray`)."""
    if alpha.min() >= 0.999:
        return (lum_alpha / np.maximum(alpha, 1e-6)).astype(np.float32)
    if notes is not None:
        notes.append("transparent pixels are treated as background")
    weight = alpha.sum()
    ink_is_light = weight == 0 or lum_alpha.sum() / weight >= 0.5
    background = 0.0 if ink_is_light else 1.0
    return (lum_alpha + background * (1 - alpha)).astype(np.float32)


def _orient(img: Image.Image, gray: np.ndarray) -> np.ndarray:
    """Apply the EXIF orientation (a phone photo taken sideways) to the reduced image."""
    try:
        orientation = img.getexif().get(0x0112)
    except DECODE_ERRORS:
        return gray
    method = ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None
    if method is None:
        return gray
    return np.asarray(Image.fromarray(gray, mode="F").transpose(method), dtype=np.float32)
