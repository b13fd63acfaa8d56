"""What reading very wide digits again at the usual width (latent/bundle/width.py) does, set by set.

    python benchmarks/wide_reading.py                                  # assets/mnist, seeds 1 and 5
    python benchmarks/wide_reading.py --model assets/mnist-joint --above 1.2 1.1 1.0

Prints where the two figures come from (MNIST's training digits: the share wider than each `--above`
times their height, and their median width / height), then, per seed, each digit set of `evaluate
--junk` (generated the same way, 300 each) read right by the bundle's whole rule: as drawn (no second
reading) and with the second reading above each `--above`, and MNIST's test images read right
without any "none" answer. Needs the MNIST files (`--data-dir` or LATENT_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def right_share(model, inputs) -> float:
    """Share of a generated digit set read right by the bundle's rule (blank or "none" count as wrong)."""
    from latent.workflows.foreign import read_right

    return read_right(model, model.classify_images(inputs.x, rule=model.rule), inputs.labels) / max(inputs.total, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"), help="bundle (default: assets/mnist)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 5], help="seeds of the digit sets")
    parser.add_argument("--above", type=float, nargs="+", default=[1.2], help="width / height read again above")
    parser.add_argument("--typical", type=float, default=0.8, help="width / height of the second reading")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"), help="where the MNIST files are")
    args = parser.parse_args(argv)

    from latent.bundle import width
    from latent.bundle.model import LatentModel
    from latent.inputs.catalog import dataset_info
    from latent.inputs.data import load_dataset
    from latent.workflows.foreign import digit_sets

    model = LatentModel.load(args.model)
    data = load_dataset("mnist", args.data_dir, download=False, progress=False)
    info = dataset_info("mnist")
    ratios = np.array([width.aspect(x) for x in data.x_train])
    shares = ", ".join(f"{np.mean(ratios > a):.1%} wider than {a:g}" for a in args.above)
    print(f"MNIST's training digits: {shares}; median width / height {np.median(ratios):.2f}")

    settings: list[tuple[float, float] | None] = [None, *((a, args.typical) for a in args.above)]
    header = ["as drawn", *(f"above {a:g}" for a in args.above)]
    print(f"{model.name}: read right by the bundle's rule, 300 of each set")
    for seed in args.seeds:
        sets = digit_sets(info, data, 300, seed)  # as `evaluate --junk` makes them
        print(f"seed {seed:<4} {'':34s}" + "".join(f"{h:>12s}" for h in header))
        for name, inputs in sets.items():
            row = []
            for setting in settings:
                model.wide_reading = setting
                row.append(right_share(model, inputs))
            print(f"  {name:42s}" + "".join(f"{v:12.3f}" for v in row))
    row, narrowed = [], []
    for setting in settings:
        model.wide_reading = setting
        x, read_narrower = model.as_read(data.x_test)
        row.append(float(np.mean(model.classify(model.encode(x)).labels == data.y_test)))
        narrowed.append(int(read_narrower.sum()))
    print(f"  {'MNIST test images, no none answer':42s}" + "".join(f"{v:12.4f}" for v in row))
    print(f"  {'  of them read narrower':42s}" + "".join(f"{v:12d}" for v in narrowed))
    for a in args.above:
        print(f"  MNIST test images wider than {a:g}: {len(width.wide(data.x_test, a))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
