"""Search joint-training recipes: train, fit the per-class mixtures, report accuracy and reconstruction.

Each recipe is a small JSON object of overrides (latent_dim, epochs, joint_weight, joint_dims,
hidden, seed, augment: "none" | "digits" | "clothes" | "mirror", target: "clean" | "augmented").
Recipes run in worker processes: on this 2-core CPU, --workers 2 --threads 1 runs two at once in
about the time of two in a row (README's recipe table was measured so). On a GPU keep --workers 1:
many processes time-slice one GPU badly, and each also fits its mixtures on the CPU. Choose on the
validation columns; the test ones are for the record.

    python benchmarks/joint_search.py --dataset fashion-mnist \\
        --recipe '{"joint_weight": 0.1, "joint_dims": 16, "epochs": 16}' --out joint.jsonl
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_recipe(args: tuple[str, str | None, dict, int]) -> dict:
    dataset_name, data_dir, recipe, threads = args
    import numpy as np
    import torch

    from latent.inputs.data import load_dataset
    from latent.networks.augment import PRESETS, AugmentConfig
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig, reconstruction_mse
    from latent.workflows.stage import MixtureConfig, train_stage

    torch.set_num_threads(threads)
    started = time.time()
    ds = load_dataset(dataset_name, data_dir, download=False, progress=False)
    aug = recipe.get("augment", "none")
    augment = PRESETS.get(aug, AugmentConfig)()
    cfg = TrainConfig(
        epochs=recipe.get("epochs", 10),
        batch_size=recipe.get("batch_size", 128),
        lr=recipe.get("lr", 3e-3),
        denoise=aug != "none",
        joint_weight=recipe.get("joint_weight", 0.0),
        joint_dims=recipe.get("joint_dims", 0),
        seed=recipe.get("seed", 0),
        threads=threads,
        augment=augment,
        target=recipe.get("target", "clean"),
    )
    network = AutoencoderConfig(latent_dim=recipe.get("latent_dim", 64), hidden=recipe.get("hidden", 256))
    trained: list[float] = []  # when the autoencoder's training ended
    mixtures = MixtureConfig(n_components=recipe.get("components", 6))
    stage = train_stage(ds, network, cfg, mixtures, random_state=0, before_mixtures=lambda: trained.append(time.time()))
    train_s = trained[0] - started
    ae, mixture, z_val, z_test = stage.autoencoder, stage.mixture, stage.z_val, stage.z_test
    return {
        "recipe": recipe,
        "val_accuracy": float(np.mean(mixture.predict(z_val) == ds.y_val)),
        "val_mse": reconstruction_mse(ae, ds.x_val),
        "test_accuracy": float(np.mean(mixture.predict(z_test) == ds.y_test)),
        "test_mse": reconstruction_mse(ae, ds.x_test),
        "train_seconds": round(train_s, 1),
        "seconds": round(time.time() - started, 1),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_DATA_DIR"))
    parser.add_argument("--recipe", action="append", default=[], help="JSON object of overrides (repeatable)")
    parser.add_argument("--recipe-file", help="a file with one JSON recipe per line")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads per worker")
    parser.add_argument("--out", help="append one JSON line per recipe here")
    args = parser.parse_args(argv)
    lines = list(args.recipe) + (Path(args.recipe_file).read_text().splitlines() if args.recipe_file else [])
    recipes = [json.loads(r) for r in lines if r.strip()]
    if not recipes:
        parser.error("give at least one --recipe or a --recipe-file")
    jobs = [(args.dataset, args.data_dir, r, args.threads) for r in recipes]
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        for row in pool.imap_unordered(run_recipe, jobs):
            line = json.dumps(row)
            print(line, flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
