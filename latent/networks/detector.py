"""Does this input look like any of the model's classes at all? A small CNN trained by outlier exposure.

The per-class mixtures judge a latent code, and the autoencoder maps almost anything drawn with a
pen onto codes that look ordinary: a drawn "A" or "W" gets a digit's likelihood (78 % of letters got a
confident digit label). Outlier exposure (Hendrycks et al. 2019) trains a detector to tell the data
from generated foreign inputs; when the foreign inputs are varied enough, it also refuses kinds it
never saw, which `evaluate --junk` measures by leaving each kind out.

No class labels are used: the detector sees "one of ours" (the training images, randomly changed the
way the autoencoder's training changes them, and, for drawn datasets, generated members drawn with
the same renderer as the foreign ones, so it cannot tell them apart by how they were drawn) against
"foreign" (`latent.inputs.junk` kinds). It reads the same 28x28 model input as the encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class DetectorConfig:
    channels: tuple[int, int] = (32, 64)  # conv channels at 28x28 and 14x14 (pooled to 14 and 7)
    # Side of the feature map the dense layer reads (averaged down from 7x7): 3 keeps the detector at
    # 0.1 M weights (0.4 MB), so the clothes bundle stays within 10 MB; 7 would be 0.4 M.
    pool: int = 3
    hidden: int = 128  # width of the layer before the logit
    dropout: float = 0.3
    epochs: int = 6  # passes over the generated foreign set
    batch_size: int = 256  # half ours, half foreign
    lr: float = 2e-3  # peak learning rate (one-cycle)
    blur_p: float = 0.3  # share of each batch blurred (a low-resolution scan, a soft photo), both sides alike
    n_per_kind: int = 1500  # generated inputs per foreign kind and per generated member kind
    n_varied: int = 1000  # training images rewritten per variation (latent.inputs.junk.VARIATIONS)
    # Share of each batch's "ours" half taken from the generated members and rewritten training images (how
    # people draw and write), the rest from the training images. 0: one pool, drawn uniformly, where those
    # ~14,500 inputs are a fifth of ours and the detector learns to refuse low-resolution or paper digits.
    drawn_share: float = 0.0
    # fresh inputs per kind (and validation images per variation) the combined "none" test is fitted on
    n_cal: int = 300
    seed: int = 0

    def __post_init__(self):
        c1, c2 = self.channels  # a JSON list in a manifest: two whole numbers
        self.channels = (int(c1), int(c2))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DetectorConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


class Detector(nn.Module):
    """(B, 1, 28, 28) model inputs -> (B,) logits of "one of ours" (high) vs "foreign" (low)."""

    def __init__(self, cfg: DetectorConfig):
        super().__init__()
        c1, c2 = cfg.channels
        self.config = cfg
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.GELU(),
            nn.MaxPool2d(2),  # -> (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.GELU(),
            nn.MaxPool2d(2),  # -> (B, c2, 7, 7)
            nn.AdaptiveAvgPool2d(cfg.pool),  # -> (B, c2, pool, pool)
            nn.Flatten(),
            nn.Dropout(cfg.dropout),
            nn.Linear(c2 * cfg.pool**2, cfg.hidden),
            nn.GELU(),
            nn.Linear(cfg.hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)

    @torch.no_grad()
    def score(self, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """Logits (n,) for (n, 28, 28) images (uint8, or float in [0, 1]): high = looks like one of ours."""
        from latent.networks.train import eval_mode, to_tensor

        eval_mode(self)
        x = to_tensor(np.asarray(images)[None] if np.asarray(images).ndim == 2 else images)
        return torch.cat([self(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]).numpy().astype(np.float64)


def state_shapes(cfg: DetectorConfig) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{name: (safetensors dtype, shape)} of `Detector(cfg)`'s tensors, built on the meta device (no memory)."""
    from latent.networks.autoencoder import SAFETENSORS_DTYPES

    with torch.device("meta"):
        model = Detector(cfg)
    return {name: (SAFETENSORS_DTYPES[t.dtype], tuple(t.shape)) for name, t in model.state_dict().items()}


def blur(x: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """A random share p of the images (B, 1, H, W) blurred by one Gaussian (sigma 0.5-1.5 px), peak kept."""
    pick = torch.rand(len(x), generator=generator) < p
    if p <= 0 or not pick.any():
        return x
    sigma = float(torch.empty(1).uniform_(0.5, 1.5, generator=generator))
    r = torch.arange(-2, 3, dtype=x.dtype)
    k = torch.exp(-(r**2) / (2 * sigma**2))
    k = k / k.sum()
    blurred = F.conv2d(x[pick], (k[:, None] * k[None, :])[None, None], padding=2)
    out = x.clone()
    out[pick] = blurred / blurred.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    return out


def train_detector(
    ours: np.ndarray,
    foreign: np.ndarray,
    cfg: DetectorConfig,
    *,
    drawn: np.ndarray | None = None,
    augment_cfg=None,
    log: Callable[[str], None] | None = None,
) -> Detector:
    """Fit a detector on images of our kind (n, 28, 28) and foreign images (m, 28, 28), uint8 or float.

    Each step takes half a batch of ours and half foreign, both randomly changed by `augment_cfg` when
    given (as in the autoencoder's training); one epoch is one pass over the foreign images. `drawn`: more
    images of our kind, as people draw and write them, that make `cfg.drawn_share` of each ours half.
    """
    from latent.networks.augment import augment
    from latent.networks.train import to_tensor

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = Detector(cfg)
    if drawn is not None and not cfg.drawn_share:  # one pool, as bundles made before drawn_share
        ours, drawn = np.concatenate([ours, drawn]), None
    xo, xf = to_tensor(ours), to_tensor(foreign)
    xd = to_tensor(drawn) if drawn is not None and len(drawn) else None
    half = cfg.batch_size // 2
    n_drawn = int(round(half * cfg.drawn_share)) if xd is not None else 0
    steps = max(1, len(xf) // half)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps, pct_start=0.2)
    target = torch.cat([torch.ones(half), torch.zeros(half)])
    for epoch in range(cfg.epochs):
        model.train()
        order_f = torch.randperm(len(xf), generator=gen)
        total = 0.0
        for i in range(steps):
            b_o = xo[torch.randint(len(xo), (half - n_drawn,), generator=gen)]  # (half, 1, 28, 28) with b_d
            if xd is not None and n_drawn:
                b_o = torch.cat([b_o, xd[torch.randint(len(xd), (n_drawn,), generator=gen)]])
            b_f = xf[order_f[i * half : (i + 1) * half]]
            if len(b_f) < half:
                b_f = xf[torch.randint(len(xf), (half,), generator=gen)]
            batch = torch.cat([b_o, b_f])  # (B, 1, 28, 28)
            if augment_cfg is not None:  # both sides alike, so changes alone never tell them apart
                batch = augment(batch, augment_cfg, gen)
            batch = blur(batch, cfg.blur_p, gen)
            loss = F.binary_cross_entropy_with_logits(model(batch), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        if log is not None:
            log(f"      detector epoch {epoch + 1}/{cfg.epochs}  loss {total / steps:.4f}")
    model.eval()
    return model
