"""What uniform-box samples decode to: gibberish, or something a viewer (and a CNN) would name?

The Sampling page draws codes uniformly from the box around the stored test codes and decodes them. This
script measures what those pictures are, against class-mixture samples and real test images:

- the independent judge CNN (assets/judges/<dataset>, trained with labels on real pixels): its mean
  confidence (top softmax probability), the share it names with >= 0.9 confidence, and how evenly it
  spreads them over the classes;
- the mixtures: the best class log-likelihood of each *code* against the model's "none" threshold (the
  page's "Recognised"), and the same for the decoded picture encoded again (decode -> encode -> classify,
  the page's "judge the decoded picture");
- a grid of the first --grid-n decoded uniform samples (PNG, --grid), to look at and count by eye.

    python benchmarks/uniform_box.py --model assets/mnist --grid /tmp/uniform-grid.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from latent.bundle.model import LatentModel  # noqa: E402
from latent.errors import LatentError  # noqa: E402
from latent.explore.sampling import draw_samples  # noqa: E402
from latent.figures.exports import grid_png  # noqa: E402
from latent.inputs.data import load_dataset  # noqa: E402
from latent.workflows.judge import Judge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def judge_figures(judge: Judge, images: np.ndarray) -> dict:
    """Mean top probability, share named with >= 0.9, and the share of the most named class."""
    proba = judge.predict_proba(images)
    top = proba.max(axis=1)
    counts = np.bincount(proba.argmax(axis=1), minlength=proba.shape[1])
    return {
        "judge_confidence": float(top.mean()),
        "judge_sure_share": float(np.mean(top >= 0.9)),
        "judge_most_named_share": float(counts.max() / len(images)),
    }


def mixture_figures(model: LatentModel, Z: np.ndarray) -> dict:
    """Best class log-likelihood of the codes and of the re-encoded pictures, against the threshold."""
    images = model.decode(Z)
    direct = model.classify(Z, reject_below=model.threshold)
    again = model.classify(model.encode(images), reject_below=model.threshold)
    return {
        "median_best_log_likelihood": float(np.median(direct.max_log_likelihood)),
        "share_above_threshold": float(np.mean(direct.labels >= 0)),
        "share_above_threshold_re_encoded": float(np.mean(again.labels >= 0)),
        "median_best_log_likelihood_re_encoded": float(np.median(again.max_log_likelihood)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="assets/mnist")
    parser.add_argument("--n", type=int, default=2000, help="samples per source (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", help="write the first --grid-n decoded uniform samples here (PNG)")
    parser.add_argument("--grid-n", type=int, default=100)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        model = LatentModel.load(args.model)
        dataset = model.manifest.get("dataset", {}).get("name")
        judge = Judge.load(ROOT / "assets" / "judges" / str(dataset))
    except LatentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = {}
    for source in ("uniform", "class"):
        samples = draw_samples(model, source, args.n, random_state=args.seed)
        images = model.decode(samples.Z)
        rows[f"{source} samples"] = judge_figures(judge, images) | mixture_figures(model, samples.Z)
        if source == "uniform" and args.grid:
            Path(args.grid).write_bytes(grid_png(images[: args.grid_n], 10, scale=2))
    try:
        data = load_dataset(dataset, os.environ.get("LATENT_DATA_DIR"), download=False, progress=False)
        test = data.x_test[: args.n].astype(np.float32) / 255.0
        real = judge_figures(judge, test)
        codes = model.encode(test)
        real |= {
            "median_best_log_likelihood": float(np.median(model.classify(codes).max_log_likelihood)),
            "share_above_threshold": float(np.mean(model.classify(codes, reject_below=model.threshold).labels >= 0)),
        }
        rows["real test images"] = real
    except (LatentError, OSError, ValueError) as exc:
        print(f"(no real test images: {exc})", file=sys.stderr)
    print(f"{args.model}: {args.n} samples per source, seed {args.seed}, 'none' threshold {model.threshold:.2f}")
    keys = sorted({k for r in rows.values() for k in r})
    print(f"{'':40s}" + "".join(f"{name:>20s}" for name in rows))
    for key in keys:
        cells = [rows[name].get(key) for name in rows]
        print(f"{key:40s}" + "".join(f"{'–':>20s}" if v is None else f"{v:20.3f}" for v in cells))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"model": args.model, "n": args.n, "seed": args.seed, "threshold": model.threshold, "rows": rows},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
