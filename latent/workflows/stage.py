"""One training stage, the method's core: train the autoencoder, encode the splits, fit one mixture per class.

`train` (latent.workflows.pipeline), `sweep` (latent.workflows.sweep) and benchmarks/joint_search.py all call
`train_stage`; what they do around it (a bundle, a table of latent sizes, a recipe search) is theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from latent.density.gaussian import REG_COVAR
from latent.progress import progress_bar

if TYPE_CHECKING:
    from latent.density.mixture import ClassGaussianMixture
    from latent.inputs.data import Dataset
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig


@dataclass
class MixtureConfig:
    n_components: int | str = 6  # components per class, or "auto" (BIC)
    covariance_type: str = "full"  # full | diag | tied | spherical
    reg_covar: float = REG_COVAR  # added to covariance diagonals (latent.density.gaussian.REG_COVAR: why 1e-2)
    class_prior: str = "uniform"  # uniform (the write-up's normalised likelihoods) or empirical
    max_components: int = 10  # upper end of the BIC search when n_components="auto"


@dataclass
class Stage:
    """What one stage yields: the trained autoencoder (on the CPU), its history, the codes of each split,
    and the fitted per-class mixture."""

    autoencoder: Autoencoder
    history: list[dict]
    z_train: np.ndarray
    z_val: np.ndarray
    z_test: np.ndarray
    mixture: ClassGaussianMixture


def train_stage(
    ds: Dataset,
    autoencoder_cfg: AutoencoderConfig,
    training: TrainConfig,
    mixture_cfg: MixtureConfig,
    *,
    random_state: int | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    before_mixtures: Callable[[], None] | None = None,
    progress: bool = False,
) -> Stage:
    """Train an autoencoder (seeded with `training.seed`) on `ds` without its labels (unless the training
    config asks for the joint class term), encode train / validation / test, and fit the mixtures
    (`random_state`, default `training.seed`) on the training codes and labels. `on_epoch` gets each
    epoch's record, `before_mixtures` is called once training is done (a caller's progress line)."""
    import torch

    from latent.density.mixture import ClassGaussianMixture
    from latent.networks.autoencoder import Autoencoder
    from latent.networks.train import encode_images, train_autoencoder

    torch.manual_seed(training.seed)
    model = Autoencoder(autoencoder_cfg)
    history = train_autoencoder(
        model, ds.x_train, ds.x_val, training, on_epoch=on_epoch, progress=progress, y_train=ds.y_train
    )
    model.cpu()
    if before_mixtures is not None:
        before_mixtures()
    z_train, z_val, z_test = (encode_images(model, x) for x in (ds.x_train, ds.x_val, ds.x_test))
    mixture = ClassGaussianMixture(
        mixture_cfg.n_components,
        covariance_type=mixture_cfg.covariance_type,
        reg_covar=mixture_cfg.reg_covar,
        class_prior=mixture_cfg.class_prior,
        max_components=mixture_cfg.max_components,
        random_state=training.seed if random_state is None else random_state,
    )
    with progress_bar(total=ds.n_classes, desc="mixtures", unit="class", enabled=progress) as bar:
        mixture.fit(z_train, ds.y_train, progress=lambda i, n: bar.update(1))
    return Stage(model, history, z_train, z_val, z_test, mixture)
