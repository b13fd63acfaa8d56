"""MNIST-style preprocessing of drawings, uploads and files, and polite refusal of bad input."""

import io

import numpy as np
import pytest
from PIL import Image

from drawing import draw_digit
from latent.errors import ImageInputError
from latent.preprocess import center_by_mass, image_to_model_input, read_image, rgba_to_gray, to_model_input


def _png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def _mass_center(x):
    yy, xx = np.mgrid[:28, :28]
    return (x * yy).sum() / x.sum(), (x * xx).sum() / x.sum()


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
    np.testing.assert_allclose(to_model_input(rgba), to_model_input(draw_digit("1").astype(np.float32) / 255), atol=1e-5)
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
        x, notes = image_to_model_input(_png_bytes(digit, format=fmt))
        assert x.shape == (28, 28) and x.max() > 0.9, fmt
    wide16 = Image.fromarray(draw_digit("0").astype(np.uint16) * 257)  # 16-bit grayscale PNG
    x16, notes = image_to_model_input(_png_bytes(wide16))
    np.testing.assert_allclose(x16, image_to_model_input(_png_bytes(digit))[0], atol=0.02)
    assert any("rescaled" in n for n in notes)


def test_animated_gif_uses_first_frame_with_a_note():
    frames = [Image.fromarray(draw_digit(d)).convert("P") for d in ("1", "7")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    x, notes = image_to_model_input(buf.getvalue())
    first, _ = image_to_model_input(_png_bytes(frames[0]))
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
    huge = _png_bytes(Image.new("1", (20000, 20000)))
    with pytest.raises(ImageInputError, match="too large"):
        read_image(huge, name="huge.png")
    with pytest.raises(ImageInputError, match="cannot read"):
        read_image(tmp_path / "missing.png")
