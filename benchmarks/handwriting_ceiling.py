"""How far the real-handwriting proxy is from what any MNIST-trained reader gets on it.

    python benchmarks/handwriting_ceiling.py                          # assets/mnist, the mnist judge
    python benchmarks/handwriting_ceiling.py --refit-seeds 3          # and the mixtures refitted 3 ways
    python benchmarks/handwriting_ceiling.py --semeion-like --bolder  # MNIST's test digits stored as Semeion's
    python benchmarks/handwriting_ceiling.py --semeion-like --format JPEG  # the same saved as JPEG files

scikit-learn's `digits` (1,797 digits by 43 writers) are the one real handwriting the project has, and
`evaluate --junk` reads 300 of them drawn at random. Here every one of them is scaled up onto the Draw
page's canvas (a random size, as `latent.inputs.junk` does). With `--semeion-like`, 1,000 of MNIST's
test digits (`--mnist-seed`) are stored instead as Semeion stores its ~80 writers' digits (stretched to
fill 16x16, black and white; `--bolder`: written with a pen about a pixel thicker) and read as
`classify` reads such a file (`benchmarks/uploads.py`'s rows; needs the MNIST files). Either set is read by:

- the bundle's mixtures with no "none" answer (the classifier alone), and with its "none" rule;
- the independent judge (`assets/judges/mnist`: a supervised CNN trained on MNIST with augmentation),
  a reader much stronger than the mixtures on MNIST's own test images;
- with `--refit-seeds N`, the mixtures refitted on the same training codes with N other seeds: how
  much of a difference between two classifiers is the mixture fit's own spread (needs the MNIST files:
  `--data-dir` or LATENT_DATA_DIR).

scikit-learn's digits were stored at 8x8 pixels, Semeion's at 16x16 in black and white: what the judge
misses on the same model inputs bounds what a better latent classifier can win on each set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sklearn_inputs(seed: int = 0, size: int = 280):
    """Every scikit-learn digit scaled up smoothly onto a size x size canvas (a random side each, as
    `evaluate --junk` does), through the Draw page's preprocessing: (model inputs, labels as class names)."""
    from latent.inputs import junk

    rng = np.random.default_rng(seed)
    samples = [junk.sklearn_on_canvas(i, rng, size) for i in range(len(junk._sklearn_digits().images))]
    inputs = junk.model_inputs(samples)
    return inputs.x, np.array(inputs.labels), inputs.blank


