"""Which torch CPU kernels the app should use: oneDNN (torch's default) or torch's own, one thread.

    python benchmarks/torch_kernels.py                    # assets/mnist, 30 repeats
    python benchmarks/torch_kernels.py --model assets/fashion-mnist --repeat 50

The dashboard encodes and decodes a few images per request, each request in a thread of its own
(Streamlit runs every rerun in a new thread). For each kernel choice this prints the median time of
encode, decode and the "none" detector at batch sizes 1 to 500, and of the first encode / decode /
detector call in a fresh thread, which is what a request pays. `ui.common.load_model` sets the
choice this supports (oneDNN off).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from map_bench import median_ms  # noqa: E402


def _in_fresh_thread(fn, repeat: int) -> float:
    """Median time of fn's first call in a new thread (as a Streamlit rerun makes it)."""
    times: list[float] = []

    def run() -> None:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)

    for _ in range(repeat):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    return 1000 * statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"))
    parser.add_argument("--repeat", type=int, default=30, help="calls timed per figure (default 30)")
    args = parser.parse_args(argv)

    import torch

    from latent.bundle.model import LatentModel

    torch.set_num_threads(1)
    model = LatentModel.load(args.model)
    rng = np.random.default_rng(0)
    side = model.autoencoder.config.image_size
    print(f"{args.model}: milliseconds per call, median of {args.repeat}, one torch thread, torch {torch.__version__}")
    print(f"{'kernels':10s}{'batch':>14s}{'encode':>10s}{'decode':>10s}{'detector':>10s}")
    det = model.detector
    x1 = rng.random((1, side, side), dtype=np.float32)
    z1 = rng.standard_normal((1, model.latent_dim)).astype(np.float32)
    for enabled in (True, False):
        torch.backends.mkldnn.enabled = enabled
        name = "oneDNN" if enabled else "torch"
        for batch in (1, 16, 40, 500):
            x = rng.random((batch, side, side), dtype=np.float32)
            z = rng.standard_normal((batch, model.latent_dim)).astype(np.float32)
            row = [
                median_ms(lambda x=x: model.encode(x), args.repeat),
                median_ms(lambda z=z: model.decode(z), args.repeat),
                median_ms(lambda x=x: det.score(x), args.repeat) if det is not None else float("nan"),
            ]
            print(f"{name:10s}{batch:14d}" + "".join(f"{v:10.2f}" for v in row))
        fresh = [
            _in_fresh_thread(lambda: model.encode(x1), args.repeat),
            _in_fresh_thread(lambda: model.decode(z1), args.repeat),
            _in_fresh_thread(lambda: det.score(x1), args.repeat) if det is not None else float("nan"),
        ]
        print(f"{name:10s}{'1, new thread':>14s}" + "".join(f"{v:10.2f}" for v in fresh))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
