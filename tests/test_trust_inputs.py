"""How real inputs become model inputs: pens of any width, photos of paper, and generated foreign kinds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from drawing import cut_to_ink, draw_digit
from latent.density.calibration import fit_temperature, reliability, tempered_proba
from latent.errors import BlankImageError, NoInkError
from latent.inputs import junk
from latent.inputs.photo import blank_card, card_on_desk, clean_photo, dark_ink, desk_strips, page_on_desk
from latent.inputs.preprocess import STROKE_RANGE, prepare, stroke_width, to_model_input


def _width(x: np.ndarray) -> float:
    return stroke_width(x > 0.5)


@pytest.mark.parametrize("pen", [3, 8, 18, 32, 60])
def test_any_pen_width_becomes_an_mnist_stroke(pen):
    x = to_model_input(draw_digit("4", width=pen) / 255.0)
    low, high = STROKE_RANGE
    assert low - 0.4 <= _width(x) <= high + 0.4, _width(x)


def test_an_mnist_like_pen_is_left_alone():
    gray = draw_digit("7", width=18) / 255.0
    x = to_model_input(gray)
    assert STROKE_RANGE[0] <= _width(x) <= STROKE_RANGE[1]


def test_stroke_width_of_a_bar():
    mask = np.zeros((40, 40), bool)
    mask[5:35, 18:22] = True
    assert stroke_width(mask) == pytest.approx(4 * 30 * 2 / (2 * 30 + 2 * 4), rel=1e-6)


def _paper_photo(rng, digit="5", side=400, shade=True):
    """A dark digit on grey, unevenly lit paper with a shadow and a strip of desk: as a phone would see it."""
    ink = draw_digit(digit, size=side // 2, width=side // 28) / 255.0
    yy, xx = np.mgrid[:side, :side] / side
    paper = 0.75 + 0.15 * (xx - 0.5) - 0.1 * (yy - 0.5)
    if shade:
        paper = paper - 0.25 / (1 + np.exp(-(xx + yy - 1.1) * 25))
    picture = paper.copy()
    top = left = side // 4
    region = picture[top : top + side // 2, left : left + side // 2]
    picture[top : top + side // 2, left : left + side // 2] = region * (1 - ink) + 0.15 * region * ink
    picture[:, : side // 16] = 0.2  # the desk
    return np.clip(picture + rng.normal(0, 0.02, picture.shape), 0, 1).astype(np.float32)


def test_a_photo_of_paper_is_cleaned_to_the_digit_alone():
    rng = np.random.default_rng(0)
    photo = _paper_photo(rng)
    cleaned = clean_photo(photo)
    # the desk strip and the shadow's edge are gone: nothing left near the frame
    assert cleaned[:, : cleaned.shape[1] // 10].max() == 0
    x_photo = prepare(photo)
    x_clean = to_model_input(draw_digit("5", size=200, width=200 // 14) / 255.0)
    assert np.abs(x_photo - x_clean).mean() < 0.08


@pytest.mark.parametrize("digit", ["2", "5", "6", "9"])
@pytest.mark.parametrize("seed", [1, 31, 37])
def test_a_faint_pencil_digit_is_found_beside_a_darker_desk_or_shadow(digit, seed):
    """A digit in faint ink (0.4 of a pen's darkness, a pencil) photographed on paper by junk.on_paper: at
    these seeds a strip of desk or a shadow's edge departs from the paper more than the writing, set the
    ink's scale and Otsu's threshold, the digit fell below it and the frame's mark was kept (0.10-0.13
    from the digit). Marks touching the frame no longer set the scale when a mark of its own stands out
    inside."""
    ink = draw_digit(digit, size=280, width=22) / 255.0
    photo = junk.on_paper(ink * 0.4, np.random.default_rng(seed), size=280)
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.065


def test_a_digit_the_frame_cuts_is_still_the_drawing_beside_faint_marks():
    """The guard of that rule: a 9 whose tail the frame cuts (its page cropped from the desk) touches the
    frame itself; the soft rim left around it must not be taken for a faint drawing of its own."""
    ink = draw_digit("9", size=280, width=22) / 255.0
    photo = junk.on_paper(ink, np.random.default_rng(46), size=280)
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.03


def _shaded_page(
    digit: str, *, shadow: float, depth: float, left: float, side: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """(a dark digit on a page whose right `shadow` share lies in a sharp shadow `depth` deep, the digit's
    left edge at `left` of the width; the digit's ink)."""
    n = side // 4
    ink = draw_digit(digit, size=n, width=n // 10) / 255.0
    yy, xx = np.mgrid[:side, :side] / side
    picture = 0.9 - depth / (1 + np.exp(-(xx - (1 - shadow)) * 60)) + 0.05 * (yy - 0.5)
    top, at = side // 3, int(left * side)
    region = picture[top : top + n, at : at + n]
    picture[top : top + n, at : at + n] = region * (1 - ink) + 0.2 * region * ink
    rng = np.random.default_rng(3)
    return np.clip(picture + rng.normal(0, 0.02, picture.shape), 0, 1).astype(np.float32), ink


@pytest.mark.parametrize("digit", ["0", "6", "8"])
@pytest.mark.parametrize(("shadow", "depth"), [(0.65, 0.4), (0.7, 0.45)])
def test_a_shadow_over_most_of_the_page_leaves_the_ink_dark(digit, shadow, depth):
    """A digit on the lit part of a page mostly in shadow: the picture's median is the shade's level, and
    the lit paper departed from it as far as the ink, so the ink was read as light and the paper became
    the ink (0.11-0.24 from the digit). The ink's side is read after dividing by the large-scale light."""
    photo, ink = _shaded_page(digit, shadow=shadow, depth=depth, left=1 / 12)
    assert dark_ink(photo)
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.03


def _small_digit_on_paper(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a phone photo of a small pen digit somewhere on a page, `junk.on_paper` with the seed's shadow and
    strip of desk, the digit's ink)."""
    rng = np.random.default_rng(seed)
    x0, y0 = rng.uniform(0.0, 0.5), rng.uniform(0.0, 0.3)
    ink = draw_digit("0123456789"[seed % 10], size=280, box=(x0, y0, x0 + 0.45, y0 + 0.7), width=10) / 255.0
    return junk.on_paper(ink, rng, size=280), ink


@pytest.mark.parametrize("seed", [156, 425, 458, 472])
@pytest.mark.parametrize("light_ink", [False, True])
def test_a_shadow_and_a_desk_together_leave_the_ink_on_its_side(seed, light_ink):
    """A shadow and a strip of desk in one photo: dividing by the large-scale light (a blur) mixes them
    with the lit paper beside them, which then departs from the median as far as the ink does, and the
    lit paper was read as light ink (these 4 photos: a blob or a bar instead of the digit; 8 of 600 such
    photos, 6 now right). When the two sides are that close, the one whose ink stands out clearly further
    from its own paper wins."""
    photo, ink = _small_digit_on_paper(seed)
    if light_ink:
        photo = 1 - photo
    assert dark_ink(photo) is not light_ink
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.03


@pytest.mark.parametrize("digit", ["3", "5", "7"])
@pytest.mark.parametrize("corner", ["top left", "top right"])
def test_a_wedge_of_shade_across_faint_ink_is_not_kept_as_ink(digit, corner):
    """A pencil digit (the ink takes 0.4 of the paper's light) with a wedge of shade in a corner, its sharp
    edge across the digit: the paper's median estimate took the lit level beside the edge, the shade
    there became a band of ink joined to the digit (0.10-0.14 from it); the closing follows the edge."""
    side = 280
    ink = draw_digit(digit, size=side, width=16) / 255.0
    yy, xx = np.mgrid[:side, :side] / side
    if corner == "top right":
        xx = 1 - xx
    paper = 0.85 * np.where(xx + 0.8 * yy < 0.55, 0.6, 1.0)
    photo = paper * (1 - 0.4 * ink) + np.random.default_rng(3).normal(0, 0.01, (side, side))
    photo = np.clip(photo, 0, 1).astype(np.float32)
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.05


def test_a_page_with_the_desk_beside_it_is_looked_at_alone():
    """A photo of a 9 on paper with a strip of desk along one edge (latent.inputs.junk.on_paper, as the
    "digits on paper" kind makes them): the desk joined the digit's mark (0.128 from the digit); the page
    is found and cleaned alone."""
    ink = draw_digit("9", size=280, width=22) / 255.0
    photo = junk.on_paper(ink, np.random.default_rng(46), size=280)
    assert page_on_desk(photo) is not None and card_on_desk(photo) is None
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.05


@pytest.mark.parametrize(("digit", "seed"), [("4", 10), ("5", 9), ("7", 216), ("9", 156)])
def test_a_strip_of_desk_beside_shaded_paper_is_cut_away(digit, seed):
    """Photos of a digit on shaded, unevenly lit paper with a strip of desk along one edge (junk.on_paper, as
    evaluate's "on paper" kinds make them) that the paper does not split from clearly (no page found): the
    digit, written near the desk, joined its mark and was kept with it (0.09-0.16 from the digit). The desk
    is found side by side of the frame and cut away."""
    ink = draw_digit(digit, size=280, width=22) / 255.0
    photo = junk.on_paper(ink, np.random.default_rng(seed), size=280)
    assert page_on_desk(photo) is None and card_on_desk(photo) is None
    assert desk_strips(photo) is not None
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.04


@pytest.mark.parametrize("ink_level", [0.15, 0.55])  # a pen, a faint pencil
@pytest.mark.parametrize(("digit", "pen", "side"), [("2", 32, 48), ("5", 44, 96), ("7", 32, 96), ("9", 32, 96)])
def test_a_bold_stroke_along_the_frame_of_a_glyph_cut_close_is_not_a_desk(digit, pen, side, ink_level):
    """A bold digit on grey paper cut close round its ink (a scan or a photo cropped to it): its foot or bar
    along the frame is a straight step up to the paper too, and was cut away as a strip of desk (a 2 read as
    a 7). Its other strokes run into the other sides of the frame, as a page's writing beside a desk does not;
    in faint pencil too (a floor under the level at which the frame check sees ink, tried to keep a shadow's
    edge from counting, cut 17 of 120 such faint scans)."""
    ink = cut_to_ink(draw_digit(digit, width=pen), side).astype(np.float32) / 255.0
    gray = 0.7 + (ink_level - 0.7) * ink + np.random.default_rng(0).normal(0, 0.02, ink.shape)
    assert desk_strips(np.clip(gray, 0, 1).astype(np.float32)) is None


@pytest.mark.parametrize("left", [0.05, 0.4, 0.55, 0.6, 0.75])
@pytest.mark.parametrize("shadow", [0.2, 0.3])
def test_no_ink_is_cut_away_with_a_shadow_taken_for_a_strip_of_desk(left, shadow):
    """A sharp shadow along one side looks like a strip of desk: `desk_strips` may cut it away when the digit
    lies on the lit side, never the digit's ink."""
    photo, ink = _shaded_page("8", shadow=shadow, depth=0.35, left=left)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1) + int(left * photo.shape[1])  # the digit's columns
    found = desk_strips(photo)
    if cols.max() < (1 - shadow) * photo.shape[1] - 10:
        assert found is not None  # the shadow alone along the side: cut away
    if found is not None:
        (_, kept), _ = found
        assert kept.start <= cols.min() and cols.max() < kept.stop


@pytest.mark.parametrize("digit", ["0", "8"])
@pytest.mark.parametrize(("size", "width"), [(28, 4), (200, 30)])
def test_a_light_digit_on_black_is_not_taken_for_a_page(digit, size, width):
    """An MNIST-like upload (white on black): its loops filled in, the digit is a bright region inside the
    frame with dark, plain strips around it, as a page beside a desk is; it was cropped to itself."""
    ink = draw_digit(digit, size=size, width=width) / 255.0
    assert page_on_desk(ink.astype(np.float32)) is None


@pytest.mark.parametrize("left", [0.05, 0.4, 0.55, 0.6, 0.75])
def test_no_ink_is_cut_away_with_a_shadow_taken_for_a_desk(left):
    """A shadow with a straight edge (here at 0.65 of the width) looks like a desk: the page may be cut there
    when the digit lies on the lit side, never when the digit crosses into the shade or lies in it."""
    photo, ink = _shaded_page("8", shadow=0.35, depth=0.35, left=left)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1) + int(left * photo.shape[1])  # the digit's columns
    found = page_on_desk(photo)
    assert (found is not None) == (cols.max() < 0.65 * photo.shape[1])
    if found is not None:
        assert found[1].start <= cols.min() and cols.max() < found[1].stop


def _close_up(digit: str, *, light_ink: bool = False, side: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(a photo of a thick-marker digit filling 80 % of the frame on unevenly lit paper, the digit's ink)."""
    n = int(side * 0.8)
    ink = draw_digit(digit, size=n, width=n // 8) / 255.0
    yy, xx = np.mgrid[:side, :side] / side
    paper = 0.8 + 0.15 * (xx - 0.5) - 0.1 * (yy - 0.5)
    picture = paper.copy()
    o = (side - n) // 2
    inside = picture[o : o + n, o : o + n]
    picture[o : o + n, o : o + n] = inside * (1 - ink) + 0.25 * inside * ink
    picture = np.clip(picture + np.random.default_rng(0).normal(0, 0.02, picture.shape), 0, 1)
    return (1 - picture if light_ink else picture).astype(np.float32), ink


@pytest.mark.parametrize("digit", ["3", "5", "7", "9"])
@pytest.mark.parametrize("light_ink", [False, True])
def test_a_thick_marker_filling_the_photo_is_read_as_the_ink(digit, light_ink):
    """Between a thick marker's strokes the paper looks like light ink on dark paper when measured against
    its own neighbourhood; the ink's side is read from the whole picture (mostly paper) instead."""
    photo, ink = _close_up(digit, light_ink=light_ink)
    assert dark_ink(photo) is not light_ink
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.03


@pytest.mark.parametrize("digit", ["0", "3", "6", "8", "9"])
@pytest.mark.parametrize("paper", [0.55, 0.85])
def test_a_bold_digit_on_grey_paper_cut_close_round_its_ink_is_dark_ink(digit, paper):
    """Cut close round a bold digit (a scan or a photo cropped to it), the picture is more ink than paper:
    its median is the ink's level, and the paper departs from it the most. Its frame, mostly the paper
    between the strokes' ends, is brighter than that median: the ink is dark (it was read inside out,
    the paper in a 0's or an 8's loops taken for light ink)."""
    ink = cut_to_ink(draw_digit(digit, width=44), 64).astype(np.float32) / 255.0
    photo = paper + (0.15 - paper) * ink + np.random.default_rng(0).normal(0, 0.02, ink.shape)
    assert dark_ink(np.clip(photo, 0, 1).astype(np.float32))


def _card_on_desk(digit: str, paper_share: float, side: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """(a photo of a card lying whole on a darker, grainy desk, unevenly lit, a digit on it; the digit's ink)."""
    rng = np.random.default_rng(5)
    card = int(side * np.sqrt(paper_share))
    n = int(card * 0.6)
    ink = draw_digit(digit, size=n, width=max(3, n // 14)) / 255.0
    picture = 0.3 + rng.normal(0, 0.03, (side, side))
    top = (side - card) // 2 + 7
    picture[top : top + card, top : top + card] = 0.85 - np.linspace(0, 0.1, card)[None, :]
    o = top + (card - n) // 2
    inside = picture[o : o + n, o : o + n]
    picture[o : o + n, o : o + n] = inside * (1 - ink) + 0.2 * ink
    return np.clip(picture + rng.normal(0, 0.02, picture.shape), 0, 1).astype(np.float32), ink


@pytest.mark.parametrize("paper_share", [0.3, 0.45, 0.7])
@pytest.mark.parametrize("digit", ["3", "5", "8"])
def test_a_card_seen_whole_on_a_desk_is_cleaned_to_its_digit(digit, paper_share):
    """With the desk all round the card, the desk can be most of the picture: the card is found and looked
    at alone (before, the card itself became the ink and its edge a ring around the digit)."""
    photo, ink = _card_on_desk(digit, paper_share)
    assert card_on_desk(photo) is not None and not blank_card(photo)
    assert np.abs(prepare(photo) - to_model_input(ink)).mean() < 0.08  # before: 0.23-0.27 (a ring around it)


@pytest.mark.parametrize("paper_share", [0.3, 0.45, 0.7])
def test_a_blank_card_on_a_desk_has_no_clear_ink(paper_share):
    """A card with nothing on it, seen whole on a desk, is no clear ink: before, the card itself was taken
    for light ink and read as a digit (a "1" from its brighter edge, or "none" for the wrong reason)."""
    photo, _ = _card_on_desk("1", paper_share)
    rng = np.random.default_rng(6)
    side = photo.shape[0]
    card = int(side * np.sqrt(paper_share))
    top = (side - card) // 2 + 7
    photo[top : top + card, top : top + card] = 0.85 - np.linspace(0, 0.1, card)[None, :]
    photo = np.clip(photo + rng.normal(0, 0.02, photo.shape), 0, 1).astype(np.float32)  # the digit wiped off
    assert blank_card(photo)
    with pytest.raises(NoInkError, match="no clear ink"):
        clean_photo(photo)


@pytest.mark.parametrize("width", [12, 28, 44])
def test_a_thick_light_one_on_dark_is_not_taken_for_a_blank_card(width):
    """A white "1" on black is one bright, solid, even region inside the frame, as a blank card is; it is
    long and narrow, a card is not."""
    ink = draw_digit("1", size=200, width=width) / 255.0
    picture = np.zeros((300, 300), np.float32)
    picture[50:250, 50:250] = ink
    assert card_on_desk(picture) is None and not blank_card(picture)
    assert np.abs(prepare(picture) - to_model_input(ink)).mean() < 0.03


@pytest.mark.parametrize("digit", ["0", "1", "8"])
def test_light_ink_on_dark_is_not_taken_for_a_card(digit):
    """A white digit on black (an MNIST-like upload) is bright and inside the frame too, but not a solid,
    evenly lit sheet with marks on it."""
    ink = draw_digit(digit, size=200, width=28) / 255.0
    picture = np.zeros((300, 300), np.float32)
    picture[50:250, 50:250] = ink
    assert card_on_desk(picture) is None and not blank_card(picture)
    assert np.abs(prepare(picture) - to_model_input(ink)).mean() < 0.03


@pytest.mark.parametrize("angle", [0, 15, 30, 45])
def test_a_blank_card_turned_on_the_desk_has_no_clear_ink(angle):
    """A card lies at any angle; however turned, it is convex, and nothing is on it."""
    from scipy import ndimage

    card = np.zeros((300, 400), np.float32)
    card[80:220, 120:320] = 1.0
    card = ndimage.rotate(card, angle, reshape=False, order=1)
    photo = 0.3 + card * (0.85 - 0.1 * np.linspace(0, 1, 400)[None, :])
    photo = np.clip(photo + np.random.default_rng(angle).normal(0, 0.02, photo.shape), 0, 1).astype(np.float32)
    with pytest.raises(NoInkError, match="nothing on it"):
        clean_photo(photo)
    photo[150:152, 200:240] = 0.5  # a thin, faint stroke: no longer blank
    assert not blank_card(photo)


@pytest.mark.parametrize("kind", ["symbols, other scripts", "scribbles", "letters (fonts)"])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_drawing_saved_as_a_file_is_read_as_the_canvas_reads_it(kind, fmt):
    """A drawing made on a screen has no paper to clean: the photo cleaning kept its largest mark and the
    marks near it, dropping parts of symbols and scribbles (uploaded, 150 symbols 96 % -> 91-93 % "none").
    Black on white or white on black, PNG or JPEG, it now becomes the canvas's model input."""
    import io

    from PIL import Image

    from latent.inputs.preprocess import image_to_model_input

    for sample in junk.generate(kind, 12, seed=31):
        drawn = prepare(sample.image, via="canvas")
        for picture in (sample.image, 1.0 - sample.image):
            data = io.BytesIO()
            Image.fromarray(np.round(picture * 255).astype(np.uint8)).save(data, format=fmt)
            uploaded = image_to_model_input(data.getvalue(), reading="ink").x
            gap = np.abs(uploaded - drawn)
            assert gap.mean() < (0.002 if fmt == "PNG" else 0.01)  # 8-bit levels; JPEG rings a little


def test_an_mnist_image_uploaded_is_read_as_mnist_writes_it():
    """A 28-pixel MNIST digit uploaded as a file was cleaned as a photo, which thinned it (1,000 test digits
    as 28-pixel PNGs: 95.1 % right and 3.2 % "none" before, 97.6 % and 1.0 % now)."""
    from PIL import Image

    for digit in "357":  # drawn large and reduced to 28 pixels, as MNIST's digits were: soft edges
        big = Image.fromarray(draw_digit(digit, size=280, width=28))
        ink = np.asarray(big.resize((28, 28), Image.Resampling.BOX), dtype=np.float32) / 255.0
        np.testing.assert_array_equal(prepare(ink), to_model_input(ink))


def test_a_photo_with_a_smooth_grey_sky_or_a_desk_along_an_edge_is_still_cleaned():
    from latent.inputs.photo import plain_background

    sky = np.full((120, 160), 0.82, np.float32)  # a flat, overexposed-grey area: not a drawing's black or white
    sky[80:] = np.linspace(0.2, 0.5, 160)[None, :]
    assert not plain_background(sky)
    blown = np.ones((120, 160), np.float32)  # a page photographed so bright that it is pure white,
    blown[:, :30] = 0.3  # the desk along its left edge, a digit on it
    blown[40:80, 70:74] = 0.1
    assert not plain_background(blown)
    blown[:, :30] = 1.0  # a drawing app's page
    assert plain_background(blown)


@pytest.mark.parametrize("digit", ["1", "5", "7"])
def test_a_drawing_cut_to_its_ink_is_read_whole_not_cleaned_as_a_photo(digit):
    """Its strokes run into the frame, which a photo's desk does too; but nothing stands apart from them."""
    from latent.inputs.photo import plain_background

    glyph = 1.0 - cut_to_ink(draw_digit(digit, width=24), 28).astype(np.float32) / 255.0  # black on white
    assert plain_background(glyph)
    np.testing.assert_array_equal(prepare(glyph), to_model_input(glyph))
    page = np.ones((120, 160), np.float32)  # the same drawing on a bright page with the desk along an edge
    page[:, :30] = 0.3
    page[20:100, 70:110] = np.asarray(Image.fromarray(glyph).resize((40, 80)))
    assert not plain_background(page)


@pytest.mark.parametrize("resampling", [Image.Resampling.BILINEAR, Image.Resampling.BICUBIC])
def test_a_soft_glyph_cut_to_its_ink_is_read_whole_though_its_strong_ink_is_in_pieces(resampling):
    """scikit-learn's 0s and 9s (43 writers, 8x8, each filling its box) enlarged smoothly, as a small scan
    cut to the digit: the ring's strong ink is a chain of bright spots, some apart from those touching the
    frame, so the file was taken for a photo, whose cleaning kept a spot or two (a 0 read as a 1, or
    "none": 5-12 of the 0s and up to 6 of the 9s at each size). A mark is its strong ink with what joins
    it (`MARK_JOIN`)."""
    from sklearn.datasets import load_digits

    from latent.inputs.photo import plain_background

    digits = load_digits()
    glyphs = [Image.fromarray(np.round(im * 255 / 16).astype(np.uint8)) for im in digits.images[digits.target % 9 == 0]]
    taken = [
        (i, side)
        for side in (16, 32, 64)
        for i, glyph in enumerate(glyphs)
        if not plain_background(np.asarray(glyph.resize((side, side), resampling), dtype=np.float32) / 255.0)
    ]
    assert taken == []
    page = np.ones((160, 160), np.float32)  # still a photo: a bright page, the desk along its edge, a 0 on it
    page[:, :30] = 0.3
    page[40:104, 70:134] = 1.0 - np.asarray(glyphs[0].resize((64, 64), resampling), dtype=np.float32) / 255.0
    assert not plain_background(page)


def test_a_small_black_and_white_glyph_in_pieces_is_read_whole_not_cleaned_as_a_photo():
    """A thin stroke stored in black and white at 16 pixels breaks into pieces, and a piece standing
    apart from the strokes that run into the frame made it a photo, whose cleaning kept one piece. No
    phone or scanner makes a 16-pixel picture of black and white only: it is a glyph, read whole."""
    from latent.inputs.photo import plain_background

    glyph = np.ones((16, 16), np.float32)  # black on white
    glyph[:, 3:5] = 0.0  # strokes running into the frame on every side, as a stretched glyph's do
    glyph[12:14, :] = 0.0
    glyph[5:8, 9:12] = 0.0  # and a piece standing apart from them
    assert plain_background(glyph)
    np.testing.assert_array_equal(prepare(glyph), to_model_input(glyph))
    page = np.ones((160, 160), np.float32)  # a large one is what a thresholded photo of a page can be:
    page[:, :30] = 0.0  # the desk along its left edge, a digit on it
    page[40:120, 70:78] = 0.0
    assert not plain_background(page)
    grey = glyph.copy()  # grey levels (resampling, a scan): not a black-and-white glyph, the pieces decide
    grey[glyph > 0.5] = 0.9
    assert not plain_background(grey)


def test_a_small_black_and_white_glyph_saved_as_jpeg_is_still_read_whole():
    """JPEG leaves a black-and-white glyph grey near its strokes: tested on exact levels, it was no
    longer black and white only, and its pieces made it a photo (bold digits stored as Semeion's and
    saved as JPEG: 4 % so read). Within JPEG's noise it is black and white."""
    import io

    from PIL import Image

    from latent.inputs.photo import plain_background

    glyph = np.full((16, 16), 255, np.uint8)
    glyph[:, 3:5] = 0
    glyph[12:14, :] = 0
    glyph[5:8, 9:12] = 0
    for quality in (50, 75, 95):
        data = io.BytesIO()
        Image.fromarray(glyph).save(data, format="JPEG", quality=quality)
        saved = np.asarray(Image.open(data).convert("L"), dtype=np.float32) / 255.0
        assert not np.isin(saved * 255, (0, 255)).all()  # JPEG's noise is there
        assert plain_background(saved), quality
        np.testing.assert_array_equal(prepare(saved), to_model_input(saved))


@pytest.mark.parametrize("picture", ["blank", "gradient", "noise"])
def test_a_picture_without_clear_ink_is_no_clear_ink(picture):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:200, :200] / 200
    image = {"blank": np.full((200, 200), 0.8), "gradient": 0.2 + 0.6 * xx, "noise": rng.uniform(size=(200, 200))}[
        picture
    ].astype(np.float32)
    with pytest.raises(NoInkError, match="no clear ink"):
        clean_photo(image)


def test_blank_canvas_is_blank_not_an_error_of_another_kind():
    with pytest.raises(BlankImageError) as info:
        prepare(np.zeros((280, 280), np.float32), via="canvas")
    assert info.value.reason == "blank"


@pytest.mark.parametrize("kind", [*junk.JUNK, *junk.DIGIT_SETS])
def test_every_generated_kind_is_reproducible_and_becomes_model_inputs(kind):
    a, b = junk.generate(kind, 4, seed=3, size=96), junk.generate(kind, 4, seed=3, size=96)
    for s, t in zip(a, b, strict=True):
        np.testing.assert_array_equal(s.image, t.image)
        assert s.image.dtype == np.float32 and 0 <= s.image.min() and s.image.max() <= 1
    inputs = junk.model_inputs(a)
    assert inputs.total == 4 and len(inputs.x) + inputs.blank == 4
    assert inputs.x.dtype == np.uint8 and inputs.x.shape[1:] == (28, 28)
    assert all((kind in junk.DIGIT_SETS) == (s.label is not None) for s in a)


def test_scribbles_come_in_every_style_people_scribble_in():
    """Random strokes were the only scribbles; hatching, a tangle, a cross-out, loops and zigzags are made
    too, each reproducible, each unlike the others, at their stated frequencies."""
    assert sum(w for _, w in junk.SCRIBBLE_STYLES.values()) == pytest.approx(1.0)
    images = {}
    for style in junk.SCRIBBLE_STYLES:
        a = junk.scribble(np.random.default_rng(5), 96, style=style)
        np.testing.assert_array_equal(a, junk.scribble(np.random.default_rng(5), 96, style=style))
        assert a.shape == (96, 96) and a.max() == 1.0
        images[style] = a
    styles = list(images)
    for i, s in enumerate(styles):
        for t in styles[i + 1 :]:
            assert not np.array_equal(images[s], images[t]), (s, t)
    # a cross-out is straight strokes; hatching goes back and forth, turning at alternate sides
    cross = junk._cross_out(np.random.default_rng(1))
    assert 3 <= len(cross) <= 6 and all(len(stroke) == 2 for stroke in cross)
    xs = np.array([x for x, _ in junk._hatching(np.random.default_rng(1))[0]])
    assert len(xs) >= 5 and np.all(xs[::2] < 0.35) and np.all(xs[1::2] > 0.65)


def test_another_seed_gives_other_inputs():
    a, b = junk.generate("scribbles", 2, seed=1, size=96), junk.generate("scribbles", 2, seed=2, size=96)
    assert not np.array_equal(a[0].image, b[0].image)


def test_temperature_makes_overconfident_probabilities_honest():
    rng = np.random.default_rng(0)
    n, k = 4000, 3
    y = rng.integers(k, size=n)
    # log-likelihoods 10x too sharp: the right class is ahead by a noisy margin
    ll = 10 * (rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y])
    prior = np.log(np.full(k, 1 / k))
    t = fit_temperature(ll, y, prior)
    assert 5 < t < 20
    before, after = reliability(tempered_proba(ll, prior), y), reliability(tempered_proba(ll, prior, t), y)
    assert after.ece < 0.03 < before.ece
    assert np.array_equal(tempered_proba(ll, prior).argmax(1), tempered_proba(ll, prior, t).argmax(1))
