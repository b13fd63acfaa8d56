"""The autoencoder's training loop: plain, seeded, one progress line per epoch.

No labels are used here (unless joint training is asked for): the autoencoder learns from images
alone. About half of each batch is randomly changed (`augment`) and the network reconstructs the
*clean* image from the changed copy, a denoising objective that makes the latent code ignore stroke
thickness, small rotations and shifts. After each epoch the encoder's BatchNorm statistics are
recomputed on clean images (what it will see at test time). The validation split (never trained on)
picks the best epoch. A callback receives each epoch's metrics,
so the CLI prints them and other callers can draw their own progress.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from latent.errors import ConfigError
from latent.networks.augment import AugmentConfig, augment
from latent.networks.autoencoder import Autoencoder
from latent.progress import progress_bar


@dataclass
class TrainConfig:
    epochs: int = 10  # passes over the training split
    batch_size: int = 128  # images per optimisation step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    weight_decay: float = 1e-4  # AdamW weight decay
    denoise: bool = True  # reconstruct the clean image from an augmented copy (False: no augmentation)
    # With denoise: what the decoder must give back. "clean" (denoising) makes the code ignore the
    # changes, which costs reconstruction where the changes carry detail (a mirrored coat loses which
    # side its zip is on). "augmented" is plain data augmentation: the changed copy is a new training
    # image, reconstructed as it is; only the class term (joint training) learns the invariance.
    target: str = "clean"
    # Joint training (0 = the write-up's two-stage method, no labels): weight of a class-structure term
    # that pulls each code towards a learned centre of its class (a Gaussian classifier on the codes:
    # logits = -|z - mu_c|^2 / 2), so the latent space is shaped for the per-class mixtures fitted after.
    joint_weight: float = 0.0
    # How many leading code dimensions the class-structure term sees (0 = all). The other dimensions
    # stay free for what the classes share (texture, pose), so reconstruction pays less for the term.
    joint_dims: int = 0
    seed: int = 0  # seeds torch, numpy and the augmentation stream
    device: str = "auto"  # "auto" (cuda when available), "cpu" or "cuda"
    threads: int | None = None  # torch.set_num_threads; None keeps torch's default
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for, but torch sees no CUDA device; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(n, 28, 28) uint8 or float images -> (n, 1, 28, 28) float32 in [0, 1]."""
    x = torch.as_tensor(np.asarray(images))
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    return x.unsqueeze(1) if x.ndim == 3 else x


@torch.no_grad()
def reconstruction_mse(model: Autoencoder, images: np.ndarray, batch_size: int = 1000) -> float:
    """Mean squared error per pixel (images in [0, 1]) of decode(encode(x))."""
    model.eval()
    device = next(model.parameters()).device
    x = to_tensor(images)
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(device)
        total += F.mse_loss(model.decode(model.encode(xb)), xb, reduction="sum").item()
    return total / x.numel()


