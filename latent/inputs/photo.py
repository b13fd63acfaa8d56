"""Photos of paper to ink on black: what an uploaded or camera picture must become before the model sees it.

A phone photo of a digit written on paper has a grey, unevenly lit background, shadows, JPEG noise
and maybe a bit of the desk. Left in, the paper becomes part of the model input (a photo of a "5"
read as "8, 97 %"). `clean_photo` does what a document scanner does:

1. estimate the paper's own brightness everywhere (a median filter much wider than any pen
   stroke, on a reduced copy) and measure each pixel against it, which removes uneven light and soft
   shadows;
   the ink is whichever way (darker or lighter) the picture departs furthest from its median (the
   paper covers most of it), or, when the two are close, the way whose ink stands out clearly further
   from its own paper; but a picture whose frame is clearly brighter than its median is dark writing
   cut close (more ink than paper), on paper of one level;
2. scale the ink to its peak, measured away from marks touching the frame (a desk, a shadow's
   edge) when a mark of its own stands out inside (a pencil's writing is fainter than a desk);
   threshold with Otsu's method, then keep the largest mark that does not touch the frame and the
   marks close to it (a 5's bar, a 4's second stroke), dropping specks, the desk's edge, shadows;
3. keep the soft ink values inside the kept marks (anti-aliased edges matter at 28x28).

A card seen whole on a desk, or a page with the desk along an edge, is cropped to the paper first; a
card with nothing on it is no clear ink.
A picture with no clear ink (a blank page, a photo of a wall, noise, a smooth gradient) raises
`NoInkError` (reason "no clear ink"), which callers report as the answer "none". A drawing saved as a
file (`plain_background`: pure black or white all round, or cut to its ink) is not a photo: callers
read it uncleaned.
"""

from __future__ import annotations

import numpy as np

from latent.errors import NoInkError
from latent.inputs.imaging import outermost

WORK_SIDE = 384  # longest side the cleaning works at (a digit in a photo stays >= ~40 px tall)
PAPER_SIDE = 64  # longest side at which the paper's brightness is estimated (it varies slowly)
PAPER_STEP = 0.2  # side of the closing that follows a shadow's edge, as a share of the picture's longest side
PAPER_PERCENTILE = 75  # the paper is this bright a part of its neighbourhood (dark ink; 25 for light ink)
MIN_CONTRAST = 0.08  # ink must stand this far (0..1) above the paper to count as ink
MIN_SEPARATION = 0.5  # Otsu's between-class share of variance: below it, ink and paper are not two groups
TOP_PIXELS = 20  # the ink's peak is its 20th brightest pixel (single bright pixels are noise)
SPECK = 0.02  # a mark with less than this share of the largest one's ink is a speck
MIN_MAIN_SHARE = 0.5  # the kept marks must hold at least this share of all thresholded ink
# A card lying whole on a desk (`card_on_desk`): Otsu's split of the reduced picture this clear, the card
# at least this share of the picture, filling this share of its bounding box, its pixels this share
# bright (the rest: ink), this much brighter than the desk, three quarters of its bright pixels within
# CARD_EVEN of a plane fitted to them (paper is even; a bright patch of a photo is textured, ~0.11);
# CARD_TRIM of its size cut off each side.
CARD_SEPARATION = 0.8
CARD_MIN_SHARE = 0.05
CARD_BOX_FILL = 0.7
CARD_SOLID = 0.85
CARD_CONTRAST = 0.2
CARD_EVEN = 0.06
CARD_TRIM = 0.06
# A page cut by the frame with the desk along one or more edges (`page_on_desk`): the page at least this
# share of the picture; the strips between it and the frame this share darker than Otsu's threshold, and
# plain (three quarters of them within PAGE_PLAIN of their median: a desk, with no drawing on it).
PAGE_MIN_SHARE = 0.6
PAGE_DARK = 0.9
PAGE_PLAIN = 0.06
PAGE_INKLESS = 0.001  # at most this share of what would be cut away may be ink-dark (grain), else nothing is cut
# A strip of desk along an edge of shaded paper (`desk_strips`), found side by side of the frame on the reduced
# copy: where it ends (within DESK_DEPTH of the picture from the frame), the paper just inside is DESK_STEP
# brighter than the desk just outside, at places along the side that lie within DESK_STRAIGHT reduced pixels of
# one straight line, along DESK_ALONG of the side (elsewhere a digit close to the desk's edge, or a shadow, is
# the larger step); the desk is plain (PAGE_PLAIN) and DESK_STEP darker than the paper beyond it; DESK_MARGIN
# reduced pixels of paper (the desk's blurred edge) are cut away with it.
DESK_DEPTH = 0.35
DESK_STEP = 0.08
DESK_STRAIGHT = 1.5
DESK_ALONG = 0.6
DESK_MARGIN = 2
# A card with nothing on it on a desk (`blank_card`): its region no longer than CARD_BLANK_ASPECT times its
# width, convex (all but CARD_BLANK_CONVEX of its convex hull: a quadrilateral, however turned), and, at
# full size, no more than PAGE_INKLESS of it ink-dark.
CARD_BLANK_ASPECT = 2.5
CARD_BLANK_CONVEX = 0.05
# A drawing saved as a file (`plain_background`): this share of it black or white, within PLAIN_LEVEL (of 255).
PLAIN_SHARE = 0.5
PLAIN_LEVEL = 2
PLAIN_EDGE = 0.9  # and this share of its outermost pixels
# or, cut to its ink (`cut_to_its_ink`), at least this share of it; SMALL_PICTURE px or less (a dataset's glyph,
# never a phone's photo), PLAIN_CUT_SHARE_SMALL. Resampling and JPEG leave few pixels of a small glyph's
# background exactly black: MNIST's test digits cut to their ink and saved as files have, in the 1 % with the
# least, 14-16 % at 64 px and 8-11 % at 16 px (JPEG, PNG); scikit-learn's digits enlarged to 16-64 px, 17-20 %.
# A photo of a blown-out page with a soft shadow, everything dark in it touching the frame, can have 11 %.
PLAIN_CUT_SHARE = 0.25
PLAIN_CUT_SHARE_SMALL = 0.1
SMALL_PICTURE = 64
SMALL_PAPER_PERCENTILE = 95  # a small picture's paper: this bright a part of it (`one_level_ink`)
CLOSE_SIDE_INK = 0.25  # cut close: ink this share of its peak on every side of a small picture's frame
# A small black-and-white glyph saved as JPEG (`black_and_white_only`): all but JPEG_STRAY of its pixels
# within JPEG_NOISE of black or white. Bold digits stretched to fill 16x16 in black and white, saved at
# JPEG quality 50: all but 3.1 % within 48 levels (quality 75: all but 0.8 % within 32), and each side's
# median within 10 levels of its extreme (quality 75: 6).
JPEG_NOISE = 48
JPEG_STRAY = 0.05
JPEG_TONE = 16
# A glyph's marks (`cut_to_its_ink`) are its strong ink (half the greatest departure from the background or
# more) and what joins it down to MARK_JOIN of that departure: a soft glyph's stroke is uneven, and its
# strong parts alone are pieces (a 0 enlarged from 8 pixels: bright spots round its ring).
MARK_JOIN = 0.25
LIGHT_SIGMA = 1 / 6  # the light's large-scale level: a blur this share of the reduced picture wide
# When the two sides' departures from the median differ by less than SIDE_SURE of their sum, the ink's side
# is the one whose ink stands out SIDE_CLEAR times further from its own paper, if one does (`dark_ink`).
SIDE_SURE = 0.15
SIDE_CLEAR = 1.2
# Marks touching the frame (a desk, a shadow's edge) set neither the ink's scale nor Otsu's threshold when,
# without them (and FRAME_MARGIN pixels around), something still stands FAINT_INK above the paper.
FRAME_MARGIN = 4
FAINT_INK = 2 * MIN_CONTRAST
# A picture cut close round dark writing: its frame, mostly paper between the strokes' ends, stands at its
# median more than this share of the way from the picture's median (the ink's level) to its brightest. A
# frame of paper at the median's level, round light ink or noise, stands within 0.08 of it either way;
# MNIST's test digits scanned on grey paper and cut to the ink, read inside out before, 0.08 and more.
CLOSE_FRAME = 0.1


