"""How the Sampling page's default MCMC walks behave, walk by walk: the share of moves each accepts and how
far it travels between styles.

    python benchmarks/walk_acceptance.py                                  # the four shipped bundles
    python benchmarks/walk_acceptance.py --model assets/fashion-mnist --walks 20

For every class and both samplers, --walks walks of the page's default length (200 steps, step size 1,
the tuned scale), each from its own seed. Printed per bundle and sampler: the mean acceptance (the
target: 0.234 for Metropolis, 0.574 for Langevin), the lowest and highest single walk's, the share of
walks outside the range the page quotes as good, and how many styles (mixture components: the one
explaining each point best) a walk visits and how often it changes style.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = ("assets/mnist", "assets/fashion-mnist", "assets/mnist-joint", "assets/fashion-mnist-joint")


def walk_figures(model, method: str, walks: int, n_steps: int = 200) -> dict:
    from latent.explore.walks import GOOD_ACCEPTANCE, mcmc_walk, styles_along, tune_scale

    rates, visited, switches = [], [], []
    for c in model.mixture.classes_:
        scale = tune_scale(model.mixture, c, method=method)
        for seed in range(walks):
            walk = mcmc_walk(model.mixture, c, n_steps, scale=scale, method=method, random_state=seed)
            style = styles_along(model.mixture, c, walk.path)
            rates.append(walk.acceptance_rate)
            visited.append(len(set(style.tolist())))
            switches.append(int(np.sum(style[1:] != style[:-1])))
    rates_a = np.asarray(rates)
    low, high = GOOD_ACCEPTANCE[method]
    return {
        "mean acceptance": float(rates_a.mean()),
        "lowest walk": float(rates_a.min()),
        "highest walk": float(rates_a.max()),
        "walks outside the good range": float(np.mean((rates_a < low) | (rates_a > high))),
        "styles visited": float(np.mean(visited)),
        "style changes": float(np.mean(switches)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="bundle folder (repeatable; default: the four shipped)")
    parser.add_argument("--walks", type=int, default=8, help="walks per class and sampler (default 8)")
    args = parser.parse_args(argv)
    from latent.bundle.model import LatentModel
    from latent.errors import LatentError

    for path in args.model or SHIPPED:
        try:
            model = LatentModel.load(ROOT / path if not Path(path).is_absolute() else path)
        except LatentError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
        for method, name in (("mh", "Metropolis"), ("mala", "Langevin")):
            f = walk_figures(model, method, args.walks)
            print(
                f"{path:28s} {name:10s} acceptance mean {f['mean acceptance']:.3f}, walks "
                f"{f['lowest walk']:.2f}-{f['highest walk']:.2f}, outside the good range "
                f"{f['walks outside the good range']:.0%}; styles visited {f['styles visited']:.1f}, "
                f"style changes {f['style changes']:.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
