"""End to end: a tiny bundle trained on digits, walks, morphs; and a slice of real MNIST when present."""

import numpy as np
import pytest

from conftest import shared_data_dir
from latent.bundle.model import LatentModel
from latent.explore.walks import interpolate, mcmc_walk, point_at


@pytest.fixture(scope="module")
def model(tiny_bundle):
    return LatentModel.load(tiny_bundle)


def test_tiny_training_learns_digits(model):
    m = model.metrics
    assert m["test_accuracy"] > 0.8, m
    assert m["test_accuracy"] > m["single_mixture_test_accuracy"]
    assert m["test_reconstruction_mse"] < 0.06
    history = model.manifest["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_class_samples_decode_to_their_class_and_uniform_noise_does_not(model):
    lo, hi = model.map.codes.min(axis=0), model.map.codes.max(axis=0)
    rng = np.random.default_rng(0)
    recognised, uniform_recognised = [], []
    for c in range(model.n_classes):
        Z, _ = model.mixture.sample(c, 20, random_state=c)
        again = model.classify(model.encode(model.decode(Z))).labels
        recognised.append(np.mean(again == c))
        U = rng.uniform(lo, hi, size=(20, model.latent_dim))
        uniform_recognised.append(np.mean(model.classify(U, reject_below=model.threshold).labels >= 0))
    assert np.mean(recognised) > 0.6
    assert np.mean(uniform_recognised) < np.mean(recognised)


def test_calibrated_threshold_rejects_about_the_target_share(model):
    assert model.rejection_rate(model.threshold) == pytest.approx(0.01, abs=0.01)
    assert model.rejection_rate(model.threshold + 5) > model.rejection_rate(model.threshold)


def test_mcmc_walk_stays_on_the_class_manifold(model):
    for method in ("mh", "mala"):
        walk = mcmc_walk(model.mixture, 3, 150, step_size=0.5, method=method, random_state=0)
        assert walk.path.shape == (151, model.latent_dim)
        assert 0.05 < walk.acceptance_rate < 1.0
        assert np.mean(model.classify(walk.path).labels == 3) > 0.9
        assert np.linalg.norm(walk.path[-1] - walk.path[0]) > 0  # it moved
    with pytest.raises(ValueError, match="method"):
        mcmc_walk(model.mixture, 3, 10, method="gibbs")


def test_morph_frames_go_from_one_class_to_the_other(model):
    z0 = model.mixture.components(0)[1][0]
    z1 = model.mixture.components(1)[1][0]
    frames = interpolate(z0, z1, 9)
    labels = model.classify(frames).labels
    assert labels[0] == 0 and labels[-1] == 1
    np.testing.assert_allclose(point_at(frames, 0.5), (z0 + z1) / 2)


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_integration_on_a_slice_of_mnist(tmp_path):
    """Two epochs on 6000 real MNIST images already beat 90 % on 2000 real test images."""
    from dataclasses import replace

    from latent.inputs.data import load_dataset
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, PipelineConfig, train_bundle

    full = load_dataset("mnist", shared_data_dir())
    ds = replace(
        full,
        x_train=full.x_train[:6000],
        y_train=full.y_train[:6000],
        x_val=full.x_val[:1000],
        y_val=full.y_val[:1000],
        x_test=full.x_test[:2000],
        y_test=full.y_test[:2000],
    )
    cfg = PipelineConfig(
        dataset="mnist",
        autoencoder=AutoencoderConfig(latent_dim=12),
        training=TrainConfig(epochs=2, seed=0),
        map=MapConfig(n_points=500),
        detector=None,
    )  # the "none" detector has its own tests (test_none_answer.py)
    manifest = train_bundle(cfg, tmp_path / "mnist-slice", dataset=ds, command="test")
    assert manifest["metrics"]["test_accuracy"] > 0.9
    assert manifest["metrics"]["writeup_test_accuracy"] == 0.9766


def test_joint_training_uses_the_labels_to_separate_the_classes(tmp_path, digits, model):
    """The class-structure term makes the per-class mixtures classify better than the two-stage fixture."""
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, MixtureConfig, PipelineConfig, train_bundle

    cfg = PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(latent_dim=8, channels=(8, 16), hidden=64),
        training=TrainConfig(epochs=30, batch_size=32, lr=3e-3, seed=0, joint_weight=0.1),
        mixture=MixtureConfig(n_components=2),
        map=MapConfig(n_points=300, n_neighbors=10),
        detector=None,
    )
    manifest = train_bundle(cfg, tmp_path / "joint", dataset=digits, command="test")
    assert manifest["config"]["training"]["joint_weight"] == 0.1
    assert manifest["metrics"]["test_accuracy"] > model.metrics["test_accuracy"]
    # it still reconstructs (the class term costs some reconstruction: +11 % on MNIST, more on small data)
    assert manifest["metrics"]["test_reconstruction_mse"] < 1.5 * model.metrics["test_reconstruction_mse"]


def test_joint_training_without_labels_is_refused(digits):
    from latent.errors import ConfigError
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig, train_autoencoder

    with pytest.raises(ConfigError, match="labels"):
        train_autoencoder(
            Autoencoder(AutoencoderConfig(latent_dim=4, channels=(4, 8), hidden=16)),
            digits.x_train,
            digits.x_val,
            TrainConfig(epochs=1, joint_weight=0.1),
            progress=False,
        )