def _resize(gray: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    h, w = gray.shape
    scale = side / max(h, w)
    if scale >= 1:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(
        Image.fromarray(gray.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32
    )


def _upsize(small: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A slowly varying map estimated on a reduced copy, brought back to `shape` (bilinear)."""
    from PIL import Image

    h, w = shape
    return np.asarray(
        Image.fromarray(small.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32
    )


def otsu(values: np.ndarray, bins: int = 128) -> tuple[float, float]:
    """(threshold, between-class share of variance) of Otsu's method on values in [0, 1]."""
    hist, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    p = hist.astype(np.float64) / max(hist.sum(), 1)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m = np.cumsum(p * centers)
    total_mean, total_var = m[-1], float((p * (centers - m[-1]) ** 2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * w0 - m) ** 2 / (w0 * (1 - w0))
    between = np.nan_to_num(between[:-1])
    k = int(np.argmax(between))
    return float(edges[k + 1]), float(between[k] / total_var) if total_var > 0 else 0.0


def paper_background(gray: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's brightness at every pixel, strokes removed: a median filter a third of the picture
    wide, on a reduced copy (the light's gradients stay where they are), except where ink fills most of
    the window (a thick marker's crossing strokes) and the window's 75th percentile (25th for light
    ink) stands clearly above the median: there the paper is that brighter part.

    Where a shadow or a strip of desk is the smaller part of the median's window (beside its edge, in
    a wedge of shade) the median takes the lit paper's level, and the shade beside the edge looked like
    a band of ink, joined to the digit when it crossed it. A grey closing (an opening for light ink) a
    fifth of the picture wide follows such a step exactly and removes every stroke narrower than
    itself; the paper is the darker of the two estimates (the lighter, for light ink), so a stroke
    wider than the closing still stands out against the median."""
    from scipy.ndimage import grey_closing, grey_opening, median_filter, percentile_filter

    small = _resize(gray, PAPER_SIDE)
    size = max(3, max(small.shape) // 3 | 1)
    median = median_filter(small, size=size, mode="nearest")
    upper = percentile_filter(
        small, PAPER_PERCENTILE if dark_ink else 100 - PAPER_PERCENTILE, size=size, mode="nearest"
    )
    fooled = (upper - median if dark_ink else median - upper) > MIN_CONTRAST
    paper = _upsize(np.where(fooled, upper, median), gray.shape)
    side = max(3, int(max(gray.shape) * PAPER_STEP) | 1)
    if dark_ink:
        return np.minimum(paper, grey_closing(gray, size=(side, side), mode="nearest"))
    return np.maximum(paper, grey_opening(gray, size=(side, side), mode="nearest"))


def dark_ink(gray: np.ndarray) -> bool:
    """Whether the ink is darker than the paper: most of a picture is paper, so its median is the paper's
    level, and the ink departs from it further than the paper's own light, shade and desk do.

    The picture is first divided by its large-scale light (a wide blur): when a shadow or a strip of
    desk covers half of it, the median is otherwise the shade's level and the lit paper departs from
    it as far as the ink (on test digits photographed on paper, 6 of the first 10 misreadings).
    (Comparing each side's departure from its own local background instead is fooled by a thick marker:
    the paper between its strokes then looks like light ink on dark paper.)
    When the two departures are nearly equal (a shadow and a strip of desk together: the blur mixes
    them with the lit paper beside them, which then stands out as much as the ink), the side whose ink
    stands out clearly further from its own paper wins (`_sides`).
    A picture cut close round dark writing is the exception: more ink than paper, its median is the
    ink's; its frame, mostly the paper between the strokes' ends, is clearly brighter than that median
    (CLOSE_FRAME), and the ink is dark (scans on grey paper cut to the digit: 86.9 -> 93.1 % right,
    benchmarks/uploads.py)."""
    return _sides(gray)[0]


def _sides(gray: np.ndarray) -> tuple[bool, np.ndarray | None]:
    """(whether the ink is dark, its ink map when working that out needed it, else None)."""
    from scipy.ndimage import gaussian_filter

    gray = np.asarray(gray, dtype=np.float32)
    small = _resize(gray, PAPER_SIDE)
    light = _upsize(gaussian_filter(small, sigma=max(small.shape) * LIGHT_SIGMA, mode="nearest"), gray.shape)
    level = gray / np.maximum(light, 0.02)
    flat = level.ravel()
    k = min(max(TOP_PIXELS, flat.size // 500), flat.size)  # the ink's extreme: past specks, within thin ink
    darkest, brightest = np.partition(flat, k - 1)[k - 1], np.partition(flat, -k)[-k]
    middle = float(np.median(flat))
    dark, bright = middle - darkest, brightest - middle
    ink = None
    if abs(dark - bright) >= SIDE_SURE * max(dark + bright, 1e-6):
        dark_side = bool(dark >= bright)
    else:
        # Unsure: the paper's estimates follow a shadow's and a desk's edges, so against them mostly the
        # ink stands out; a side wins only clearly, since a desk's edge can stand out as much.
        as_dark, as_light = _ink_against(gray, True), _ink_against(gray, False)
        peak_dark, peak_light = _peak(as_dark), _peak(as_light)
        if max(peak_dark, peak_light) >= SIDE_CLEAR * max(min(peak_dark, peak_light), 1e-6):
            dark_side = peak_dark > peak_light
        else:
            dark_side = bool(dark >= bright)
        ink = as_dark if dark_side else as_light
    frame = outermost(level)
    if not dark_side and float(np.median(frame)) > middle + CLOSE_FRAME * bright:
        # Cut close round dark writing (a bold digit, a photo cropped to it), the picture is more ink than
        # paper, so its median is the ink's level and the paper departs from it the most; its frame, mostly
        # paper between the strokes' ends, is clearly brighter than that median. (Only towards dark ink: a dark
        # desk round a page is a frame darker than the median with the ink darker still.) There is too
        # little paper between the strokes to follow its light, and a picture cut so close is small on
        # the page: its paper is one level, that of the frame's paper (its part brighter than the median).
        paper = float(np.median(outermost(gray)[frame > middle]))
        return True, np.clip((paper - gray) / max(paper, 0.05), 0.0, 1.0)
    return dark_side, ink


def _ink_against(gray: np.ndarray, dark: bool) -> np.ndarray:
    """How far each pixel departs from its own paper (`paper_background`) on the ink's side, in [0, 1]."""
    bg = paper_background(gray, dark)
    if dark:
        return np.clip((bg - gray) / np.maximum(bg, 0.05), 0.0, 1.0)
    return np.clip((gray - bg) / np.maximum(1.0 - bg, 0.05), 0.0, 1.0)


def ink_map(gray: np.ndarray) -> np.ndarray:
    """How much darker (or lighter) than its own paper each pixel is, in [0, 1], ink bright.

    Dark ink is measured relative to the paper's brightness, so a stroke in a shadow counts as much
    as one in the light.
    """
    return _ink_and_side(gray)[0]


def _ink_and_side(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """(`ink_map` of the picture, whether its ink is dark)."""
    dark, ink = _sides(gray)
    return (ink if ink is not None else _ink_against(gray, dark)), dark


def _bright_region(gray: np.ndarray):
    """On the reduced copy `small` of `gray`: (small, Otsu's threshold, the largest bright region with its
    holes filled, its rows, its columns), or None when the picture does not split clearly into bright and
    dark (`card_on_desk` and `page_on_desk` both start from this region)."""
    from scipy import ndimage

    small = _resize(gray, PAPER_SIDE)
    threshold, separation = otsu(small)
    if separation < CARD_SEPARATION:
        return None
    labels, n = ndimage.label(ndimage.binary_fill_holes(small > threshold))
    if n == 0:
        return None
    region = labels == int(np.argmax(np.bincount(labels.ravel())[1:])) + 1  # the largest region
    rows, cols = ndimage.find_objects(region.astype(int))[0]
    return small, threshold, region, rows, cols


def _card_region(gray: np.ndarray):
    """`_bright_region`'s result when that region could be a card lying whole on a desk (inside the frame,
    at least CARD_MIN_SHARE of the picture, CARD_CONTRAST brighter than the rest), else None: what
    `card_on_desk` (a card with marks) and `blank_card` (one without) both start from."""
    found = _bright_region(gray)
    if found is None:
        return None
    small, _, card, rows, cols = found
    h, w = small.shape
    inside = rows.start > 0 and cols.start > 0 and rows.stop < h and cols.stop < w
    if not (inside and card.sum() >= CARD_MIN_SHARE * small.size):
        return None
    if float(small[card].mean() - small[~card].mean()) < CARD_CONTRAST:
        return None
    return found


def card_on_desk(gray: np.ndarray) -> tuple[slice, slice] | None:
    """Where a card or sheet lying whole on a darker desk is (rows, columns of `gray`, its edge trimmed
    off), or None when the picture is not that.

    Most photos of paper are mostly paper, which the rest of the cleaning assumes (the median is the
    paper's level). A card or sticky note seen whole with the desk all round can be half the picture
    or less: the desk is then the "paper", the card "light ink", and its edge a ring around the digit.
    The card is found on the reduced copy as one bright region, solid (the ink on it is thin), roughly
    rectangular, inside the frame, clearly brighter than what is around it, with some darker marks on it."""
    found = _card_region(gray)
    if found is None:
        return None
    small, threshold, card, rows, cols = found
    bright, (h, w) = small > threshold, small.shape
    if card.sum() < CARD_BOX_FILL * (rows.stop - rows.start) * (cols.stop - cols.start):
        return None
    solid = float(bright[card].mean())
    if solid < CARD_SOLID or solid == 1.0:  # solid, with marks on it
        return None
    # and evenly lit paper, not a bright textured thing: what a plane (the light's gradient) leaves of it is small
    yy, xx = np.nonzero(card & bright)
    plane = np.stack([np.ones(len(xx)), xx, yy], axis=1)
    level = small[yy, xx]
    residual = level - plane @ np.linalg.lstsq(plane, level, rcond=None)[0]
    if float(np.percentile(np.abs(residual), 75)) > CARD_EVEN:
        return None
    scale_y, scale_x = gray.shape[0] / h, gray.shape[1] / w
    trim_y, trim_x = CARD_TRIM * (rows.stop - rows.start), CARD_TRIM * (cols.stop - cols.start)
    return (
        slice(int((rows.start + trim_y) * scale_y), int(np.ceil((rows.stop - trim_y) * scale_y))),
        slice(int((cols.start + trim_x) * scale_x), int(np.ceil((cols.stop - trim_x) * scale_x))),
    )


def page_on_desk(gray: np.ndarray) -> tuple[slice, slice] | None:
    """Where a page is that the frame cuts on some sides while the desk shows along the others (rows,
    columns of `gray`), or None when the picture is not that.

    A strip of desk beside the page is dark like ink and joins a digit written near it into one mark
    (a bar beside a 6 or a 0). Found like `card_on_desk`'s card, on the reduced copy: the largest bright
    region, solid (paper with thin marks), filling its bounding box, clearly brighter than the strips
    between that box and the frame, which must be dark and plain (a desk, with nothing drawn in it: a
    shadow falling across the digit is not cut away)."""
    found = _bright_region(gray)
    if found is None:
        return None
    small, threshold, page, rows, cols = found
    h, w = small.shape
    if (rows.start, cols.start, rows.stop, cols.stop) == (0, 0, h, w):
        return None  # no strip of anything else along the frame
    area, box_area = int(page.sum()), (rows.stop - rows.start) * (cols.stop - cols.start)
    if area < PAGE_MIN_SHARE * small.size or area < CARD_BOX_FILL * box_area:
        return None
    if float((small > threshold)[page].mean()) < CARD_SOLID:
        return None  # not paper with marks on it: e.g. a light digit on black, its loops filled in
    outside = np.ones(small.shape, dtype=bool)
    outside[rows, cols] = False
    strips = small[outside]
    if float(np.mean(strips <= threshold)) < PAGE_DARK:
        return None
    if float(np.percentile(np.abs(strips - np.median(strips)), 75)) > PAGE_PLAIN:
        return None
    if float(small[page].mean() - strips.mean()) < CARD_CONTRAST:
        return None
    # The page's own box, untrimmed: a digit may come close to its edge (what is left of the desk's edge
    # touches the frame, which the cleaning drops).
    scale_y, scale_x = gray.shape[0] / h, gray.shape[1] / w
    box = (
        slice(int(rows.start * scale_y), int(np.ceil(rows.stop * scale_y))),
        slice(int(cols.start * scale_x), int(np.ceil(cols.stop * scale_x))),
    )
    # Nothing is ever cut away that holds ink: a shadow with a straight edge looks like a desk, and a digit
    # may cross it. Checked at full size (a thin pen vanishes in the reduced copy).
    return box if _inkless_beyond(gray, box) else None


def desk_strips(gray: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """Where the paper is (rows, columns of `gray`) when strips of desk run along edges of the frame, and the
    paper's ink map (`ink_map`, which deciding needs), or None when there are none.

    `page_on_desk` finds the page as the bright part of Otsu's split, which shaded, unevenly lit paper
    does not make clearly: there the desk stayed, and a digit written near it joined its mark (a bar under
    a 7, beside a 4; test digits photographed on paper, `benchmarks/photo_cleaning.py`). Each side of the
    frame is looked at on its own instead (`_desk_edge`): the desk's edge is a straight step up to the paper,
    near the frame, along most of the side. Only for dark writing that stands apart from the frame's other
    sides on what is left (`_apart_from_the_frame`; the desk itself can make the whole picture's ink side
    unsure), and nothing that holds ink is cut away (a shadow's straight edge looks the same, and a digit
    may cross it)."""
    small = _resize(gray, PAPER_SIDE)
    h, w = small.shape
    # each side seen as the top of a view of the picture: top, bottom, left, right
    cuts = [_desk_edge(view) for view in (small, small[::-1], small.T, small.T[::-1])]
    if not any(cuts):
        return None
    (top, bottom, left, right), scale_y, scale_x = cuts, gray.shape[0] / h, gray.shape[1] / w
    rows = slice(int(np.ceil(top * scale_y)), gray.shape[0] - int(np.ceil(bottom * scale_y)))
    cols = slice(int(np.ceil(left * scale_x)), gray.shape[1] - int(np.ceil(right * scale_x)))
    if rows.stop - rows.start < gray.shape[0] // 2 or cols.stop - cols.start < gray.shape[1] // 2:
        return None  # most of the picture is not paper: not a page beside a desk
    if not _inkless_beyond(gray, (rows, cols)):
        return None
    ink = _apart_from_the_frame(gray[rows, cols], [cut == 0 for cut in cuts])
    return None if ink is None else ((rows, cols), ink)


def _apart_from_the_frame(page: np.ndarray, uncut: list[bool]) -> np.ndarray | None:
    """`page`'s ink map when it (a picture with strips of desk cut away) holds dark writing that stands apart
    from the sides of the frame not cut (`uncut`: top, bottom, left, right): no two pixels of any of those outer
    lines are ink at half its peak; else None. Light writing's strokes near the frame are steps up to the paper
    too, and so is the stroke along the frame of a glyph cut close round its ink (a scan, a dataset's digit: a
    2's foot, a 7's bar), whose other strokes run into the other sides."""
    ink, dark = _ink_and_side(page)
    if not dark:
        return None
    level = 0.5 * _peak(ink)
    lines = (ink[0], ink[-1], ink[:, 0], ink[:, -1])
    if any(keep and np.count_nonzero(line > level) >= 2 for keep, line in zip(uncut, lines, strict=True)):
        return None
    return ink


def _desk_edge(small: np.ndarray) -> int:
    """How many rows of `small` (a reduced picture, the side of the frame looked at on top) to cut away with a
    strip of desk along its top (the desk's rows and DESK_MARGIN more); 0 when there is no such strip."""
    h, w = small.shape
    depth = max(3, int(DESK_DEPTH * h))
    if h < depth + 3:
        return 0
    # Per column, the step into row i: the mean of rows i, i+1 less the mean of the (up to) two rows above.
    sums = np.cumsum(np.vstack([np.zeros((1, w)), small]), axis=0)
    i = np.arange(1, depth)
    above = (sums[i] - sums[np.maximum(i - 2, 0)]) / np.minimum(i, 2)[:, None]
    steps = (sums[i + 2] - sums[i]) / 2 - above
    where = np.argmax(steps, axis=0) + 1  # the largest step up in each column, and how large
    strong = steps[where - 1, np.arange(w)] >= DESK_STEP
    # the straight line most columns' steps lie on: seeded at the most common place, fitted to its columns
    agree = np.array([np.count_nonzero(strong & (np.abs(where - c) <= DESK_STRAIGHT)) for c in range(depth + 1)])
    on_line = strong & (np.abs(where - int(np.argmax(agree))) <= DESK_STRAIGHT)
    x = np.arange(w)
    for _ in range(3):
        if np.count_nonzero(on_line) < max(2, DESK_ALONG * w):
            return 0
        slope, intercept = np.polyfit(x[on_line], where[on_line], 1)
        edge = intercept + slope * x
        on_line = strong & (np.abs(where - edge) <= DESK_STRAIGHT)
    if np.count_nonzero(on_line) < DESK_ALONG * w or edge.min() < 1:
        return 0
    yy = np.arange(h)[:, None]
    desk = small[yy < np.floor(edge)[None, :] - 0.5]
    band = (yy >= np.ceil(edge)[None, :] + DESK_MARGIN) & (yy < np.ceil(edge)[None, :] + DESK_MARGIN + max(3, h // 8))
    if not desk.size or not band.any():
        return 0
    if float(np.percentile(np.abs(desk - np.median(desk)), 75)) > PAGE_PLAIN:
        return 0  # not plain: something drawn or photographed, not a desk
    if float(np.median(small[band]) - np.median(desk)) < DESK_STEP:
        return 0
    return int(np.ceil(edge.max())) + DESK_MARGIN


def _inkless_beyond(gray: np.ndarray, box: tuple[slice, slice]) -> bool:
    """Whether what lies outside `box` (rows, columns of `gray`), which a crop to it would cut away, holds no ink
    (`_inkless`)."""
    beyond = np.ones(gray.shape, dtype=bool)
    beyond[box] = False
    return _inkless(gray[beyond])


def _inkless(values: np.ndarray) -> bool:
    """Whether plain paper or desk is all these pixels hold: at most PAGE_INKLESS of them ink-dark (darker
    than their median by 2 MIN_CONTRAST, or by four times their grain when that is more)."""
    level = float(np.median(values))
    spread = 1.4826 * float(np.median(np.abs(values - level)))  # the grain, as a standard deviation
    return float(np.mean(values < level - max(2 * MIN_CONTRAST, 4 * spread))) <= PAGE_INKLESS


def blank_card(gray: np.ndarray) -> bool:
    """Whether the picture is a card or sheet with nothing on it, lying whole on a darker desk.

    `card_on_desk` looks for a card with marks on it; a blank one is otherwise taken for light ink on a
    dark desk and read as a digit (its brighter edge as a "1"). Found as one bright region without marks
    in the reduced copy, inside the frame, clearly brighter than the desk, card-shaped (convex, not long
    and narrow: a light digit on black, however thick, has a notch or is a stroke), and, checked at full
    size (a thin pen vanishes in the reduced copy), with no ink on it."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull, QhullError

    found = _card_region(gray)
    if found is None:
        return False
    small, threshold, card, rows, cols = found
    h, tall, wide = small.shape[0], rows.stop - rows.start, cols.stop - cols.start
    if not (small > threshold)[card].all() or max(tall, wide) > CARD_BLANK_ASPECT * min(tall, wide):
        return False  # marks on it (card_on_desk's case), or long and narrow like a stroke
    # At full size (the reduced copy's staircase edges are not convex): the bright region over the card
    labels, _ = ndimage.label(ndimage.binary_fill_holes(gray > threshold))
    over = labels[_upsize(card.astype(np.float32), gray.shape) > 0.5]
    full = labels == int(np.argmax(np.bincount(over[over > 0]))) if over.any() else None
    if full is None or float((gray > threshold)[full].mean()) < CARD_SOLID:
        return False  # none, or a light ring on black (a 0 whose loop closes only at full size)
    yy, xx = np.nonzero(full & ~ndimage.binary_erosion(full))  # its outline
    corners = np.concatenate([np.stack([yy + dy, xx + dx], axis=1) for dy in (0, 1) for dx in (0, 1)])
    try:
        hull = ConvexHull(corners).volume  # in two dimensions, the hull's area
    except QhullError:
        return False
    if full.sum() < (1 - CARD_BLANK_CONVEX) * hull:
        return False
    # Its inside (the edge, blurred into the desk, left out)
    margin = max(2, int(CARD_TRIM * min(tall, wide) * gray.shape[0] / h))
    inner = ndimage.binary_erosion(full, iterations=margin)
    return bool(inner.any()) and _inkless(gray[inner])


def _peak(ink: np.ndarray) -> float:
    """The ink's peak: its TOP_PIXELS-th brightest pixel (single bright pixels are noise)."""
    return float(np.partition(ink.ravel(), -TOP_PIXELS)[-TOP_PIXELS]) if ink.size >= TOP_PIXELS else 0.0


def _marks(ink: np.ndarray, top: float):
    """The ink scaled to `top` (clipped to [0, 1]), Otsu's between-class share of its variance, and its marks:
    the pixels above Otsu's threshold (and 0.2), labelled into connected marks (labels, how many)."""
    from scipy import ndimage

    scaled = np.clip(ink / top, 0.0, 1.0)
    threshold, separation = otsu(scaled)
    mask = scaled > max(threshold, 0.2)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    return scaled, separation, mask, labels, n


def _scale_inside(ink: np.ndarray, top: float, labels: np.ndarray) -> float:
    """The ink's scale: its peak away from the marks that touch the frame, when a mark of its own stands
    out there, else `top` (the peak over the whole picture); `labels`: the marks at scale `top` (`_marks`).

    A strip of desk or a shadow's sharp edge can depart from the paper more than a pencil's writing:
    scaled to it, the writing fell below Otsu's threshold and the frame's mark was kept as the drawing,
    there being nothing else (faint ink photographed at 0.4 of a pen's darkness: 68-74 % read right)."""
    from scipy import ndimage

    edge = np.unique(outermost(labels))
    if not edge[edge > 0].size:
        return top
    marks = np.isin(labels, edge[edge > 0])
    rest = np.where(ndimage.binary_dilation(marks, iterations=FRAME_MARGIN), 0.0, ink)
    inside = _peak(rest)
    if not FAINT_INK <= inside < top:
        return top
    # What stands out inside must be a mark of its own, not the soft rim of a frame's mark (a digit
    # whose tail the frame cuts is such a mark): at half its level, apart from every frame mark.
    pieces, _ = ndimage.label(ink > 0.5 * inside, structure=np.ones((3, 3)))
    own = np.setdiff1d(np.unique(pieces[rest >= inside]), np.unique(pieces[marks]))
    return inside if own[own > 0].size else top


def plain_background(gray: np.ndarray) -> bool:
    """Whether the picture is a drawing made on a screen and saved as a file (a PNG from a drawing app,
    the canvas, an MNIST image), not a photo or a scan: most of it (PLAIN_SHARE) is pure black or pure
    white, within PLAIN_LEVEL of 255, and so is nearly all its frame (the background is the extreme on its
    frame's side: a bold digit stretched to fill its box can be more ink than background); or, when its
    strokes run into the frame (a dataset's digit cut to its ink: `cut_to_its_ink`), at least
    PLAIN_CUT_SHARE of it is (a tenth, PLAIN_CUT_SHARE_SMALL, of a picture no larger than SMALL_PICTURE:
    a small glyph's background is mostly mixed with its ink by resampling and JPEG); or it is small and
    black and white only (`black_and_white_only`).
    Paper always has grain, light and noise; a smooth sky is grey.
    Such a drawing has nothing to clean and is read whole, as the canvas is: the cleaning keeps one mark
    and what is near it (against a photo's specks and desk), which dropped parts of letters, symbols and
    scribbles and left digit-like strokes, and thinned MNIST's own 28-pixel images."""
    levels = np.round(np.asarray(gray, dtype=np.float32) * 255).astype(np.int16).ravel()
    if not levels.size:
        return False
    small = max(np.shape(gray)) <= SMALL_PICTURE
    if small and black_and_white_only(levels):
        return True
    mode = int(np.argmax(np.bincount(np.clip(levels, 0, 255), minlength=256)))
    if PLAIN_LEVEL < mode < 255 - PLAIN_LEVEL:
        return False  # a drawing's background is black or white; a smooth sky, a wall, are grey
    if (np.median(outermost(gray)) < 0.5) != (mode < 128):
        mode = 255 - mode  # more ink than background (a bold digit stretched to fill its box): the frame tells
    plain = float(np.mean(np.abs(levels - mode) <= PLAIN_LEVEL))
    if plain < (PLAIN_CUT_SHARE_SMALL if small else PLAIN_CUT_SHARE):
        return False
    # and all round it: a page photographed so bright that it is pure white, with the desk or a shadow
    # along an edge, is still a photo (the cleaning drops what touches the frame)
    edge = np.round(outermost(gray) * 255)
    if plain >= PLAIN_SHARE and float(np.mean(np.abs(edge - mode) <= PLAIN_LEVEL)) >= PLAIN_EDGE:
        return True
    return cut_to_its_ink(levels.reshape(np.shape(gray)), mode)


def black_and_white_only(levels: np.ndarray) -> bool:
    """Whether a picture (levels 0..255) is black and white only, within JPEG's noise: all but
    JPEG_STRAY of its pixels within JPEG_NOISE of black or white, and the middle of each side within
    JPEG_TONE of its extreme (light grey paper, evenly lit, is not white).

    A small one (no larger than SMALL_PICTURE) is a glyph as a dataset or a form stores it (Semeion's
    16x16 digits; MNIST's thresholded): no phone or scanner makes such a picture of a page. Thin strokes,
    so stored, break into pieces, and a piece standing apart from the strokes that run into the frame
    made `cut_to_its_ink` say "a photo": the cleaning kept one piece (MNIST's test digits stretched to fill
    16x16 in black and white: 1 % so read, most of them "none"). Saved as JPEG, such a glyph is grey near
    its strokes: 4 % of bold ones so stored were cleaned as photos while the test took exact levels."""
    levels = np.asarray(levels).ravel()
    if np.mean(np.minimum(levels, 255 - levels) <= JPEG_NOISE) < 1 - JPEG_STRAY:
        return False
    dark, light = levels[levels < 128], levels[levels >= 128]
    return bool(
        (not dark.size or np.median(dark) <= JPEG_TONE) and (not light.size or np.median(light) >= 255 - JPEG_TONE)
    )


def cut_to_its_ink(levels: np.ndarray, background: int) -> bool:
    """Whether a drawing on a plain background (levels 0..255) was cropped to its ink, so that its strokes
    run into the frame: no mark stands apart from those that touch the frame (specks aside).

    A dataset's digits and a scan cut to the glyph are such pictures. Cleaned as photos, the strokes
    touching the frame were dropped as a desk's edge and a fragment between them kept (test digits cut to
    their ink at 64 pixels: 92.1 % right against 97.8 % with a margin, benchmarks/uploads.py). A bright
    page with the desk along an edge has its writing inside, apart from the desk."""
    from scipy import ndimage

    away = np.abs(levels.astype(np.float32) - background)
    top = float(away.max())
    labels, n = ndimage.label(away > MARK_JOIN * top, structure=np.ones((3, 3)))
    if n == 0:
        return False
    strong = (away > 0.5 * top).ravel()
    ink = np.bincount(labels.ravel(), weights=strong, minlength=n + 1)[1:]  # each mark's strong ink
    touching = np.zeros(n + 1, dtype=bool)
    touching[outermost(labels)] = True
    marks = ink >= SPECK * ink.max()  # the strongest pixel is in some mark, so ink.max() > 0: inkless joins drop
    return bool(marks.any() and not (marks & ~touching[1:]).any())


def _ink_on_every_side(ink: np.ndarray) -> bool:
    """Whether ink (CLOSE_SIDE_INK of its peak or more) reaches all four sides of the frame: a glyph cut
    close round its ink. (A small photo of a page has paper round the writing on some side.)"""
    at = CLOSE_SIDE_INK * _peak(ink)
    return bool(at > 0 and all(side.max() >= at for side in (ink[0], ink[-1], ink[:, 0], ink[:, -1])))


def one_level_ink(gray: np.ndarray) -> np.ndarray:
    """`ink_map` of a small picture (no larger than SMALL_PICTURE): a glyph cut close from a scan or a
    page, its paper one level (SMALL_PAPER_PERCENTILE of it, on the paper's side).

    Told by ink on every side of its frame (`_ink_on_every_side`): a digit cropped from a scan, a form
    or a larger photo so close that its strokes run into the frame and fill much of it (a small photo
    of a whole page has paper round the writing). The paper's light estimated window by window took a
    bold stroke's level for the paper's (the strokes vanished in pieces), and the marks touching the
    frame were dropped as a desk's edge (`clean_photo`), leaving one piece: MNIST's test digits scanned
    on grey paper and cut to the ink, 93.1 % right against 97.3 % with paper round them
    (benchmarks/uploads.py); now 96.2 %."""
    dark = dark_ink(gray)
    paper = float(np.percentile(gray, SMALL_PAPER_PERCENTILE if dark else 100 - SMALL_PAPER_PERCENTILE))
    away = (paper - gray) / max(paper, 0.05) if dark else (gray - paper) / max(1.0 - paper, 0.05)
    return np.clip(away, 0.0, 1.0).astype(np.float32)


def clean_photo(gray: np.ndarray) -> np.ndarray:
    """Ink on black (H', W') float32 in [0, 1] from a grayscale picture in [0, 1]; raises NoInkError.

    A small picture (SMALL_PICTURE or less, with no card or page found in it) with ink on every side of
    its frame is a glyph cut close (`one_level_ink`): its paper is one level, and its marks touching
    the frame are its strokes."""
    from scipy import ndimage

    small = max(np.shape(gray)) <= SMALL_PICTURE
    gray = _resize(np.asarray(gray, dtype=np.float32), WORK_SIDE)
    if blank_card(gray):
        raise NoInkError("no clear ink: a card or sheet with nothing on it")
    paper, ink = card_on_desk(gray) or page_on_desk(gray), None
    if paper is None and (strips := desk_strips(gray)) is not None:
        paper, ink = strips  # its ink map comes with it: deciding needed it
    if paper is not None:  # look at the card or page alone: it is then the paper, and the desk is gone
        gray = gray[paper]
    if ink is None:
        ink = ink_map(gray)
    cut_close = small and paper is None and _ink_on_every_side(ink)
    if cut_close:  # a glyph cut close from a scan or a page: no desk, one paper level
        ink = one_level_ink(gray)
    top = _peak(ink)
    if top < MIN_CONTRAST:
        raise NoInkError("no clear ink: the picture is blank or too faint")
    scaled, separation, mask, labels, n = _marks(ink, top)
    scale = _scale_inside(ink, top, labels)
    if scale != top:  # the frame's marks set the scale: thresholded again at the writing's own
        scaled, separation, mask, labels, n = _marks(ink, scale)
    ink = scaled
    if separation < MIN_SEPARATION or not mask.any():
        raise NoInkError("no clear ink: nothing in the picture stands out from its background")
    mass = ndimage.sum(ink, labels, index=np.arange(1, n + 1))
    boxes = ndimage.find_objects(labels)
    h, w = ink.shape
    # Specks are noise. A mark touching the frame is the desk, a shadow's edge or a cut-off object,
    # not the drawing, unless there is nothing else, or the picture is a glyph cut close (its strokes
    # run into the frame).
    inside = np.array([b[0].start > 0 and b[1].start > 0 and b[0].stop < h and b[1].stop < w for b in boxes])
    candidate = mass >= SPECK * mass.max()
    if (candidate & inside).any() and not cut_close:
        candidate &= inside
    main = int(np.argmax(np.where(candidate, mass, -1.0)))
    top_, bottom, left, right = boxes[main][0].start, boxes[main][0].stop, boxes[main][1].start, boxes[main][1].stop
    # Marks within half the main mark's size of it belong to the same glyph (a 5's bar, an i's dot).
    my, mx = (bottom - top_) // 2 + 2, (right - left) // 2 + 2
    near = np.array(
        [
            b[0].start < bottom + my and b[0].stop > top_ - my and b[1].start < right + mx and b[1].stop > left - mx
            for b in boxes
        ]
    )
    group = candidate & near
    if mass[group].sum() < MIN_MAIN_SHARE * mass[candidate].sum():
        raise NoInkError("no clear ink: the picture holds many scattered marks, not one drawing")
    keep = np.concatenate([[False], group])
    near_ink = ndimage.binary_dilation(keep[labels], iterations=2)
    return (ink * near_ink).astype(np.float32)
