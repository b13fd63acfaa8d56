"""Stroke-drawn digits, template by template: where the "drawn digits" figure loses what it loses.

    python benchmarks/drawn_templates.py                        # assets/mnist, 200 per template
    python benchmarks/drawn_templates.py --model assets/mnist-joint --n 400 --seed 3

`evaluate --junk` gives one figure for all drawn digits. People write some digits in more than one
way (`latent.inputs.handwriting.DIGITS` holds several templates for 0, 1, 2, 4, 7, 8, 9: a 1 with a
flag, a 7 with a bar across), and one way read badly hides in the average. Each template is drawn by
random hands (`Hand.random`: size, place, slant, rotation, pen, and the width of the box the glyph is
stretched to fill, `aspect`) on the canvas and read as the Draw page reads it (the bundle's "none" rule
and its wide reading). The table gives each template's share read right, answered "none", and its
commonest wrong class, then the same split by the box's aspect (width / height): a digit's shape
changes with it (a 1's flag is longer the wider its box; a 6's loop wider).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ASPECT_BANDS = ((0.45, 0.7), (0.7, 1.0), (1.0, 1.6))  # Hand.random draws aspect log-uniformly in 0.45-1.6


def read_template(model, glyph, n: int, rng: np.random.Generator) -> list[tuple[float, str]]:
    """(the hand's aspect, the answer: a class name or "none") for n drawings of one template."""
    from latent.bundle.reading import read_input
    from latent.inputs import handwriting as hw
    from latent.inputs.junk import CANVAS
    from latent.inputs.preprocess import prepare

    out = []
    for _ in range(n):
        hand = hw.Hand.random(rng)
        x = prepare(hw.draw_glyph(glyph, hand, rng), via=CANVAS)
        out.append((hand.aspect, read_input(model, x, rule=model.rule).name))
    return out


def summary(digit: str, answers: list[tuple[float, str]]) -> str:
    """One table row: right %, none %, the commonest wrong class, and right % per aspect band."""
    names = [a for _, a in answers]
    aspects = np.array([a for a, _ in answers])
    right = np.array([a == digit for a in names])
    wrong = Counter(a for a in names if a not in (digit, "none")).most_common(1)
    bands = []
    for lo, hi in ASPECT_BANDS:
        inside = (aspects >= lo) & (aspects < hi)
        bands.append(f"{100 * right[inside].mean():.0f} %" if inside.any() else "–")
    worst = f"{wrong[0][0]} ({wrong[0][1]})" if wrong else "–"
    none = 100 * np.mean([a == "none" for a in names])
    return f"{100 * right.mean():.1f} % | {none:.1f} % | {worst} | " + " | ".join(bands)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"), help="a digit bundle (default: %(default)s)")
    parser.add_argument("--n", type=int, default=200, help="drawings per template (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the hands (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    from latent.bundle.model import LatentModel
    from latent.errors import LatentError
    from latent.inputs import handwriting as hw

    try:
        model = LatentModel.load(args.model)
    except LatentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    bands = " | ".join(f"right, aspect {lo}–{hi}" for lo, hi in ASPECT_BANDS)
    print(f"{args.model}: {args.n} drawings per template, seed {args.seed}")
    print(f"| digit, template | right | none | commonest wrong class | {bands} |")
    print("|---|---:|---:|---|" + "---:|" * len(ASPECT_BANDS))
    for digit, glyphs in hw.DIGITS.items():
        for i, glyph in enumerate(glyphs):
            answers = read_template(model, glyph, args.n, rng)
            print(f"| {digit} ({i + 1} of {len(glyphs)}) | {summary(digit, answers)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