def semeion_like_inputs(data_dir: str | None, seed: int, bolder: bool, fmt: str = "PNG"):
    """1,000 of MNIST's test digits stored as Semeion stores digits, saved as `fmt` files and read as
    `classify` reads them: (model inputs, labels as class names, which fill their square box, how many
    were blank, how many were cleaned as photos)."""
    from benchmarks.uploads import DATASET_STYLES, as_file
    from latent.errors import BlankImageError
    from latent.inputs.data import load_dataset
    from latent.inputs.preprocess import image_to_model_input

    style = "stretched to fill 16x16 black and white" + (", a pen a pixel thicker" if bolder else "")
    ds = load_dataset("mnist", data_dir, download=False, progress=False)
    pick = np.random.default_rng(seed).choice(len(ds.x_test), 1000, replace=False)
    xs, labels, fills, blank, photos = [], [], [], 0, 0
    for i in pick:
        try:
            prepared = image_to_model_input(as_file(DATASET_STYLES[style](ds.x_test[i]), fmt), reading="ink")
        except BlankImageError:
            blank += 1
            continue
        photos += prepared.cleaned is not None
        xs.append(prepared.x)
        labels.append(str(ds.class_names[int(ds.y_test[i])]))
        fills.append(prepared.fills_square)
    return np.stack(xs), np.array(labels), np.array(fills), blank, photos  # float, as `classify` reads them


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"))
    parser.add_argument("--judge", default=str(ROOT / "assets" / "judges" / "mnist"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the canvas sizes")
    parser.add_argument("--refit-seeds", type=int, default=0, help="refit the mixtures this many other ways")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--semeion-like", action="store_true", help="MNIST's test digits stored as Semeion's")
    parser.add_argument("--bolder", action="store_true", help="with --semeion-like: a pen a pixel thicker")
    parser.add_argument("--mnist-seed", type=int, default=4, help="with --semeion-like: which 1,000 (default 4)")
    parser.add_argument(
        "--format", default="PNG", choices=["PNG", "JPEG"], help="with --semeion-like: the files' format (JPEG: 85)"
    )
    args = parser.parse_args(argv)
    if (args.bolder or args.format != "PNG") and not args.semeion_like:
        parser.error("--bolder and --format go with --semeion-like")

    from latent.bundle.model import LatentModel
    from latent.workflows.judge import Judge

    model = LatentModel.load(args.model)
    if args.semeion_like:
        from latent.errors import LatentError

        try:
            x, labels, fills, blank, photos = semeion_like_inputs(
                args.data_dir, args.mnist_seed, args.bolder, args.format
            )
        except LatentError as exc:
            parser.exit(1, f"error: {exc}\n")
        x, _ = model.as_read(x, stretched=fills)  # as classify reads them (latent.bundle.width)
        pen = "a pen a pixel thicker" if args.bolder else "their own pens"
        title = (
            f"MNIST's test digits stored as Semeion's (16x16 black and white, {pen}, {args.format} files, "
            f"seed {args.mnist_seed}; {photos} cleaned as photos)"
        )
    else:
        x, labels, blank = sklearn_inputs(args.seed)
        fills = np.zeros(len(x), dtype=bool)
        title = "scikit-learn's digits (43 writers, 8x8 scaled up)"
    truth = np.array([model.class_names.index(label) for label in labels])
    n = len(truth) + blank
    z = model.encode(x)
    plain = model.classify(z).proba.argmax(axis=1)
    ruled = model.classify_images(x, rule=model.rule, Z=z)
    reasons = list(ruled.reasons)
    if fills.any():  # tested as classify tests such a picture (NoneRule.for_filled_square)
        square = model.rule.for_filled_square().reasons({k: v[fills] for k, v in ruled.scores.items()})
        for i, reason in zip(np.flatnonzero(fills), square, strict=True):
            reasons[i] = reason
    kept = np.array([r is None for r in reasons])
    judge = Judge.load(args.judge)
    print(f"{title}: {n}, {blank} blank after preprocessing")
    print(f"  {model.name}, mixtures alone (no 'none'):  {np.sum(plain == truth) / n:.1%} right")
    print(
        f"  {model.name}, with its 'none' rule:        {np.sum(kept & (plain == truth)) / n:.1%} right, "
        f"{(np.sum(~kept) + blank) / n:.1%} 'none'"
    )
    judge_test = judge.manifest.get("metrics", {}).get("test_accuracy", float("nan"))
    print(
        f"  judge (a supervised CNN, {judge_test:.2%} on MNIST test): {np.sum(judge.predict(x) == truth) / n:.1%} right"
    )
    if args.refit_seeds:
        from latent.density.mixture import ClassGaussianMixture
        from latent.inputs.data import load_dataset

        ds = load_dataset(model.manifest["dataset"]["name"], args.data_dir, download=False, progress=False)
        z_train = model.encode(ds.x_train)
        cfg = model.manifest["config"]["mixture"]
        for seed in range(1, args.refit_seeds + 1):
            mixture = ClassGaussianMixture(
                cfg["n_components"],
                covariance_type=cfg["covariance_type"],
                reg_covar=cfg["reg_covar"],
                class_prior=cfg["class_prior"],
                max_components=cfg["max_components"],
                random_state=seed,
            ).fit(z_train, ds.y_train)
            print(f"  mixtures refitted, seed {seed}:           {np.sum(mixture.predict(z) == truth) / n:.1%} right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
