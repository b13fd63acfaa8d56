"""The "none" answer: its tests and reasons, in the library, the CLI and a bundle trained end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drawing import draw_digit, save_png
from latent.bundle.rejection import CANNOT_REDRAW, FOREIGN, UNLIKELY, NoneRule, Test
from latent.inputs import junk
from test_cli import run


def test_a_rule_without_a_detector_has_the_latent_test_only():
    rule = NoneRule.from_calibration({"reject_below": -30.0})
    assert [t.score for t in rule.tests] == ["likelihood"]
    full = NoneRule.from_calibration({"reject_below": -30.0, "reconstruction_above": -3.0, "detector_below": 0.5})
    assert [t.score for t in full.tests] == ["likelihood", "reconstruction", "detector"]


def test_each_input_gets_the_reason_of_the_first_test_it_fails():
    rule = NoneRule(
        [
            Test("likelihood", -30, True, UNLIKELY),
            Test("reconstruction", -3, False, CANNOT_REDRAW),
            Test("detector", 0.5, True, FOREIGN),
        ]
    )
    scores = {
        "likelihood": np.array([-10, -40, -10, -40]),
        "reconstruction": np.array([-4, -4, -2, -2]),
        "detector": np.array([1, 1, 1, 0]),
    }
    assert rule.reasons(scores) == [None, UNLIKELY, CANNOT_REDRAW, UNLIKELY]
    assert rule.with_likelihood(-50).reasons(scores) == [None, None, CANNOT_REDRAW, CANNOT_REDRAW]
    assert NoneRule([]).reasons(scores) == [None] * 4


def test_the_combined_test_weighs_the_scores_and_names_the_one_that_pulled_it_down():
    from latent.bundle.rejection import Combination

    combination = Combination(
        ("likelihood", "reconstruction", "detector"), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (1.0, -1.0, 2.0), 0.0
    )
    rule = NoneRule.from_calibration({"reject_below": -30.0, "combined": {**combination.to_dict(), "threshold": -1.0}})
    assert [t.score for t in rule.tests] == ["likelihood", "combined"] and rule.combination == combination
    scores = {
        "likelihood": np.array([1.0, -2.0, 0.0, 0.5, -40.0]),
        "reconstruction": np.array([0.0, 0.0, 3.0, 0.5, 0.0]),
        "detector": np.array([0.0, 0.0, 0.0, -1.0, 0.0]),
    }
    # scores: 1, -2, -3, -2, -40: the second to fifth fail; each says which score weighed most against it
    assert rule.with_scores(scores)["combined"] == pytest.approx([1, -2, -3, -2, -40])
    assert rule.reasons(scores) == [None, UNLIKELY, CANNOT_REDRAW, FOREIGN, UNLIKELY]
    # no single score crosses a threshold of its own for the second input: only their sum refuses it
    assert rule.with_likelihood(None).reasons(scores) == [None] * 5


def test_a_picture_filling_a_small_square_is_tested_against_thresholds_of_its_own():
    """Digits stored as Semeion stores them score lower on the tests beyond the latent one; the bundle's
    thresholds for such pictures replace the others for them only, and the latent test's slider keeps them."""
    from latent.bundle.rejection import Combination

    combination = Combination(("likelihood",), (0.0,), (1.0,), (1.0,), 0.0)
    calibration = {"reject_below": -30.0, "combined": {**combination.to_dict(), "threshold": -1.0}}
    filled = {**calibration, "filled_square": {"thresholds": {"combined": -3.0}, "images": 10}}
    scores = {"likelihood": np.array([0.0, -2.0, -4.0])}
    assert NoneRule.from_calibration(filled).reasons(scores) == [None, UNLIKELY, UNLIKELY]
    square = NoneRule.from_calibration(filled).for_filled_square()
    assert square.reasons(scores) == [None, None, UNLIKELY]
    assert [t.threshold for t in square.tests] == [-30.0, -3.0]
    assert NoneRule.from_calibration(filled).with_likelihood(-35.0).for_filled_square().thresholds() == {
        "likelihood": -35.0,
        "combined": -3.0,
    }
    # a bundle calibrated before such thresholds existed tests such pictures as any other
    assert NoneRule.from_calibration(calibration).for_filled_square().reasons(scores) == [None, UNLIKELY, UNLIKELY]


