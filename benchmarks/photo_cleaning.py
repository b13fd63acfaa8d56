"""What photographing a digit on paper costs, once the photo is cleaned: the same test digits, placed the
same way, read from the canvas and from a generated photo of paper (`latent.inputs.junk.on_paper`:
grey uneven paper, shadows, a strip of desk, blur, JPEG), through `latent.inputs.photo.clean_photo`.

    python benchmarks/photo_cleaning.py                      # assets/mnist, seeds 7 11 23, 300 digits each
    python benchmarks/photo_cleaning.py --seeds 1 2 --n 500 --model assets/mnist-joint
    python benchmarks/photo_cleaning.py --ink 0.4                # faint ink: a pencil
    python benchmarks/photo_cleaning.py --paper squared          # faint printed lines through the digit

Per seed: digits read right without any "none" answer, read right / answered "none" by the bundle's
rule, on the canvas and on paper, and how many the canvas reads right that the photo loses (a wrong
class or a "none"). Then how long cleaning and preprocessing a photo took. Needs the MNIST files
(`--data-dir` or LATENT_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ruling(size: int, rng: np.random.Generator, *, squared: bool) -> np.ndarray:
    """Faint printed lines, as ink on black: ruled (across) or squared (across and down), 1-3 px wide,
    0.25-0.5 of the writing's darkness, 12-30 % of the canvas apart."""
    layer = np.zeros((size, size), dtype=np.float32)
    gap = int(rng.uniform(0.12, 0.3) * size)
    offset, width, level = int(rng.integers(gap)), int(rng.integers(1, 4)), rng.uniform(0.25, 0.5)
    for at in range(offset, size, gap):
        layer[at : at + width] = level
        if squared:
            layer[:, at : at + width] = level
    return layer


def measure(
    model, images: np.ndarray, labels: np.ndarray, seed: int, size: int = 280, ink: float = 1.0, paper: str = "plain"
) -> dict:
    from latent.errors import ImageInputError
    from latent.inputs import junk
    from latent.inputs.preprocess import CANVAS, INK, UPLOAD, prepare

    canvas_x, paper_x, seconds = [], [], []
    for i, image in enumerate(images):
        rng = np.random.default_rng([seed, i])
        canvas = junk.rewrite(image.astype(np.float32) / 255.0, rng, size)
        page = canvas * ink
        if paper != "plain":
            page = np.maximum(page, ruling(size, rng, squared=paper == "squared"))
        photo = junk.on_paper(page, rng, size=size)
        start = time.perf_counter()
        try:
            paper_x.append(prepare(photo, via=UPLOAD, reading=INK))
        except ImageInputError:  # "no clear ink": answered "none"
            paper_x.append(None)
        seconds.append(time.perf_counter() - start)
        canvas_x.append(prepare(canvas, via=CANVAS, reading=INK))
    out = {}
    right = {}
    for name, xs in (("canvas", canvas_x), ("paper", paper_x)):
        read = np.array([x is not None for x in xs])
        x = np.stack([x for x in xs if x is not None])
        result = model.classify_images(x, rule=model.rule)
        best = np.full(len(xs), -1)
        best[read] = model.mixture.classes_[result.proba.argmax(axis=1)]
        none = np.ones(len(xs), dtype=bool)
        none[read] = [r is not None for r in result.reasons]
        right[name] = (best == labels) & ~none
        out[name] = {
            "without none": float(np.mean(best == labels)),
            "right": float(np.mean(right[name])),
            "none": float(np.mean(none)),
        }
    out["lost"] = int(np.sum(right["canvas"] & ~right["paper"]))
    out["seconds"] = seconds  # cleaning and preprocessing each photo
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"), help="bundle (default: assets/mnist)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 23], help="seeds, one set of digits each")
    parser.add_argument("--n", type=int, default=300, help="test digits per seed (default 300)")
    parser.add_argument(
        "--ink", type=float, default=1.0, help="how dark the ink is on paper, 0..1 (default 1: a pen; ~0.4: a pencil)"
    )
    parser.add_argument("--paper", choices=["plain", "ruled", "squared"], default="plain", help="the paper's lines")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"), help="where the MNIST files are")
    args = parser.parse_args(argv)

    from latent.bundle.model import LatentModel
    from latent.errors import LatentError
    from latent.inputs.data import load_dataset

    try:
        model = LatentModel.load(args.model)
        data = load_dataset(model.manifest["config"]["dataset"], args.data_dir, download=False, progress=False)
    except LatentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    pencil = f" (ink at {args.ink:g} of a pen's darkness)" if args.ink != 1.0 else ""
    print(f"{args.model}: {args.n} test digits per seed, on a canvas and photographed on {args.paper} paper{pencil}")
    print(f"{'seed':>5} {'':7} {'without none':>13} {'right':>7} {'none':>6}   lost to the photo")
    seconds = []
    for seed in args.seeds:
        pick = np.random.default_rng(seed).choice(len(data.x_test), args.n, replace=False)
        r = measure(model, data.x_test[pick], data.y_test[pick], seed, ink=args.ink, paper=args.paper)
        seconds += r["seconds"]
        for name in ("canvas", "paper"):
            m = r[name]
            lost = f"   {r['lost']}" if name == "paper" else ""
            print(f"{seed:>5} {name:7} {m['without none']:13.3f} {m['right']:7.3f} {m['none']:6.3f}{lost}")
    ms = np.array(seconds) * 1000
    print(
        f"a photo cleaned and preprocessed: median {np.median(ms):.0f} ms, "
        f"98th percentile {np.percentile(ms, 98):.0f} ms, slowest {ms.max():.0f} ms (this machine, one process)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