def test_joint_dims_shape_only_the_leading_code_dimensions(digits):
    """With joint_dims=2 the class term separates the classes along the first two dimensions only."""
    import torch

    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig, encode_images, train_autoencoder

    torch.manual_seed(0)
    ae = Autoencoder(AutoencoderConfig(latent_dim=8, channels=(8, 16), hidden=64))
    train_autoencoder(
        ae,
        digits.x_train,
        digits.x_val,
        TrainConfig(epochs=10, batch_size=32, joint_weight=1.0, joint_dims=2, denoise=False),
        progress=False,
        y_train=digits.y_train,
    )
    Z = encode_images(ae, digits.x_train)
    means = np.stack([Z[digits.y_train == c].mean(0) for c in range(10)])
    within = np.mean([Z[digits.y_train == c].var(0) for c in range(10)], axis=0)
    separation = means.var(0) / within  # between-class over within-class variance, per dimension
    # (the free dimensions carry class information too, as any autoencoder's codes do; were the term on
    # all dimensions or none, the two groups would look alike)
    assert separation[:2].mean() > 2 * separation[2:].mean(), separation


def test_joint_dims_larger_than_the_code_is_refused(digits):
    from latent.errors import ConfigError
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig, train_autoencoder

    with pytest.raises(ConfigError, match="joint_dims"):
        train_autoencoder(
            Autoencoder(AutoencoderConfig(latent_dim=4, channels=(4, 8), hidden=16)),
            digits.x_train,
            digits.x_val,
            TrainConfig(epochs=1, joint_weight=0.1, joint_dims=5),
            progress=False,
            y_train=digits.y_train,
        )


def test_augmented_target_redraws_the_changed_copy_instead_of_undoing_it(digits):
    """Denoising (target "clean") learns to undo a change; plain augmentation learns to redraw it."""
    import dataclasses

    import torch

    from latent.networks.augment import AugmentConfig
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig, reconstruction_mse, train_autoencoder

    always_mirror = dataclasses.replace(AugmentConfig.mirror(), p=1.0)
    mirrored_val = digits.x_val[:, :, ::-1].copy()
    errors = {}
    for target in ("clean", "augmented"):
        torch.manual_seed(0)
        ae = Autoencoder(AutoencoderConfig(latent_dim=8, channels=(8, 16), hidden=64))
        train_autoencoder(
            ae,
            digits.x_train,
            digits.x_val,
            TrainConfig(epochs=8, batch_size=32, augment=always_mirror, target=target),
            progress=False,
        )
        errors[target] = reconstruction_mse(ae, mirrored_val)
    assert errors["augmented"] < 0.6 * errors["clean"], errors


def test_unknown_reconstruction_target_is_refused(digits):
    from latent.errors import ConfigError
    from latent.networks.autoencoder import Autoencoder, AutoencoderConfig
    from latent.networks.train import TrainConfig, train_autoencoder

    with pytest.raises(ConfigError, match="target"):
        train_autoencoder(
            Autoencoder(AutoencoderConfig(latent_dim=4, channels=(4, 8), hidden=16)),
            digits.x_train,
            digits.x_val,
            TrainConfig(epochs=1, target="noisy"),
            progress=False,
        )


def test_a_class_with_fewer_images_than_components_is_refused_before_training(digits, monkeypatch, tmp_path):
    """It used to fail in the mixture fit, after the autoencoder had trained, with a ValueError traceback."""
    from dataclasses import replace

    import latent.networks.train
    from latent.errors import ConfigError
    from latent.workflows.pipeline import MixtureConfig, PipelineConfig, train_bundle

    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(latent.networks.train, "train_autoencoder", refuse)
    keep = (digits.y_train != 3) | (np.cumsum(digits.y_train == 3) <= 4)  # four 3s left
    few_threes = replace(digits, x_train=digits.x_train[keep], y_train=digits.y_train[keep])
    cfg = PipelineConfig(dataset="digits", mixture=MixtureConfig(n_components=6))
    with pytest.raises(
        ConfigError,
        match=r"class '3' of digits has 4 training images, fewer than the 6 mixture "
        r"components asked for; use --components 4",
    ):
        train_bundle(cfg, tmp_path / "out", dataset=few_threes)
    assert list(tmp_path.iterdir()) == []


def test_encoding_and_decoding_run_the_networks_in_eval_mode(model):
    """A network left in training mode (batch statistics, dropout) is put in eval mode before it reads:
    the answer for one image does not depend on what else is in its batch."""
    from latent.networks.train import decode_codes, encode_images

    ae = model.autoencoder
    x = np.zeros((2, 28, 28), np.float32)
    x[0, 6:22, 12:16] = 1.0
    alone = encode_images(ae, x[:1])
    ae.train()
    together = encode_images(ae, x)
    assert not ae.training
    np.testing.assert_allclose(together[:1], alone, atol=1e-5)
    ae.train()
    assert decode_codes(ae, together).shape == (2, 28, 28) and not ae.training
    det = model.detector
    if det is not None:
        det.train()
        det.score(x)
        assert not det.training
