"""An independent judge of generated images: a small supervised CNN trained on the real training images.

Sample fidelity asks "does a decoded sample of class c look like a c?". The bundle's own classifier
cannot answer that fairly (it would grade its own homework in its own latent space), so a separate
CNN, trained with labels on real pixels and never part of a bundle, assigns each decoded sample a
class. Uniform-box samples get the same judge, for contrast.

A judge is a directory like a bundle (manifest.json with hashes + judge.safetensors), built by
`python -m latent judge --dataset mnist` into assets/judges/<dataset>/.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from latent import artifacts, outputs
from latent.errors import BundleError

JUDGE_FILE = "judge.safetensors"


@dataclass
class JudgeConfig:
    channels: tuple[int, int] = (32, 64)
    hidden: int = 128
    epochs: int = 3
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0
    clothes: bool = False  # augment with mirror images and small shifts instead of digit-style changes


def _network(cfg: JudgeConfig, n_classes: int):
    import torch.nn as nn

    c1, c2 = cfg.channels
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B,1,28,28) -> (B,c1,14,14)
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (B,c2,7,7)
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(c2 * 49, cfg.hidden),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(cfg.hidden, n_classes),
    )


class Judge:
    """`predict(images)` -> class indices of (n, 28, 28) images in [0, 1] or uint8."""

    def __init__(self, network, class_names: list[str], manifest: dict | None = None):
        self.network = network.eval()
        self.class_names = class_names
        self.manifest = manifest or {}

    def predict_proba(self, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        import torch

        from latent.networks.train import to_tensor

        x = to_tensor(images)
        with torch.no_grad():
            return torch.cat(
                [self.network(x[i : i + batch_size]).softmax(1) for i in range(0, len(x), batch_size)]
            ).numpy()

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.predict_proba(images).argmax(axis=1)

    @classmethod
    def load(cls, directory: str | Path) -> Judge:
        directory = Path(directory)
        manifest = artifacts.load_manifest(directory, verify=True, kind="judge")
        try:
            c = manifest["config"]
            cfg = JudgeConfig(**{**c, "channels": tuple(c["channels"])})
            network = _network(cfg, len(manifest["dataset"]["class_names"]))
            network.load_state_dict(artifacts.read_safetensors(directory, manifest, JUDGE_FILE))
        except BundleError:
            raise
        except (KeyError, TypeError, RuntimeError) as exc:
            raise BundleError(
                f"{directory} is not a usable judge ({type(exc).__name__}: {exc}); "
                f"{artifacts.rebuild_hint(manifest, directory)}"
            ) from None
        return cls(network, list(manifest["dataset"]["class_names"]), manifest)


def train_judge(
    dataset, out: str | Path, cfg: JudgeConfig | None = None, *, command: str | None = None, log=lambda _: None
) -> Judge:
    """Train the CNN on dataset.x_train (with labels) and write it to `out`.

    `out` is checked before training and replaced whole at the end, as `train` does with bundles
    (see latent/outputs.py): only an absent or empty folder, or a judge this tool wrote, is replaced.
    """
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    from latent.networks.augment import AugmentConfig, augment
    from latent.networks.train import to_tensor

    cfg = cfg if cfg is not None else JudgeConfig()

    out = Path(out)
    guard = judge_guard(dataset.name, [Path(dataset.source)] if Path(dataset.source).is_dir() else [])
    outputs.check_bundle_target(out, **guard)

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    network = _network(cfg, dataset.n_classes)
    x, y = to_tensor(dataset.x_train), torch.as_tensor(dataset.y_train)
    steps = cfg.epochs * (len(x) // cfg.batch_size)
    opt = torch.optim.AdamW(network.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    if cfg.clothes:
        mild = AugmentConfig.clothes()
    else:
        mild = AugmentConfig(rotate_deg=8, scale=0.08, aspect=0, shear=0.1, shift_px=1.5, thickness_p=0.3)
    started = time.time()
    for epoch in range(cfg.epochs):
        network.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(len(x) // cfg.batch_size):
            idx = perm[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            loss = F.cross_entropy(network(augment(x[idx], mild, gen)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        judge = Judge(network, dataset.class_names)
        accuracy = float(np.mean(judge.predict(dataset.x_val) == dataset.y_val))
        log(f"      epoch {epoch + 1}/{cfg.epochs}  validation accuracy {accuracy:.4f}  {time.time() - started:.0f}s")
        network.train()
    network.eval()
    test_accuracy = float(np.mean(judge.predict(dataset.x_test) == dataset.y_test))
    staged = outputs.staging_folder(out)
    try:
        save_file({k: v.contiguous() for k, v in network.state_dict().items()}, str(staged / JUDGE_FILE))
        manifest = artifacts.write_manifest(
            staged,
            {
                "name": f"judge-{dataset.name}",
                "kind": "judge",
                "dataset": {"name": dataset.name, "class_names": dataset.class_names},
                "config": {**asdict(cfg), "channels": list(cfg.channels)},
                "metrics": {
                    "test_accuracy": test_accuracy,
                    "val_accuracy": accuracy,
                    "train_seconds": round(time.time() - started, 1),
                },
                "command": command or artifacts.current_command(),
            },
        )
        staged.chmod(0o755)
        for path in staged.iterdir():
            path.chmod(0o644)
        outputs.swap_in(staged, out, **guard, log=log)
    except BaseException:
        outputs.discard(staged)
        raise
    return Judge(network, dataset.class_names, manifest)


def judge_guard(dataset: str, folders: list[Path]) -> dict:
    """What a judge's output must stay clear of (see `pipeline.output_guard`)."""
    return {"kind": "judge", "contains": folders, "inside": folders if dataset.startswith("folder:") else []}


def class_sample_fidelity(mixture, decode, judge: Judge, n_per_class: int = 500, seed: int = 0) -> tuple[dict, float]:
    """({class name: share of its decoded samples the judge names as intended}, judge's mean confidence)."""
    per_class, confidence = {}, []
    for i, c in enumerate(mixture.classes_):
        Z, _ = mixture.sample(c, n_per_class, random_state=seed + i)
        proba = judge.predict_proba(decode(np.asarray(Z, dtype=np.float32)))
        per_class[judge.class_names[i]] = float(np.mean(proba.argmax(axis=1) == i))
        confidence.append(proba.max(axis=1).mean())
    return per_class, float(np.mean(confidence))


def sample_fidelity(model, judge: Judge, n_per_class: int = 500, seed: int = 0) -> dict:
    """Share of decoded class samples the judge assigns to the intended class, and the uniform-box contrast."""
    from latent.explore.sampling import latent_box

    if judge.class_names != model.class_names:
        raise BundleError(f"the judge knows classes {judge.class_names}, the model {model.class_names}")
    per_class, confidence = class_sample_fidelity(model.mixture, model.decode, judge, n_per_class, seed)
    lo, hi = latent_box(model.map.codes)
    U = np.random.default_rng(seed).uniform(lo, hi, size=(n_per_class * model.n_classes, model.latent_dim))
    uniform = judge.predict_proba(model.decode(U.astype(np.float32)))
    return {
        "sample_fidelity": float(np.mean(list(per_class.values()))),
        "per_class_sample_fidelity": per_class,
        "sample_judge_confidence": confidence,
        "uniform_judge_confidence": float(uniform.max(axis=1).mean()),
        "judge_test_accuracy": judge.manifest.get("metrics", {}).get("test_accuracy"),
    }
