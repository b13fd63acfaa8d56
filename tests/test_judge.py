"""The independent judge CNN and sample fidelity, on scikit-learn's digits."""

import numpy as np
import pytest

from latent.bundle.model import LatentModel
from latent.errors import BundleError
from latent.workflows.judge import Judge, JudgeConfig, sample_fidelity, train_judge


@pytest.fixture(scope="module")
def judge_dir(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("judge") / "digits"
    train_judge(digits, out, JudgeConfig(epochs=6, batch_size=32), command="test")
    return out


def test_judge_learns_real_digits_and_round_trips(judge_dir, digits):
    judge = Judge.load(judge_dir)
    assert judge.manifest["metrics"]["test_accuracy"] > 0.9
    assert np.mean(judge.predict(digits.x_test) == digits.y_test) == pytest.approx(
        judge.manifest["metrics"]["test_accuracy"]
    )


def test_sample_fidelity_grades_decoded_samples(judge_dir, tiny_bundle):
    result = sample_fidelity(LatentModel.load(tiny_bundle), Judge.load(judge_dir), n_per_class=50)
    assert set(result["per_class_sample_fidelity"]) == {str(i) for i in range(10)}
    assert result["sample_fidelity"] == pytest.approx(np.mean(list(result["per_class_sample_fidelity"].values())))
    assert result["sample_fidelity"] > 0.5  # far above the 0.1 of chance
    assert 0 < result["uniform_judge_confidence"] <= 1


def test_a_tampered_judge_is_refused(judge_dir, tmp_path):
    import shutil

    copy = tmp_path / "judge"
    shutil.copytree(judge_dir, copy)
    with open(copy / "judge.safetensors", "r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\0\0\0\0")
    with pytest.raises(BundleError, match="judge.safetensors"):
        Judge.load(copy)
