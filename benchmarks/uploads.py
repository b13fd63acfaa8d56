"""Drawings uploaded as files against the same drawings on the canvas: does `classify` answer alike?

    python benchmarks/uploads.py                         # assets/mnist, seed 123, PNG and JPEG
    python benchmarks/uploads.py --seed 99 --n 150 --formats PNG
    python benchmarks/uploads.py --digits-only           # only digits stored as datasets do (scikit-learn's, MNIST's)
    python benchmarks/uploads.py --digits-only --mnist-seed 5 --formats PNG   # another 1,000 test digits

People upload what they drew in a drawing app, or a digit from a dataset, as well as photos of paper.
`evaluate --junk` reads drawn kinds as the Draw page's canvas gives them; here each generated drawing
(seeded) is also saved as a file, white on black and black on white (and, as datasets store glyphs, cut
to its ink, or stretched to fill a 16-pixel square in black and white), and read as `classify` reads an
upload (`image_to_model_input`); scikit-learn's 1,797 real digits (43 writers, 8x8, each filling its
box) are uploaded as stored, enlarged smoothly to 16-64 pixels (`SKLEARN_SIDES`) and by repeating
pixels (`SKLEARN_REPEATED`); and 1,000 of MNIST's test digits (a seeded draw) are uploaded as files the
way datasets and scanners store digits
(`DATASET_STYLES`: 28 and 224 pixels, black and white, cut to the ink, stretched to fill a 16-pixel box,
scanned on grey paper). Printed per kind: the share answered "none" (junk) or read right (digits) on the
canvas and as each upload; per size of scikit-learn's digits and per way of storing MNIST's, the share
read right and the share answered "none". Needs the MNIST files for the last rows (`--data-dir` or
LATENT_DATA_DIR; skipped without them).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latent.inputs import stored  # noqa: E402 (after the path it is found on)

KINDS = (
    "letters (drawn)",
    "letters (fonts)",
    "symbols, other scripts",
    "scribbles",
    "shapes",
    "drawn digits",
    "drawn digits, thin pen",
)


def _scanned(image: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """A uint8 digit (ink bright, cut to its ink) as a scanner sees it: dark ink on grey paper with grain,
    with `margin` (a share of its longest side) of paper around it. Seeded by the digit itself."""
    rng = np.random.default_rng(int(image.sum()))
    ink = np.pad(image.astype(np.float32) / 255.0, int(margin * max(image.shape)))
    paper, dark = rng.uniform(0.7, 0.9), rng.uniform(0.05, 0.3)
    gray = paper + (dark - paper) * ink + rng.normal(0, 0.02, ink.shape)
    return np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8)


# How digits are stored by datasets and scanners, from an MNIST digit (uint8, 28x28, ink bright): as
# MNIST stores it, enlarged, thresholded to black and white, cut to the ink (a scan cropped to the glyph),
# stretched to fill a 16-pixel box (as Semeion's digits are, black and white, also written with a bolder
# pen; and such a file enlarged smoothly or by repeating pixels, as it is when viewed larger and saved),
# scanned dark on grey paper (cut to the ink, or with paper round it).
DATASET_STYLES = {
    "28 px": lambda x: x,
    "224 px": lambda x: stored.resized(x, 224, 224),
    "28 px black and white": stored.black_and_white,
    "cut to the ink, 16 px": lambda x: stored.cut_to_ink(x, 16),
    "cut to the ink, 64 px": lambda x: stored.cut_to_ink(x, 64),
    "cut to the ink, 16 px black and white": lambda x: stored.black_and_white(stored.cut_to_ink(x, 16)),
    "stretched to fill 16x16": lambda x: stored.cut_to_ink(x, 16, fill=True),
    "stretched to fill 16x16 black and white": stored.as_semeion,
    "stretched to fill 16x16 black and white, a pen a pixel thicker": lambda x: stored.as_semeion(stored.bolder(x)),
    "stretched to fill 16x16 black and white, enlarged to 128 px": lambda x: stored.resized(
        stored.as_semeion(x), 128, 128
    ),
    "stretched to fill 16x16 black and white, enlarged to 128 px by repeating pixels": lambda x: stored.resized(
        stored.as_semeion(x), 128, 128, "NEAREST"
    ),
    "scanned on grey paper, cut to the ink, 64 px": lambda x: _scanned(stored.cut_to_ink(x, 64)),
    "scanned on grey paper, a margin round it, 64 px": lambda x: _scanned(stored.cut_to_ink(x, 64), margin=0.15),
}


def as_file(picture: np.ndarray, fmt: str) -> bytes:
    """A grayscale picture in [0, 1] (or uint8) saved as an image file's bytes."""
    from PIL import Image

    pixels = picture if picture.dtype == np.uint8 else np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8)
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return data.getvalue()


def score(answers: list[str], labels: list[str | None]) -> float:
    """Read right (digits: the answer is the label) or answered "none" (junk: no label)."""
    if labels[0] is None:
        return float(np.mean([a == "none" for a in answers]))
    return float(np.mean([a == label for a, label in zip(answers, labels, strict=True)]))


