"""Drawings uploaded as files against the same drawings on the canvas: does `classify` answer alike?

    python benchmarks/uploads.py                         # assets/mnist, seed 123, PNG and JPEG
    python benchmarks/uploads.py --seed 99 --n 150 --formats PNG

People upload what they drew in a drawing app, or a digit from a dataset, as well as photos of paper.
`evaluate --junk` reads drawn kinds as the Draw page's canvas gives them; here each generated drawing
(seeded) is also saved as a file, white on black and black on white, and read as `classify` reads an
upload (`image_to_model_input`), and 1,000 of MNIST's test digits (a seeded draw) are uploaded as
28-pixel and 224-pixel files. Printed per kind: the share answered "none" (junk) or read right
(digits) on the canvas and as each upload. Needs the MNIST files for the last rows (`--data-dir` or
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

KINDS = (
    "letters (drawn)",
    "letters (fonts)",
    "symbols, other scripts",
    "scribbles",
    "shapes",
    "drawn digits",
    "drawn digits, thin pen",
)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"))
    parser.add_argument("--n", type=int, default=150, help="drawings per kind (default 150)")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--formats", nargs="+", default=["PNG", "JPEG"], choices=["PNG", "JPEG"])
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"))
    args = parser.parse_args(argv)

    from benchmarks.real_photos import read_uploads
    from latent.bundle.model import LatentModel
    from latent.errors import LatentError
    from latent.inputs import junk
    from latent.inputs.data import load_dataset

    model = LatentModel.load(args.model)
    uploads = [(fmt, polarity) for fmt in args.formats for polarity in ("white on black", "black on white")]
    what = 'junk: share "none", digits: read right'
    print(f"{Path(args.model).name}: {args.n} drawings per kind (seed {args.seed}); {what}")
    print(f"{'kind':26s} {'canvas':>8s}" + "".join(f" {f + ', ' + p:>22s}" for f, p in uploads))
    for kind in KINDS:
        samples = junk.generate(kind, args.n, args.seed)
        labels = [s.label for s in samples]
        canvas = canvas_answers(model, samples)
        row = f"{kind:26s} {score(canvas, labels):8.1%}"
        for fmt, polarity in uploads:
            files = [as_file(s.image if polarity == "white on black" else 1.0 - s.image, fmt) for s in samples]
            row += f" {score([a for a, _, _ in read_uploads(model, files)], labels):22.1%}"
        print(row, flush=True)
    try:
        ds = load_dataset("mnist", args.data_dir, download=False, progress=False)
    except LatentError:
        print("MNIST's test digits: not found here (--data-dir or LATENT_DATA_DIR), skipped")
        return 0
    from PIL import Image

    pick = np.random.default_rng(4).choice(len(ds.x_test), 1000, replace=False)
    labels = [str(ds.class_names[int(y)]) for y in ds.y_test[pick]]
    for side in (28, 224):
        for fmt in args.formats:
            files = [
                as_file(np.asarray(Image.fromarray(x).resize((side, side), Image.Resampling.BILINEAR)), fmt)
                if side != 28
                else as_file(x, fmt)
                for x in ds.x_test[pick]
            ]
            answers = [a for a, _, _ in read_uploads(model, files)]
            print(
                f"MNIST test digits uploaded, {side} px {fmt}: right {score(answers, labels):.1%}, "
                f'"none" {np.mean([a == "none" for a in answers]):.1%}'
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
