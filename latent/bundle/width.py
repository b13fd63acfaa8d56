"""Reading a digit drawn wider than the training digits at their typical width, too.

MNIST's normalisation keeps a digit's aspect ratio (longest side scaled to 20 px), and so does
`latent.inputs.preprocess`. People who write in a box stretch their digits to fill it: a 7 or a 4
twice as wide as it is tall is then a shape the mixtures never saw (3.5 % of MNIST's training digits
are more than 1.2 times as wide as tall: wide 0s, 2s and 5s). Such an input is read a second time
with its ink fitted at the training digits' median width-to-height ratio (0.8), and the reading
whose code the model finds more likely (the higher best-class log-likelihood, the latent test's
score) is the one answered and shown. Narrower inputs are read as they are.

A picture stretched to fill a square box (`latent.inputs.stretched.fills_square`: Semeion's digits
are stored so) has lost its width, whatever it is now, and is read a second time the same way.

Only datasets written with a pen get this (`latent.inputs.catalog.DatasetInfo.wide_reading` holds
the two figures): a bag is wider than a boot, and that is what tells them apart.
"""

from __future__ import annotations

import numpy as np

from latent.inputs.preprocess import BOX, center_by_mass, fit, ink_box  # ink_box: the preprocessing's own crop

NOTE = (
    "drawn wider than the training digits, or stretched to fill its box: read at their usual width, "
    "which the model finds more likely"
)


def aspect(x: np.ndarray) -> float:
    """Width / height of the ink's bounding box in one (28, 28) input (0 when blank)."""
    box = ink_box(x)
    if box is None:
        return 0.0
    top, bottom, left, right = box
    return (right - left) / (bottom - top)


def at_width(x: np.ndarray, ratio: float) -> np.ndarray:
    """One (28, 28) input (uint8, or float in [0, 1]) redrawn with its ink BOX px tall and `ratio` times as
    wide, centred by mass as `latent.inputs.preprocess` places it: float32 in [0, 1]."""
    x = np.asarray(x)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    box = ink_box(x)
    if box is None:
        return x.copy()
    top, bottom, left, right = box
    return center_by_mass(fit(x[top:bottom, left:right], (max(1, round(BOX * ratio)), BOX)))


def wide(images: np.ndarray, above: float) -> np.ndarray:
    """Indices of the (n, 28, 28) inputs whose ink is more than `above` times as wide as tall."""
    return np.flatnonzero([aspect(x) > above for x in np.asarray(images)])