def canvas_answers(model, samples) -> list[str]:
    """Each sample as the Draw page's canvas gives it, read by the bundle: a class name or "none"."""
    from latent.bundle.reading import read_input
    from latent.errors import BlankImageError
    from latent.inputs.preprocess import prepare

    answers = []
    for sample in samples:
        try:
            reading = read_input(model, prepare(sample.image, via=sample.via), rule=model.rule)
        except BlankImageError:
            answers.append("none")
            continue
        answers.append(reading.name)
    return answers


# scikit-learn's digits as stored (8x8) and enlarged smoothly, as a small scan cut to the digit would be,
# or by repeating pixels, as an 8x8 picture shown larger (an image viewer, a plot) and saved is.
SKLEARN_SIDES = (8, 16, 32, 64)
SKLEARN_REPEATED = (64,)


def sklearn_rows(model, formats) -> None:
    """Print, per size and format, the share of scikit-learn's 1,797 digits read right and answered "none"."""
    from PIL import Image
    from sklearn.datasets import load_digits

    from benchmarks.real_photos import read_uploads

    digits = load_digits()
    labels = [str(y) for y in digits.target]
    glyphs = [Image.fromarray(np.round(image * 255 / 16).astype(np.uint8)) for image in digits.images]
    sizes = [(side, "BILINEAR", "") for side in SKLEARN_SIDES]
    sizes += [(side, "NEAREST", " by repeating pixels") for side in SKLEARN_REPEATED]
    for side, resample, how in sizes:
        pictures = [np.asarray(glyph.resize((side, side), Image.Resampling[resample])) for glyph in glyphs]
        for fmt in formats:
            files = [as_file(picture, fmt) for picture in pictures]
            answers = [a for a, _, _ in read_uploads(model, files)]
            print(
                f"scikit-learn's digits uploaded, {side} px{how} {fmt}: right {score(answers, labels):.1%}, "
                f'"none" {np.mean([a == "none" for a in answers]):.1%}',
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"))
    parser.add_argument("--n", type=int, default=150, help="drawings per kind (default 150)")
    parser.add_argument("--seed", type=int, default=123, help="the drawings' seed (default 123)")
    parser.add_argument("--mnist-seed", type=int, default=4, help="which 1,000 of MNIST's test digits (default 4)")
    parser.add_argument("--formats", nargs="+", default=["PNG", "JPEG"], choices=["PNG", "JPEG"])
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"))
    parser.add_argument(
        "--digits-only",
        action="store_true",
        help="skip the drawings; only digits stored as datasets do (scikit-learn's, MNIST's test digits)",
    )
    args = parser.parse_args(argv)

    from benchmarks.real_photos import read_uploads
    from latent.bundle.model import LatentModel
    from latent.errors import LatentError
    from latent.inputs import junk
    from latent.inputs.data import load_dataset

    model = LatentModel.load(args.model)
    uploads = [(fmt, polarity) for fmt in args.formats for polarity in ("white on black", "black on white")]
    if not args.digits_only:
        what = 'junk: share "none", digits: read right'
        print(f"{Path(args.model).name}: {args.n} drawings per kind (seed {args.seed}); {what}")
        header = "".join(f" {f + ', ' + p:>22s}" for f, p in uploads)
        header += f" {'PNG cut to the ink, 64 px':>26s} {'PNG filling 16x16, b&w':>23s}"
        print(f"{'kind':26s} {'canvas':>8s}" + header)
    for kind in () if args.digits_only else KINDS:
        samples = junk.generate(kind, args.n, args.seed)
        labels = [s.label for s in samples]
        canvas = canvas_answers(model, samples)
        row = f"{kind:26s} {score(canvas, labels):8.1%}"
        for fmt, polarity in uploads:
            files = [as_file(s.image if polarity == "white on black" else 1.0 - s.image, fmt) for s in samples]
            row += f" {score([a for a, _, _ in read_uploads(model, files)], labels):22.1%}"
        # as a dataset stores a glyph: cut to its ink (black on white), its longest side 64 pixels
        drawn = [np.round(s.image * 255).astype(np.uint8) for s in samples]
        files = [as_file(255 - stored.cut_to_ink(image, 64), "PNG") for image in drawn]
        row += f" {score([a for a, _, _ in read_uploads(model, files)], labels):26.1%}"
        # as Semeion stores a digit: stretched to fill a 16-pixel square, black and white
        files = [as_file(stored.as_semeion(image), "PNG") for image in drawn]
        row += f" {score([a for a, _, _ in read_uploads(model, files)], labels):23.1%}"
        print(row, flush=True)
    sklearn_rows(model, args.formats)
    try:
        ds = load_dataset("mnist", args.data_dir, download=False, progress=False)
    except LatentError:
        print("MNIST's test digits: not found here (--data-dir or LATENT_DATA_DIR), skipped")
        return 0
    pick = np.random.default_rng(args.mnist_seed).choice(len(ds.x_test), 1000, replace=False)
    labels = [str(ds.class_names[int(y)]) for y in ds.y_test[pick]]
    for style, save_as in DATASET_STYLES.items():
        for fmt in args.formats:
            files = [as_file(save_as(x), fmt) for x in ds.x_test[pick]]
            answers = [a for a, _, _ in read_uploads(model, files)]
            print(
                f"MNIST test digits uploaded, {style} {fmt}: right {score(answers, labels):.1%}, "
                f'"none" {np.mean([a == "none" for a in answers]):.1%}',
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