def test_a_combination_fitted_on_two_clouds_separates_them():
    from latent.workflows.foreign import fit_combination

    rng = np.random.default_rng(0)

    def cloud(n, shift):
        return {
            "likelihood": rng.normal(shift, 1, n),
            "reconstruction": rng.normal(-shift, 1, n),
            "detector": rng.normal(0, 1, n),  # says nothing here
        }

    ours, foreign = cloud(400, 2.0), cloud(100, -2.0)
    combination = fit_combination([ours], [foreign])
    weights = dict(zip(combination.features, combination.weights, strict=True))
    assert weights["likelihood"] > 1 and weights["reconstruction"] < -1 and abs(weights["detector"]) < 0.5
    assert np.mean(combination.score(ours) > 0) > 0.95 and np.mean(combination.score(foreign) < 0) > 0.95


def test_a_higher_threshold_refuses_more():
    rng = np.random.default_rng(0)
    scores = {"likelihood": rng.normal(size=500)}
    rule = NoneRule([Test("likelihood", 0.0, True, UNLIKELY)])
    counts = [sum(r is not None for r in rule.with_likelihood(t).reasons(scores)) for t in (-1, 0, 1)]
    assert counts[0] < counts[1] < counts[2]


def test_a_trained_bundle_carries_every_test_and_its_validation_scores(tiny_bundle, digits):
    from latent.bundle.model import LatentModel

    model = LatentModel.load(tiny_bundle)
    assert [t.score for t in model.rule.tests] == ["likelihood", "combined"]
    assert model.detector is not None
    assert set(model.val_scores) == {"likelihood", "reconstruction", "detector", "combined"}
    calibration = model.manifest["calibration"]
    assert 0.1 < calibration["temperature"] < 100 and set(calibration["rates"]) == {"likelihood", "combined"}
    # each threshold refuses its stated share of the validation images
    for test in model.rule.tests:
        refused = np.mean(test.fails(model.val_scores[test.score]))
        assert refused == pytest.approx(calibration["rates"][test.score], abs=0.02)
    result = model.classify_images(digits.x_test[:50], rule=model.rule)
    assert len(result.reasons) == 50
    assert set(result.scores) == {"likelihood", "reconstruction", "detector", "combined"}
    assert all((r is None) == (label >= 0) for r, label in zip(result.reasons, result.labels, strict=True))
    assert np.allclose(result.proba.sum(axis=1), 1) and np.mean(result.labels >= 0) > 0.8


def test_a_trained_digit_bundle_has_thresholds_for_pictures_that_fill_a_small_square(tiny_bundle, digits):
    """Set on validation digits stored as Semeion stores them (two pens), each refuses its share of them."""
    from latent.bundle.model import LatentModel
    from latent.workflows.filled_squares import stored_inputs

    model = LatentModel.load(tiny_bundle)
    filled = model.manifest["calibration"]["filled_square"]
    assert set(filled["thresholds"]) == {"combined"} == set(model.rule.filled_square)
    x = stored_inputs(digits.x_val)
    assert filled["images"] == len(x) > len(digits.x_val)  # most of both pens' pictures fill their square
    x, _ = model.as_read(x, stretched=np.ones(len(x), dtype=bool))
    scores = model.classify_images(x, rule=model.rule, Z=model.encode(x)).scores
    square = model.rule.for_filled_square()
    assert np.mean(square.tests[1].fails(scores["combined"])) == pytest.approx(0.01, abs=0.01)


