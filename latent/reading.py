"""What the model makes of one input image: the whole chain behind the Draw page, in one call.

`read_input(model, x)` takes a 28x28 model input (after `latent.preprocess.to_model_input`) and
returns its latent code, the classification with the "none" answer, the reconstruction, its place
on the map and the mixture component (style) that explains it best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Reading:
    x: np.ndarray  # (28, 28) the model input
    z: np.ndarray  # (d,) its latent code
    label: int  # predicted class index, -1 for "none"
    name: str  # predicted class name or "none"
    proba: np.ndarray  # (n_classes,) p(class | z)
    score: float  # max_c log p(z | c), compared with the threshold
    reconstruction: np.ndarray  # (28, 28) decode(z)
    map_xy: np.ndarray  # (2,) position on the map
    style_class: int  # class index of the component that explains z best
    style: int  # that component's index within its class
    style_responsibility: float  # p(component | z, class)


def read_input(model, x: np.ndarray, *, reject_below: float | None = None, reconstruct: bool = True) -> Reading:
    """Encode, classify (with the "none" threshold), decode and place one (28, 28) input in [0, 1]."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape != (28, 28):
        raise ValueError(f"expected a (28, 28) model input, got {x.shape}")
    z = model.encode(x[None])[0]
    result = model.classify(z, reject_below=reject_below)
    c, k, resp = model.nearest_component(z)
    recon = model.decode(z)[0] if reconstruct else None
    return Reading(x=x, z=z, label=int(result.labels[0]), name=result.names[0], proba=result.proba[0],
                   score=float(result.max_log_likelihood[0]), reconstruction=recon, map_xy=model.to_map(z)[0],
                   style_class=c, style=k, style_responsibility=float(resp[k]))
