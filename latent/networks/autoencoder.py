"""The convolutional autoencoder: 28x28 image <-> latent vector.

One readable model file in the spirit of nanoGPT: a config dataclass, an encoder, a decoder, and the
full model last. The config is stored in the bundle's manifest beside the safetensors weights, and
`Autoencoder(config)` rebuilds the module from it, so loading never unpickles anything.

The network is small on purpose: a full training run must fit in a few minutes on a 2-core CPU.
Two stride-2 convolutions take 28x28 down to 7x7; a small MLP head maps to the latent space. The
decoder mirrors it with transposed convolutions and returns logits (the loss is a per-pixel binary
cross-entropy, which gives sharper digits than squared error).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn

# Options that were removed, still found in older manifests (3 of the 4 shipped bundles store `blocks: 0`):
# accepted there and ignored (latent.schema allows `blocks` only as 0: no network was built with more).
REMOVED_KEYS = ("blocks",)


@dataclass
class AutoencoderConfig:
    latent_dim: int = 16  # size of the latent space the mixtures live in
    channels: tuple[int, int] = (32, 64)  # conv channels at 14x14 and 7x7
    hidden: int = 256  # width of the MLP between the conv stack and the latent vector
    image_size: int = 28  # inputs are image_size x image_size, one channel

    def __post_init__(self):
        c1, c2 = self.channels  # a JSON list in a manifest: two whole numbers
        self.channels = (int(c1), int(c2))
        if self.image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two stride-2 convolutions), got {self.image_size}")
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {self.latent_dim}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> AutoencoderConfig:
        """The config stored in a manifest; options that were removed (REMOVED_KEYS) are ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known - set(REMOVED_KEYS)
        if unknown:
            raise ValueError(f"unknown autoencoder config keys: {sorted(unknown)}")
        return cls(**{k: v for k, v in d.items() if k in known})


class Encoder(nn.Module):
    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        c1, c2 = cfg.channels
        side = cfg.image_size // 4
        self.conv = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1),
            nn.BatchNorm2d(c1),
            nn.GELU(),  # (B,1,28,28) -> (B,c1,14,14)
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),
            nn.BatchNorm2d(c2),
            nn.GELU(),  # -> (B,c2,7,7)
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * side * side, cfg.hidden),
            nn.GELU(),
            nn.Linear(cfg.hidden, cfg.latent_dim),  # -> (B, d)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x))


class Decoder(nn.Module):
    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        c1, c2 = cfg.channels
        side = cfg.image_size // 4
        self.head = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.hidden),
            nn.GELU(),
            nn.Linear(cfg.hidden, c2 * side * side),
            nn.GELU(),
            nn.Unflatten(1, (c2, side, side)),  # (B, d) -> (B, c2, 7, 7)
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
            nn.BatchNorm2d(c1),
            nn.GELU(),  # -> (B,c1,14,14)
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),  # -> (B,1,28,28) logits
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.head(z))


class Autoencoder(nn.Module):
    """`encode` maps images in [0, 1] to latents; `decode` maps latents to images in [0, 1]."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, H, W) images -> (latents (B, d), reconstruction logits (B, 1, H, W))."""
        z = self.encoder(x)
        return z, self.decoder(z)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))


SAFETENSORS_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
}


def state_shapes(cfg: AutoencoderConfig) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{name: (safetensors dtype, shape)} of every tensor of `Autoencoder(cfg)`'s state dict.

    Built on torch's meta device, which allocates nothing: a config from a bundle can be checked
    against its weight file's header (and against the size limits) before any memory is spent on it.
    """
    with torch.device("meta"):
        model = Autoencoder(cfg)
    return {name: (SAFETENSORS_DTYPES[t.dtype], tuple(t.shape)) for name, t in model.state_dict().items()}
