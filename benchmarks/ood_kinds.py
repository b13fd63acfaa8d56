"""Out-of-distribution AUROC of every score against foreign kinds that played no part in choosing them.

The typicality score's four statistics were chosen by looking at MNIST vs Fashion-MNIST, so that
pair's AUROC flatters it. This script checks it on other foreign images, made from the model's own
test images or from nothing: inverted (white background), upside down and mirrored (same pixels,
wrong shape), uniform noise, and filled rectangles of random grey. Prints one row per kind.

    python benchmarks/ood_kinds.py --model assets/fashion-mnist
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from latent.bundle.model import LatentModel  # noqa: E402
from latent.density.ood import SCORES, OODScorer, auroc  # noqa: E402
from latent.inputs.data import load_dataset  # noqa: E402


def foreign_kinds(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    rectangles = np.zeros_like(images)
    for img in rectangles:
        top, left = rng.integers(2, 10, 2)
        h, w = rng.integers(8, 18, 2)
        img[top : top + h, left : left + w] = rng.integers(80, 256)
    return {
        "inverted": 255 - images,
        "upside down and mirrored": images[:, ::-1, ::-1].copy(),
        "uniform noise": rng.integers(0, 256, images.shape).astype(np.uint8),
        "grey rectangles": rectangles,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="assets/mnist")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"))
    parser.add_argument("-n", type=int, default=2000, help="foreign images per kind")
    args = parser.parse_args(argv)
    model = LatentModel.load(args.model)
    ds = load_dataset(model.manifest["dataset"]["name"], args.data_dir)
    print(f"{args.model}: own test images vs each foreign kind ({args.n} images), AUROC per score")
    print("| foreign kind | " + " | ".join(SCORES) + " |")
    print("|---|" + "---:|" * len(SCORES))
    scorer = OODScorer().fit(model, ds.x_val)  # as `evaluate --ood` does
    own = scorer.score(ds.x_test)
    for kind, images in foreign_kinds(ds.x_test[: args.n]).items():
        foreign = scorer.score(images)
        print(f"| {kind} | " + " | ".join(f"{auroc(own[s], foreign[s]):.4f}" for s in SCORES) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
