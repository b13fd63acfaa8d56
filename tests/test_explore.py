"""The library behind the dashboard's pages: manifest summaries, sampling, morphs, similarity, reading a drawing."""

import json

import numpy as np
import pytest

from drawing import draw_digit
from latent.bundle.model import LatentModel
from latent.bundle.reading import read_input
from latent.density.similarity import (
    confusion_kl_agreement,
    most_confused_pairs,
    pair_confusion,
    rank,
    spearman,
    symmetric_kl,
)
from latent.explore.morph import crossings, endpoint, morph
from latent.explore.sampling import SOURCES, draw_samples, latent_box, recognise
from latent.figures import summary
from latent.inputs.preprocess import to_model_input


@pytest.fixture(scope="module")
def model(tiny_bundle):
    return LatentModel.load(tiny_bundle)


@pytest.fixture(scope="module")
def manifest(tiny_bundle):
    return json.loads((tiny_bundle / "manifest.json").read_text())


# --------------------------------------------------------------------------- manifest summaries


def test_headline_numbers_and_tables_come_from_the_manifest(manifest):
    heads = {h.label: h for h in summary.headline_numbers(manifest)}
    acc = manifest["metrics"]["test_accuracy"]
    assert heads["Test accuracy"].value == f"{100 * acc:.2f}%"
    assert heads["Latent size"].value == "8 numbers" and heads["Styles per class"].value == "2"
    assert heads["Test accuracy"].delta is None  # digits has no write-up figure
    with_ref = {**manifest, "metrics": {**manifest["metrics"], "test_accuracy": 0.98, "writeup_test_accuracy": 0.9766}}
    assert summary.headline_numbers(with_ref)[0].delta.startswith("+0.34 pts")
    rows = summary.accuracy_table(with_ref)
    assert rows[0]["test"] == 0.98 and rows[-1]["model"].startswith("original write-up")
    facts = dict(summary.manifest_facts(manifest))
    assert facts["built by"] == manifest["command"] and "1/2" not in facts["dataset"]
    files = summary.file_table(manifest)
    assert {f["file"] for f in files} == set(manifest["files"])
    assert summary.bundle_label(manifest, "x") == "digits · 8-d"
    other = {**manifest, "name": "shapes", "dataset": {**manifest["dataset"], "name": "fashion-mnist"}}
    assert summary.bundle_label(other, "x") == "shapes · Fashion-MNIST · 8-d"  # the dataset when the name hides it


def test_training_method_says_how_the_latent_space_was_shaped(manifest):
    assert summary.training_method(manifest) == "two-stage (autoencoder without labels)"
    config = manifest["config"]
    joint = {**manifest, "config": {**config, "training": {**config["training"], "joint_weight": 0.1}}}
    assert summary.training_method(joint) == "joint (class term weight 0.1)"
    part = {**manifest, "config": {**config, "training": {**config["training"], "joint_weight": 0.07, "joint_dims": 2}}}
    assert summary.training_method(part) == "joint (class term weight 0.07 on 2 of 8 dimensions)"


def test_augmentation_says_what_was_changed_and_what_the_decoder_gave_back():
    from latent.networks.augment import AugmentConfig

    def manifest(denoise, target, augment):
        return {"config": {"training": {"denoise": denoise, "target": target, "augment": augment.to_dict()}}}

    assert summary.augmentation(manifest(False, "clean", AugmentConfig())) == "none"
    digits = summary.augmentation(manifest(True, "clean", AugmentConfig()))
    assert digits == "rotation, scale, shear, shift, stroke thickness; denoising (copies redrawn clean)"
    written = summary.augmentation(manifest(True, "clean", AugmentConfig(aspect=0.5, lowres_p=0.2)))
    assert written.startswith("rotation, scale, width/height stretch, shear, shift, stroke thickness, low resolution;")
    clothes = summary.augmentation(manifest(True, "augmented", AugmentConfig.clothes()))
    assert clothes == "mirror, scale, shift; copies redrawn as they are"
    assert summary.augmentation({"config": {"training": {"denoise": True}}}).endswith(
        "denoising (copies redrawn clean)"
    )


def test_pipeline_diagram_names_the_model_sizes(manifest):
    html = summary.pipeline_diagram_html(manifest)
    assert "8 numbers" in html and "10 × 2 styles" in html and html.count('class="le-arrow"') == 5
    assert "d numbers" in summary.pipeline_diagram_html()  # works without a model too


def test_summaries_tolerate_a_sparse_manifest():
    sparse = {"name": "x", "dataset": {"name": "folder:/tmp/x"}}
    assert [h.value for h in summary.headline_numbers(sparse)][:3] == ["–", "–", "–"]
    assert summary.manifest_facts(sparse) and summary.accuracy_table(sparse)[0]["test"] is None