def test_calibrate_can_set_the_filled_square_thresholds_alone(tiny_bundle, tmp_path):
    import shutil

    copy = tmp_path / "digits"
    shutil.copytree(tiny_bundle, copy)
    refused = run("calibrate", "--model", copy, "--filled-squares-only", "--recipe")
    assert refused.returncode == 1 and "--filled-squares-only changes nothing else" in refused.stderr
    result = run("calibrate", "--model", copy, "--filled-squares-only", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "for pictures that fill a small square: combined" in result.stdout
    after = json.loads((copy / "manifest.json").read_text())["calibration"]
    before = json.loads((tiny_bundle / "manifest.json").read_text())["calibration"]
    assert after["filled_square"]["thresholds"] == pytest.approx(before["filled_square"]["thresholds"])
    assert after["filled_square"]["command"].endswith("--filled-squares-only --quiet")
    assert {k: v for k, v in after.items() if k != "filled_square"} == {
        k: v for k, v in before.items() if k != "filled_square"
    }


def test_classify_json_says_why_none(tiny_bundle, tmp_path):
    blank = tmp_path / "blank.png"
    save_png(np.zeros((64, 64), np.uint8), blank)
    digit = tmp_path / "three.png"
    save_png(draw_digit("3"), digit)
    result = run("classify", "--model", tiny_bundle, "--json", blank, digit)
    assert result.returncode == 0, result.stderr
    empty, three = (json.loads(line) for line in result.stdout.splitlines())
    assert (empty["file"], empty["label"], empty["reason"]) == (str(blank), "none", "blank")
    assert set(three) >= {"file", "label", "probabilities", "reason", "scores"}
    assert set(three["scores"]) == {"likelihood", "combined"}
    assert all(set(s) >= {"value", "threshold", "passed"} for s in three["scores"].values())
    parts = three["scores"]["combined"]["parts"]  # the scores behind the combined one, and what each added
    assert set(parts) == {"likelihood", "reconstruction", "detector"}
    assert sum(p["contribution"] for p in parts.values()) == pytest.approx(
        three["scores"]["combined"]["value"]
        - json.loads(run("info", "--model", tiny_bundle, "--json").stdout)["calibration"]["combined"]["bias"],
        abs=1e-4,
    )
    assert (three["reason"] is None) == all(s["passed"] for s in three["scores"].values())
    refused = json.loads(run("classify", "--model", tiny_bundle, "--json", "--threshold", "1e9", digit).stdout)
    assert refused["label"] == "none" and refused["reason"] == UNLIKELY
    assert refused["scores"]["likelihood"]["passed"] is False
    line = run("classify", "--model", tiny_bundle, "--threshold", "1e9", digit).stdout
    assert line.startswith(f"{digit}: none, {UNLIKELY} (likelihood ")


def test_classify_says_what_it_found_when_there_is_nothing_to_read(tiny_bundle, tmp_path):
    """A picture with nothing to read answers "none" with the reason and what was found, in the line
    and in --json (before, only the reason: "none (no clear ink)", the same for a faint picture, a
    blank card and a crowd of specks)."""
    blank = tmp_path / "blank.png"
    save_png(np.zeros((64, 64), np.uint8), blank)
    gradient = tmp_path / "gradient.png"
    save_png(np.tile(np.linspace(60, 200, 96), (96, 1)).astype(np.uint8), gradient)
    lines = run("classify", "--model", tiny_bundle, blank, gradient)
    assert lines.returncode == 0, lines.stderr
    assert lines.stdout.splitlines() == [
        f"{blank}: none, blank (nothing drawn, the picture is one even shade)",
        f"{gradient}: none, no clear ink (the picture is blank or too faint)",
    ]
    records = run("classify", "--model", tiny_bundle, "--json", blank, gradient).stdout.splitlines()
    empty, smooth = (json.loads(line) for line in records)
    assert (empty["reason"], empty["detail"]) == ("blank", "nothing drawn, the picture is one even shade")
    assert (smooth["label"], smooth["reason"]) == ("none", "no clear ink")
    assert smooth["detail"] == "the picture is blank or too faint"


def test_evaluate_junk_reports_every_kind_left_out(tiny_bundle):
    result = run("evaluate", "--model", tiny_bundle, "--junk", "--junk-n", "12", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["junk"]
    assert set(report["junk"]) >= set(junk.JUNK) and all(0 <= r["none"] <= 1 for r in report["junk"].values())
    assert all("none_left_out" in report["junk"][k] for k in junk.JUNK)
    # kinds are left out with their family: the letters' detector saw neither drawn nor font letters
    assert report["junk"]["letters (drawn)"]["left_out_with"] == report["junk"]["letters (fonts)"]["left_out_with"]
    assert report["junk"]["scribbles"]["left_out_with"] == "scribbles"
    assert {"drawn digits", "test digits, thick pen", "test digits, on paper"} <= set(report["digits"])
    assert all(r["correct"] + r["none"] <= 1 + 1e-9 for r in report["digits"].values())


def test_the_map_caption_names_exactly_the_tests_the_map_cannot_show():
    from latent.bundle.rejection import beyond_latent

    latent_only = NoneRule.from_calibration({"reject_below": -30.0})
    assert "latent test alone" in beyond_latent(latent_only)
    full = NoneRule.from_calibration({"reject_below": -30.0, "reconstruction_above": -4.0, "detector_below": 0.0})
    text = beyond_latent(full)
    assert "cannot redraw" in text and "outlier-exposure" in text
    assert "outlier-exposure" not in beyond_latent(
        NoneRule([*latent_only.tests, Test("reconstruction", -4.0, False, "")])
    )


def test_generated_inputs_are_cached_exactly_and_a_damaged_cache_file_is_remade():
    from latent.workflows.foreign import cache_dir, generate_inputs

    kinds = ("letters (fonts)", "drawn digits")
    first = generate_inputs(kinds, 6, 11, reading="ink", size=112)
    files = sorted(cache_dir().glob("inputs-*.npz"))
    assert files
    again = generate_inputs(kinds, 6, 11, reading="ink", size=112)
    for kind in kinds:
        assert np.array_equal(first[kind].x, again[kind].x) and first[kind].labels == again[kind].labels
    assert again["letters (fonts)"].labels[0] is None and again["drawn digits"].labels[0] in "0123456789"
    whole = files[0].read_bytes()
    for damage in (b"not an npz", whole[: len(whole) // 2], b""):  # garbage, a cut-off file (a full disk), empty
        for f in files:
            f.write_bytes(damage)
        remade = generate_inputs(kinds, 6, 11, reading="ink", size=112)
        assert np.array_equal(remade["drawn digits"].x, first["drawn digits"].x)


def test_calibrate_refits_the_none_answer_in_place_and_refuses_a_folder_with_foreign_files(tiny_bundle, tmp_path):
    import shutil

    from latent.bundle.model import LatentModel
    from latent.errors import LatentError
    from latent.networks.detector import DetectorConfig
    from latent.workflows.pipeline import calibrate_bundle

    copy = tmp_path / "digits"
    shutil.copytree(tiny_bundle, copy)
    before = LatentModel.load(copy)
    small = DetectorConfig(channels=(4, 8), hidden=8, epochs=1, n_per_kind=20, n_varied=10, n_cal=20, seed=3)
    manifest = calibrate_bundle(copy, detector_cfg=small, command="calibrate test")
    after = LatentModel.load(copy)  # every file verified against the new manifest
    assert manifest["calibration"]["command"] == "calibrate test" and manifest["calibration"]["calibrated"]
    assert manifest["config"]["detector"]["seed"] == 3 and after.detector is not None
    assert after.manifest["metrics"]["test_accuracy"] == before.manifest["metrics"]["test_accuracy"]
    assert [p.name for p in tmp_path.iterdir()] == ["digits"]  # no staging folder left beside it
    assert after.rule.filled_square == manifest["calibration"]["filled_square"]["thresholds"]  # set anew
    (copy / "notes.txt").write_text("mine")
    with pytest.raises(LatentError, match="notes.txt"):
        calibrate_bundle(copy, detector_cfg=small)
    assert (copy / "notes.txt").read_text() == "mine"


def test_a_bundle_trained_without_a_detector_loads_with_the_other_two_tests(tmp_path, digits):
    from dataclasses import replace

    from latent.bundle.model import LatentModel
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, MixtureConfig, PipelineConfig, train_bundle

    few = replace(
        digits,
        x_train=digits.x_train[:300],
        y_train=digits.y_train[:300],
        x_val=digits.x_val[:60],
        y_val=digits.y_val[:60],
        x_test=digits.x_test[:100],
        y_test=digits.y_test[:100],
    )
    cfg = PipelineConfig(
        dataset="digits",
        autoencoder=AutoencoderConfig(latent_dim=4, channels=(4, 8), hidden=16),
        training=TrainConfig(epochs=1, batch_size=64, seed=1),
        mixture=MixtureConfig(n_components=1),
        map=MapConfig(n_points=60, n_neighbors=5),
        detector=None,
    )
    train_bundle(cfg, tmp_path / "plain", dataset=few, command="test")
    model = LatentModel.load(tmp_path / "plain")  # was: "field config.detector must be an object, got None"
    assert model.detector is None and [t.score for t in model.rule.tests] == ["likelihood", "reconstruction"]


def test_the_detectors_drawn_share_makes_a_rare_kind_of_ours_count():
    """Inputs as people draw them are a few thousand among 54,000 training images: drawn uniformly from one
    pool, the detector learns to refuse them wherever they look like foreign inputs. `drawn_share` gives
    them a fixed share of each batch. Here rings are both a drawn kind of ours and half the foreign set."""
    import torch

    from latent.networks.detector import DetectorConfig, train_detector

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:28, :28]
    r = np.hypot(yy - 13.5, xx - 13.5)

    def rings(n):
        radius = rng.uniform(6, 11, (n, 1, 1))
        return (np.abs(r - radius) < 1.5) * rng.uniform(0.6, 1, (n, 1, 1))

    ours = (r < rng.uniform(3, 6, (2000, 1, 1))) * rng.uniform(0.6, 1, (2000, 1, 1))  # discs
    foreign = np.concatenate([rings(1000), rng.uniform(0, 1, (1000, 28, 28))])
    drawn, probe = rings(40), rings(200)
    torch.set_num_threads(1)
    scores = {}
    for share in (0.0, 0.5):
        cfg = DetectorConfig(channels=(4, 8), hidden=8, epochs=2, batch_size=64, blur_p=0.0, drawn_share=share)
        det = train_detector(ours.astype(np.float32), foreign.astype(np.float32), cfg, drawn=drawn.astype(np.float32))
        scores[share] = float(np.median(det.score(probe.astype(np.float32))))
    # one pool: 40 rings among 2,040 of ours against 1,000 foreign ones, so rings are foreign; half of
    # each ours batch: as many rings on each side, so the detector cannot call them either way
    assert scores[0.0] < -2 and abs(scores[0.5]) < 1.5, scores


def test_the_detectors_data_for_a_dataset_with_no_drawn_members():
    """Clothes have no members drawn as people draw them and no rewritten variations: `calibrate` and
    `evaluate --junk` (leave one out) on a clothes bundle crashed on joining no drawn images at all."""
    from latent.inputs.catalog import dataset_info
    from latent.workflows.foreign import detector_data

    info = dataset_info("fashion-mnist")
    assert not info.members and not info.variations and info.foreign
    x = np.zeros((5, 28, 28), np.uint8)
    data = detector_data(info, x, np.arange(5), n=2, n_varied=3)
    assert data.drawn is None
    assert set(data.foreign) == set(info.foreign) and all(len(v) <= 2 for v in data.foreign.values())
    assert len(data.without(["noise"])) == sum(len(v) for k, v in data.foreign.items() if k != "noise")