def train_autoencoder(
    model: Autoencoder,
    x_train: np.ndarray,
    x_val: np.ndarray,
    cfg: TrainConfig,
    on_epoch: Callable[[dict], None] | None = None,
    progress: bool = True,
    y_train: np.ndarray | None = None,
) -> list[dict]:
    """Train `model` in place on uint8 images; returns the per-epoch history.

    The weights of the epoch with the lowest validation loss are kept (for joint training: the last
    epoch, since the validation reconstruction loss does not see the class term). `on_epoch` gets a
    dict with epoch, train_loss, val_loss, val_mse, seconds. Labels `y_train` are used only when
    `cfg.joint_weight > 0`.
    """
    joint = cfg.joint_weight > 0
    if cfg.target not in ("clean", "augmented"):
        raise ConfigError(f"target must be 'clean' or 'augmented', got {cfg.target!r}")
    if joint and y_train is None:
        raise ConfigError("joint training (joint_weight > 0) needs the training labels")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    device = resolve_device(cfg.device)
    model.to(device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    order_gen = torch.Generator().manual_seed(cfg.seed)
    x = to_tensor(x_train)
    params = list(model.parameters())
    if joint:
        y = torch.as_tensor(np.asarray(y_train), dtype=torch.long)
        joint_dims = cfg.joint_dims or model.config.latent_dim
        if not 1 <= joint_dims <= model.config.latent_dim:
            raise ConfigError(
                f"joint_dims must be between 1 and the latent size {model.config.latent_dim}, got {cfg.joint_dims}"
            )
        centres = torch.nn.Parameter(torch.randn(int(y.max()) + 1, joint_dims, generator=order_gen).to(device))
        params.append(centres)
    n_batches = max(1, len(x) // cfg.batch_size)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * n_batches, pct_start=0.15)
    history, best_loss, best_state = [], math.inf, None
    start = time.time()
    for epoch in range(cfg.epochs):
        model.train()
        perm = torch.randperm(len(x), generator=order_gen)
        running = 0.0
        bar = progress_bar(range(n_batches), desc=f"epoch {epoch + 1}/{cfg.epochs}", enabled=progress)
        for i in bar:
            rows = perm[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            xb = x[rows].to(device)  # (B, 1, 28, 28)
            xin = augment(xb, cfg.augment, gen) if cfg.denoise else xb
            z = model.encoder(xin)  # (B, d)
            loss = F.binary_cross_entropy_with_logits(model.decoder(z), xin if cfg.target == "augmented" else xb)
            if joint:
                logits = -0.5 * torch.cdist(z[:, :joint_dims], centres).pow(2)  # (B, n_classes)
                loss = loss + cfg.joint_weight * F.cross_entropy(logits, y[rows].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item()
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        bar.close()
        if cfg.denoise:
            recalibrate_batchnorm(model.encoder, x[:BN_CALIBRATION_IMAGES], device)
        val_loss = _val_loss(model, x_val, device)
        record = {
            "epoch": epoch + 1,
            "train_loss": running / n_batches,
            "val_loss": val_loss,
            "val_mse": reconstruction_mse(model, x_val),
            "seconds": time.time() - start,
        }
        history.append(record)
        if val_loss < best_loss or joint:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(record)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


BN_CALIBRATION_IMAGES = 10000


@torch.no_grad()
def recalibrate_batchnorm(module: torch.nn.Module, x: torch.Tensor, device, batch_size: int = 1000) -> None:
    """Recompute BatchNorm statistics on clean images.

    Trained on augmented copies, the running statistics describe augmented images, but the encoder
    is used on clean ones (test images, drawings): a shift that blurs the codes. One pass over clean
    training images in train mode (cumulative average) fixes it.
    """
    norms = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over the whole pass
    was_training = module.training
    module.train()
    for start in range(0, len(x), batch_size):
        module(x[start : start + batch_size].to(device))
    for m, momentum in zip(norms, saved, strict=True):
        m.momentum = momentum
    module.train(was_training)


@torch.no_grad()
def _val_loss(model: Autoencoder, x_val: np.ndarray, device, batch_size: int = 1000) -> float:
    model.eval()
    x = to_tensor(x_val)
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(device)
        total += F.binary_cross_entropy_with_logits(model.decoder(model.encoder(xb)), xb, reduction="sum").item()
    return total / x.numel()


def eval_mode(model: torch.nn.Module) -> None:
    """`model.eval()` unless it is in eval mode already: eval() walks every submodule (~0.5 ms for the
    autoencoder), which a drawing's three small networks paid on every read."""
    if model.training:
        model.eval()


@torch.no_grad()
def encode_images(model: Autoencoder, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Latent codes (n, d) float32 of uint8 or float images."""
    eval_mode(model)
    device = next(model.parameters()).device
    x = to_tensor(images)
    return (
        torch.cat([model.encode(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])
        .numpy()
        .astype(np.float32)
    )


@torch.no_grad()
def decode_codes(model: Autoencoder, Z: np.ndarray) -> np.ndarray:
    """Images (n, 28, 28) float32 in [0, 1] of latent codes (n, d) (the inverse direction of `encode_images`)."""
    eval_mode(model)
    Z = np.atleast_2d(np.asarray(Z, dtype=np.float32))
    return model.decode(torch.from_numpy(Z)).squeeze(1).numpy()