# --------------------------------------------------------------------------- sampling


def test_class_samples_are_recognised_and_the_uniform_box_is_not(model):
    shares = {}
    for source in SOURCES:
        samples = draw_samples(model, source, 300, random_state=0)
        assert samples.Z.shape == (300, model.latent_dim)
        shares[source] = recognise(model, samples, model.threshold)
    assert shares["class"].share > 0.9 and shares["class"].share_as_intended > 0.8
    assert shares["single"].share_as_intended is None
    assert shares["uniform"].share < 0.3 < shares["class"].share
    intended = draw_samples(model, "class", 25, random_state=1).intended
    assert np.bincount(intended).tolist() == [3] * 5 + [2] * 5  # classes cycled evenly


def test_latent_box_contains_the_codes_and_sampling_is_seeded(model):
    lo, hi = latent_box(model.map.codes)
    assert np.all(lo <= model.map.codes.min(axis=0)) and np.all(hi >= model.map.codes.max(axis=0))
    a = draw_samples(model, "uniform", 5, random_state=3).Z
    b = draw_samples(model, "uniform", 5, random_state=3).Z
    np.testing.assert_array_equal(a, b)
    assert np.all((a >= lo) & (a <= hi))
    with pytest.raises(ValueError, match="source"):
        draw_samples(model, "gaussian", 5)


def test_recognise_via_image_classifies_the_decoded_picture(model):
    samples = draw_samples(model, "class", 20, random_state=0)
    via = recognise(model, samples, model.threshold, via_image=True)
    expected = model.classify(model.encode(model.decode(samples.Z)), reject_below=model.threshold).labels
    np.testing.assert_array_equal(via.labels, expected)


# --------------------------------------------------------------------------- morphs


def test_morph_goes_from_source_class_to_target_class(model):
    z0, z1 = endpoint(model.mixture, 0), endpoint(model.mixture, 1)
    m = morph(model, z0, z1, n_points=21)
    assert m.path.shape == (21, model.latent_dim) and m.proba.shape == (21, 10)
    assert m.labels[0] == 0 and m.labels[-1] == 1
    np.testing.assert_allclose(m.at(0.0), z0)
    np.testing.assert_allclose(m.at(1.0), z1)
    np.testing.assert_allclose(m.at(0.5), (z0 + z1) / 2)
    flips = crossings(m.t, m.labels)
    assert flips and flips[0][1] == 0 and flips[-1][2] == 1 and 0 < flips[0][0] < 1


def test_endpoint_picks_the_heaviest_component_or_the_one_asked_for(model):
    w, means, _ = model.mixture.components(3)
    np.testing.assert_allclose(endpoint(model.mixture, 3), means[np.argmax(w)])
    np.testing.assert_allclose(endpoint(model.mixture, 3, 1), means[1])
    with pytest.raises(ValueError, match="component"):
        endpoint(model.mixture, 3, 5)


def test_crossings_of_a_label_sequence():
    t = np.linspace(0, 1, 5)
    assert crossings(t, np.array([2, 2, -1, 8, 8])) == [(0.375, 2, -1), (0.625, -1, 8)]
    assert crossings(t, np.zeros(5, int)) == []


# --------------------------------------------------------------------------- similarity


def test_similarity_helpers_on_a_known_case():
    confusion = np.array([[90, 10, 0], [8, 92, 0], [0, 1, 99]])
    kl = np.array([[0.0, 2.0, 30.0], [3.0, 0.0, 20.0], [40.0, 25.0, 0.0]])
    np.testing.assert_allclose(symmetric_kl(kl), symmetric_kl(kl).T)
    pc = pair_confusion(confusion)
    assert pc[0, 1] == pytest.approx(0.09) and pc[0, 0] == 0
    assert confusion_kl_agreement(confusion, kl) == pytest.approx(1.0)
    rows = most_confused_pairs(confusion, kl, ["a", "b", "c"], top=5)
    assert [r["pair"] for r in rows] == ["a ↔ b", "b ↔ c"] and rows[0]["kl_rank"] == 1
    assert rank(np.array([3.0, 1.0, 3.0])).tolist() == [2.5, 1.0, 2.5]
    assert spearman(np.arange(5), -np.arange(5)) == pytest.approx(-1.0)
    assert np.isnan(spearman(np.ones(4), np.arange(4)))


# --------------------------------------------------------------------------- reading a drawing


