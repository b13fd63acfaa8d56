"""The latent-size sweep on scikit-learn's digits: the trade-off it exists to show, and its file."""

from latent.networks.autoencoder import AutoencoderConfig
from latent.networks.train import TrainConfig
from latent.workflows.pipeline import MixtureConfig, PipelineConfig
from latent.workflows.sweep import read_sweep, run_sweep, write_sweep


def test_a_bigger_latent_space_reconstructs_better_and_the_file_round_trips(digits, tmp_path):
    cfg = PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(channels=(8, 16), hidden=64),
        training=TrainConfig(epochs=15, batch_size=32, seed=0),
        mixture=MixtureConfig(n_components=2),
    )
    rows = run_sweep(digits, [2, 8], cfg)
    assert [r["latent_dim"] for r in rows] == [2, 8]
    assert rows[1]["test_reconstruction_mse"] < rows[0]["test_reconstruction_mse"]
    assert all(0.1 < r["test_accuracy"] <= 1 for r in rows)
    write_sweep(tmp_path / "digits.json", "digits", cfg, rows, "test")
    doc = read_sweep(tmp_path / "digits.json")
    assert doc["rows"] == rows and doc["command"] == "test"
    (tmp_path / "broken.json").write_text("{not json")
    assert read_sweep(tmp_path / "broken.json") is None
    assert read_sweep(tmp_path / "missing.json") is None


def test_the_sweep_and_the_pipeline_train_the_same_stage(digits):
    """One training stage (latent.workflows.stage) for every caller: a sweep row is what `train_stage` gives the same
    config, and the stage is deterministic for a seed."""
    import numpy as np

    from latent.workflows.stage import train_stage

    cfg = PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(latent_dim=4, channels=(8, 16), hidden=64),
        training=TrainConfig(epochs=2, batch_size=64, seed=3),
        mixture=MixtureConfig(n_components=2),
    )
    (row,) = run_sweep(digits, [4], cfg)
    first, second = (train_stage(digits, cfg.autoencoder, cfg.training, cfg.mixture) for _ in range(2))
    np.testing.assert_array_equal(first.z_test, second.z_test)
    assert first.z_train.shape == (len(digits.x_train), 4) and len(first.history) == 2
    assert row["test_accuracy"] == float(np.mean(first.mixture.predict(first.z_test) == digits.y_test))
