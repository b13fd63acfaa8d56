"""latent.networks.augment: the changes a training image can get, each doing what it says."""

import torch

from latent.networks.augment import AugmentConfig, augment

ONLY = dict(rotate_deg=0, scale=0, aspect=0, shear=0, shift_px=0, thickness_p=0, hflip_p=0, p=1.0)


def _digit_one() -> torch.Tensor:
    """A 28x28 "1": a sharp two-pixel-wide vertical stroke."""
    x = torch.zeros(1, 1, 28, 28)
    x[..., 4:24, 13:15] = 1.0
    return x


def test_low_resolution_blurs_a_stroke_and_keeps_its_ink():
    x = _digit_one().repeat(8, 1, 1, 1)
    out = augment(x, AugmentConfig(**ONLY, lowres_p=1.0), torch.Generator().manual_seed(0))
    inked_columns = (out[:, 0] > 0.05).any(dim=1).sum(dim=1)  # per image: columns the stroke now touches
    assert bool((inked_columns > 2).all()), inked_columns  # spread beyond the 2 sharp columns
    assert torch.allclose(out.amax(dim=(1, 2, 3)), torch.ones(8))  # still full ink, not a faint grey
    assert float((out - x).abs().sum()) > 0


def test_aspect_widens_or_narrows_a_stroke():
    x = _digit_one().repeat(64, 1, 1, 1)
    out = augment(x, AugmentConfig(**{**ONLY, "aspect": 0.7}), torch.Generator().manual_seed(0))
    ink = out.sum(dim=(1, 2, 3)) / x[0].sum()  # a vertical stroke's ink grows and shrinks with its width
    assert float(ink.min()) < 0.8 and float(ink.max()) > 1.25, ink


def test_changes_that_are_off_leave_the_random_stream_alone():
    """A bundle trained before a change existed is reproduced by the same seed: an off change draws nothing."""
    x = _digit_one().repeat(4, 1, 1, 1)
    gen = torch.Generator().manual_seed(0)
    augment(x, AugmentConfig(), gen)
    after = torch.rand(3, generator=gen)
    reference = torch.Generator().manual_seed(0)
    for _ in range(7):  # flip off, thickness (1), rotation, scale, shear, two shifts, keep (1): 7 draws of size b
        torch.rand(4, generator=reference)
    assert torch.equal(after, torch.rand(3, generator=reference))