def test_read_input_classifies_reconstructs_and_places_a_drawing(model):
    x = to_model_input(draw_digit("1").astype(np.float32) / 255)
    r = read_input(model, x, reject_below=model.threshold)
    assert r.z.shape == (model.latent_dim,) and r.reconstruction.shape == (28, 28)
    assert r.proba.sum() == pytest.approx(1.0) and r.map_xy.shape == (2,)
    assert r.name == (model.class_names[r.label] if r.label >= 0 else "none")
    assert 0 <= r.style < model.mixture.n_components_[r.style_class] and 0 < r.style_responsibility <= 1
    strict = read_input(model, x, reject_below=r.score + 1.0)
    assert strict.label == -1 and strict.name == "none"
    with pytest.raises(ValueError, match="28, 28"):
        read_input(model, np.zeros((8, 8)))


def test_read_input_decodes_its_code_once_and_scores_what_it_shows(model, monkeypatch):
    """The reconstruction test and the picture shown are one decode (a drawing's request runs both)."""
    x = to_model_input(draw_digit("7").astype(np.float32) / 255)
    calls = []
    decode = type(model).decode
    monkeypatch.setattr(type(model), "decode", lambda self, Z: calls.append(len(Z)) or decode(self, Z))
    r = read_input(model, x)
    assert calls == [1]
    monkeypatch.undo()
    np.testing.assert_allclose(r.reconstruction, model.decode(r.z[None])[0], atol=1e-6)
    shown = {t.test: t.value for t in r.tests} | {f: v for t in r.tests for f, v, _ in t.parts}
    assert shown["reconstruction"] == pytest.approx(model.reconstruction_error(x[None])[0], abs=1e-5)


def test_read_input_scores_the_classes_once_and_finds_the_same_style(model, monkeypatch):
    """The style shown comes from the class log-likelihoods the answer already computed (one pass of the
    mixtures per drawing), and is the one `nearest_component` finds on its own."""
    x = to_model_input(draw_digit("4").astype(np.float32) / 255)
    calls = []
    scorer = type(model.mixture)
    log_likelihoods = scorer.log_likelihoods
    monkeypatch.setattr(scorer, "log_likelihoods", lambda self, Z: calls.append(len(Z)) or log_likelihoods(self, Z))
    r = read_input(model, x)
    assert calls == [1]
    monkeypatch.undo()
    c, k, resp = model.nearest_component(r.z)
    assert (r.style_class, r.style, r.style_responsibility) == (c, k, pytest.approx(resp[k]))


# --------------------------------------------------------------------------- dense morphs


def test_dense_morph_hops_between_real_codes_and_beats_the_straight_line(model):
    from latent.explore.morph import code_graph, compare_paths, endpoint, interpolate, resample_polyline

    graph = code_graph(model)
    z0, z1 = endpoint(model.mixture, 0), endpoint(model.mixture, 1)
    path = graph.path(z0, z1, 21, classes=(0, 1))
    assert path.shape == (21, model.latent_dim)
    labels = model.classify(path).labels
    straight = model.classify(interpolate(z0, z1, 21)).labels
    # it hops through the two classes' codes: its frames are theirs at least as often as the straight
    # line's (how often depends on the gap between the two clusters, which the tiny model sets)
    assert np.mean(np.isin(labels, [0, 1])) >= max(0.5, np.mean(np.isin(straight, [0, 1])))
    np.testing.assert_allclose(path[0], z0)
    np.testing.assert_allclose(path[-1], z1)
    # codes the model is unsure of (p < 0.9 for every class) are in no class's graph
    proba = model.mixture.predict_proba(model.map.codes.astype(np.float64)).max(axis=1)
    assert np.array_equal(graph.labels == -1, proba < 0.9) and 0 < np.mean(graph.labels == -1) < 0.5
    result = compare_paths(model, graph, n_pairs=20, n_points=15)
    assert result["morph_dense_log_likelihood"] > result["morph_straight_log_likelihood"]
    assert result["morph_dense_confident_share"] > result["morph_straight_confident_share"]
    # resampling keeps the ends and spaces points evenly along the polyline
    square = resample_polyline(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), 5)
    np.testing.assert_allclose(square, [[0, 0], [0.5, 0], [1, 0], [1, 0.5], [1, 1]])


def test_ood_caption_says_whether_the_pixel_likelihood_fails_here():
    fails = summary.ood_caption({"ood_auroc_pixel_likelihood": 0.05, "ood_auroc_typicality": 0.9997})
    assert "happen here too" in fails and "typicality" in fails
    holds = summary.ood_caption({"ood_auroc_pixel_likelihood": 0.9999})
    assert "even the *pixel likelihood* separates them" in holds and "happen here" not in holds
    assert "typicality" not in holds  # an evaluation stored before the score existed
