"""MNIST-style preprocessing of drawings, uploads and files, and polite refusal of bad input."""

import io

import numpy as np
import pytest
from PIL import Image

from drawing import draw_digit
from latent.errors import ImageInputError
from latent.inputs.preprocess import center_by_mass, image_to_model_input, read_image, rgba_to_gray, to_model_input


def _png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def _mass_center(x):
    yy, xx = np.mgrid[:28, :28]
    return (x * yy).sum() / x.sum(), (x * xx).sum() / x.sum()


def _png(width: int, height: int, bit_depth: int, color_type: int, raw: bytes) -> bytes:
    """A PNG written by hand from its filtered scanlines (Pillow writes RGBA at 8 bits only)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _png16_rgba(rgba16: np.ndarray) -> bytes:
    h, w, _ = rgba16.shape
    return _png(w, h, 16, 6, b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgba16))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header promises width x height 1-bit pixels (its data is cut short: never decoded here)."""
    return _png(width, height, 1, 0, b"\x00" * 64)


@pytest.mark.parametrize("box", [(0.2, 0.1, 0.8, 0.9), (0.02, 0.02, 0.25, 0.3), (0.6, 0.55, 0.95, 0.98)])
def test_drawing_anywhere_becomes_a_centred_20px_digit(box):
    x = to_model_input(draw_digit("7", box=box).astype(np.float32) / 255)
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() == pytest.approx(1.0)
    cy, cx = _mass_center(x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    rows, cols = np.flatnonzero(x.max(axis=1) > 0.1), np.flatnonzero(x.max(axis=0) > 0.1)
    assert 18 <= rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21


def test_dark_on_light_is_inverted_to_the_same_input():
    light = draw_digit("4").astype(np.float32) / 255
    dark = 1.0 - light
    np.testing.assert_allclose(to_model_input(dark), to_model_input(light), atol=1e-5)


def test_canvas_rgba_with_transparent_background():
    rgba = draw_digit("1", rgba=True)
    assert rgba.shape == (280, 280, 4) and rgba[0, 0, 3] == 0
    gray = rgba_to_gray(rgba)
    assert gray.max() == pytest.approx(1.0) and gray[0, 0] == 0
    np.testing.assert_allclose(
        to_model_input(rgba), to_model_input(draw_digit("1").astype(np.float32) / 255), atol=1e-5
    )
    # black strokes on a transparent background (a logo): composited on white, then inverted
    dark = draw_digit("1", rgba=True, ink=0)
    np.testing.assert_allclose(to_model_input(dark), to_model_input(rgba), atol=1e-5)


def test_blank_input_is_refused():
    with pytest.raises(ImageInputError, match="blank"):
        to_model_input(np.zeros((280, 280), np.float32))
    with pytest.raises(ImageInputError, match="blank"):
        to_model_input(np.full((50, 50), 0.8, np.float32))


def test_center_by_mass_keeps_patch_inside():
    patch = np.zeros((20, 5), np.float32)
    patch[:, 0] = 1
    out = center_by_mass(patch)
    assert out.sum() == patch.sum()


def test_reads_common_formats_and_modes():
    digit = Image.fromarray(draw_digit("0"))
    for fmt in ("PNG", "JPEG", "BMP", "WEBP"):
        prepared = image_to_model_input(_png_bytes(digit, format=fmt))
        x, notes = prepared.x, prepared.notes
        assert x.shape == (28, 28) and x.max() > 0.9, fmt
    wide16 = Image.fromarray(draw_digit("0").astype(np.uint16) * 257)  # 16-bit grayscale PNG
    prepared = image_to_model_input(_png_bytes(wide16))
    x16, notes = prepared.x, prepared.notes
    np.testing.assert_allclose(x16, image_to_model_input(_png_bytes(digit)).x, atol=0.02)
    assert any("rescaled" in n for n in notes)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_mask_saved_as_0s_and_1s_is_read_as_black_and_white(dtype):
    """`Image.fromarray` of an array of 0s and 1s: a picture that looks black everywhere. It used to be
    answered "blank"; its two levels are read as black and white, with a note."""
    mask = draw_digit("3") > 127
    prepared = image_to_model_input(_png_bytes(Image.fromarray(mask.astype(dtype))), name="mask.png")
    x, notes = prepared.x, prepared.notes
    np.testing.assert_array_equal(x, image_to_model_input(_png_bytes(Image.fromarray(mask))).x)
    assert any("two levels" in n for n in notes)
    faint = mask.astype(np.uint8) + (np.arange(280) % 2).astype(np.uint8)[None]  # three faint levels: no mask
    for blank in (faint, np.ones((50, 50), np.uint8)):
        with pytest.raises(ImageInputError, match="blank"):
            image_to_model_input(_png_bytes(Image.fromarray(blank)))


def test_animated_gif_uses_first_frame_with_a_note():
    frames = [Image.fromarray(draw_digit(d)).convert("P") for d in ("1", "7")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = image_to_model_input(buf.getvalue())
    x, notes = prepared.x, prepared.notes
    first = image_to_model_input(_png_bytes(frames[0])).x
    np.testing.assert_allclose(x, first, atol=1e-5)
    assert any("2 frames" in n for n in notes)


def test_bad_uploads_are_refused_politely(tmp_path):
    with pytest.raises(ImageInputError, match="not an image"):
        image_to_model_input(b"%PDF-1.4 definitely not a picture", name="doc.pdf")
    with pytest.raises(ImageInputError, match="empty"):
        image_to_model_input(b"", name="empty.png")
    good = _png_bytes(Image.fromarray(draw_digit("4")))
    with pytest.raises(ImageInputError, match="truncated or damaged"):
        image_to_model_input(good[: len(good) // 2], name="half.png")
    # a 20000x20000 PNG is a tiny file but 400 M pixels: refused before decoding
    huge = _png_header_only(20000, 20000)
    with pytest.raises(ImageInputError, match="too large"):
        read_image(huge, name="huge.png")
    with pytest.raises(ImageInputError, match="cannot read"):
        read_image(tmp_path / "missing.png")


def test_unreadable_paths_are_one_line_errors(tmp_path, monkeypatch):
    """Folders and FIFOs are refused from their stat (a FIFO is never opened); a permission error is one line."""
    import os

    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageInputError, match="folder.png is a folder, not an image file"):
        read_image(tmp_path / "folder.png")
    os.mkfifo(tmp_path / "fifo.png")
    with pytest.raises(ImageInputError, match="fifo.png is not a regular file"):
        read_image(tmp_path / "fifo.png")
    locked = tmp_path / "locked.png"
    locked.write_bytes(_png_bytes(Image.fromarray(draw_digit("4"))))
    real_open = os.open

    def deny(path, *args, **kwargs):  # root ignores file modes, so the refusal is simulated
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(ImageInputError, match="cannot read .*locked.png: Permission denied"):
        read_image(locked)


def test_huge_png_is_refused_from_its_header_before_decoding(monkeypatch):
    """A 5000x5000 PNG is a tiny file but 25 M pixels: one line, and Pillow never decodes it."""
    from PIL import ImageFile

    from latent.inputs.imagefile import MAX_PIXELS

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    huge = _png_header_only(5000, 5000)
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ImageInputError, match=r"huge.png is 5000x5000 pixels, too large") as info:
        read_image(huge, name="huge.png")
    assert "\n" not in str(info.value) and f"{MAX_PIXELS:,}" in str(info.value)


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch):
    """A 12 MP photo of a digit on paper: decoded at 1/2..1/8 scale by libjpeg, read at <= WORK_SIDE pixels."""
    from PIL import JpegImagePlugin

    from latent.inputs.imagefile import WORK_SIDE

    scales = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real_draft(self, mode, size)
        scales.append(self.decoderconfig[0] if result else 1)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    digit = Image.fromarray(255 - draw_digit("4", width=14)).resize((4000, 4000), Image.Resampling.BILINEAR)
    photo = Image.new("L", (4000, 3000), 235)
    photo.paste(digit.crop((0, 500, 4000, 3500)))
    read = read_image(_png_bytes(photo, format="JPEG", quality=90), name="photo.jpg")
    assert scales and scales[0] >= 2
    assert read.gray.shape == (750, 1000) and max(read.gray.shape) <= WORK_SIDE  # 1/2 scale, then 2x2 blocks
    assert any("4000x3000" in n for n in read.notes)
    small = to_model_input(np.asarray(photo.resize((400, 300), Image.Resampling.BOX), dtype=np.float32) / 255)
    assert np.abs(to_model_input(read.gray) - small).mean() < 0.03


def test_progressive_jpeg_beyond_the_coefficient_budget_is_refused():
    """libjpeg holds every DCT coefficient of a progressive JPEG, whatever the scale: its size is checked first."""
    from latent.inputs.imagefile import MAX_JPEG_COEFFICIENT_BYTES

    big = Image.new("RGB", (4000, 3000), (200, 200, 200))  # 4:4:4 colour: 2 bytes x 3 samples a pixel = 72 MB
    assert 2 * 3 * 4000 * 3000 > MAX_JPEG_COEFFICIENT_BYTES
    progressive = _png_bytes(big, format="JPEG", progressive=True, subsampling=0)
    with pytest.raises(ImageInputError, match="progressive"):
        read_image(progressive, name="web.jpg")
    baseline = _png_bytes(big, format="JPEG", subsampling=0)  # the same pixels as a baseline JPEG are fine
    assert read_image(baseline, name="camera.jpg").gray.shape == (750, 1000)


def test_large_png_is_reduced_before_float_conversion():
    """A 3000x2000 8-bit PNG is block-averaged to <= WORK_SIDE pixels, exactly as Pillow's reduce(3) would."""
    from latent.inputs.imagefile import WORK_SIDE

    digit = Image.fromarray(draw_digit("2", width=16)).resize((2000, 2000), Image.Resampling.BILINEAR)
    page = Image.new("L", (3000, 2000), 0)
    page.paste(digit, (500, 0))
    read = read_image(_png_bytes(page), name="scan.png")
    assert read.gray.dtype == np.float32 and read.gray.shape == (667, 1000) and max(read.gray.shape) <= WORK_SIDE
    expected = np.asarray(page.reduce(3), dtype=np.float32) / 255
    assert np.abs(read.gray - expected).max() <= 1 / 255  # Pillow rounds each block mean to 8 bits


def test_16_bit_rgba_png_reads_like_its_8_bit_twin():
    """A 16-bit RGBA drawing with a transparent background: same input as the 8-bit canvas image, with notes."""
    rgba8 = draw_digit("7", rgba=True)
    rgba16 = rgba8.astype(np.uint16) * 257
    prepared = image_to_model_input(_png16_rgba(rgba16), name="deep.png")
    x16, notes = prepared.x, prepared.notes
    x8 = to_model_input(rgba8)
    np.testing.assert_allclose(x16, x8, atol=1e-3)
    assert any("transparent" in n for n in notes)
    big16 = np.repeat(np.repeat(rgba16, 5, axis=0), 5, axis=1)  # 1400x1400: reduced by 2 before converting
    xb = image_to_model_input(_png16_rgba(big16), name="deep-big.png").x
    assert np.abs(xb - x8).mean() < 0.02


def test_canvas_sized_png_reads_exactly_like_the_canvas_array():
    """The 280x280 canvas is below the working size: reading its PNG changes nothing."""
    rgba = draw_digit("3", rgba=True)
    x = image_to_model_input(_png_bytes(Image.fromarray(rgba)), name="canvas.png").x
    np.testing.assert_allclose(x, to_model_input(rgba), atol=1e-6)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied(orientation):
    """A phone photo stored sideways with an EXIF orientation is read upright, as Pillow's exif_transpose does."""
    from PIL import ImageOps

    img = Image.fromarray(draw_digit("7", size=120))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _png_bytes(img, format="JPEG", quality=95, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L"), np.float32) / 255
    np.testing.assert_allclose(read_image(data).gray, expected, atol=1e-6)


def test_only_the_listed_formats_are_opened_and_webp_has_its_own_limit():
    """Formats outside PNG/JPEG/GIF/BMP/WebP/TIFF are not opened at all; WebP's decoder needs a lower limit."""
    ppm = b"P5\n2 2\n255\n\x00\xff\xff\x00"  # Pillow reads PPM, this tool does not
    with pytest.raises(ImageInputError, match="not an image this tool can read"):
        read_image(ppm, name="old.ppm")
    webp = _png_bytes(Image.new("L", (2100, 2100), 200), format="WEBP", lossless=True, method=0)
    with pytest.raises(ImageInputError, match=r"2100x2100 pixels, too large: WEBP images up to 4,194,304"):
        read_image(webp, name="big.webp")


def test_oversized_bytes_are_refused_before_opening():
    from latent.inputs.imagefile import MAX_BYTES

    with pytest.raises(ImageInputError, match=r"big.png is 50.0 MB, larger than the 50 MB accepted"):
        read_image(b"\x89PNG" + bytes(MAX_BYTES), name="big.png")


def test_the_dashboard_takes_no_larger_upload_than_the_reader_accepts():
    import tomllib

    from conftest import ROOT
    from latent.inputs.imagefile import MAX_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_BYTES // 2**20
