"""The shipped bundles in assets/: intact, as good as README says, and they read digits as people draw them."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from conftest import ROOT, shared_data_dir
from drawing import STROKES, cut_to_ink, draw_digit
from latent.bundle.model import LatentModel
from latent.inputs.preprocess import to_model_input

SHIPPED = {"mnist": 0.985, "fashion-mnist": 0.875}  # issue 2's targets, measured on the full test sets
MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def mnist():
    return LatentModel.load(ROOT / "assets" / "mnist")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_bundle_is_intact_small_and_meets_its_target(name):
    model = LatentModel.load(ROOT / "assets" / name)  # verifies every file's SHA-256
    files = (ROOT / "assets" / name).iterdir()
    assert sum(f.stat().st_size for f in files) <= MAX_BYTES
    m = model.metrics
    assert m["test_accuracy"] >= SHIPPED[name] > m["writeup_test_accuracy"]
    assert len(model.map.codes) >= 10000 and model.map.coords.shape == (len(model.map.codes), 2)
    assert model.manifest["command"].startswith("python -m latent train")


def test_shipped_results_match_readme():
    readme = (ROOT / "README.md").read_text()
    for name in SHIPPED:
        m = json.loads((ROOT / "assets" / name / "manifest.json").read_text())["metrics"]
        assert f"{m['test_accuracy']:.4f}" in readme, f"README's table does not show {name}'s test accuracy"


JOINT = {"mnist-joint": 0.993, "fashion-mnist-joint": 0.91}  # issue 4's targets


@pytest.mark.parametrize("name", sorted(JOINT))
def test_joint_bundles_are_intact_meet_their_targets_and_match_readme(name):
    joint = LatentModel.load(ROOT / "assets" / name)  # verifies every file's SHA-256
    base = json.loads((ROOT / "assets" / name.removesuffix("-joint") / "manifest.json").read_text())["metrics"]
    m = joint.metrics
    assert joint.manifest["config"]["training"]["joint_weight"] > 0
    assert m["test_accuracy"] >= JOINT[name] and m["test_accuracy"] > base["test_accuracy"]
    assert m["train_seconds"] <= 600
    # issue 4's reconstruction budget: at most 15 % worse than the two-stage bundle
    assert m["test_reconstruction_mse"] <= 1.15 * base["test_reconstruction_mse"]
    assert f"{m['test_accuracy']:.4f}" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", [*sorted(SHIPPED), *sorted(JOINT)])
def test_stored_ood_evaluation_uses_the_fixed_typicality_score_and_meets_the_target(name):
    """`evaluate --ood --save` results in each manifest: the score fixed in advance separates both ways."""
    evaluation = json.loads((ROOT / "assets" / name / "manifest.json").read_text())["evaluation"]
    assert evaluation["ood_score"] == "typicality" and evaluation["ood_dataset"] != evaluation["dataset"]
    assert evaluation["ood_auroc"] == evaluation["ood_auroc_typicality"] >= 0.999


# How people draw on the 280x280 canvas: centred or off-centre, small or filling it, thin or thick pens.
BOXES = {
    "centred": (0.2, 0.1, 0.8, 0.9),
    "small, top left": (0.05, 0.05, 0.35, 0.4),
    "small, bottom right": (0.6, 0.55, 0.9, 0.95),
    "large": (0.02, 0.02, 0.98, 0.98),
}
WIDTHS = {"thin": 8, "medium": 18, "thick": 32}


def test_mnist_reads_drawn_digits_in_many_sizes_places_and_pens(mnist):
    cases = list(itertools.product(sorted(STROKES), BOXES, WIDTHS))
    images = np.stack([to_model_input(draw_digit(d, box=BOXES[b], width=WIDTHS[w]) / 255.0) for d, b, w in cases])
    result = mnist.classify_images(images)
    predicted = [mnist.class_names[i] for i in result.proba.argmax(axis=1)]
    wrong = [(case, p) for case, p in zip(cases, predicted, strict=True) if p != case[0]]
    assert len(wrong) <= 0.1 * len(cases), wrong
    # thickness or placement alone never makes a digit unreadable: each digit is right in most variants
    for digit in STROKES:
        assert sum(case[0] == digit for case, _ in wrong) <= len(BOXES) * len(WIDTHS) // 3, (digit, wrong)


# Boxes wider than tall that a digit is stretched to fill (width : height of the ink, about).
WIDE_BOXES = {"3:2": (0.1, 0.25, 0.9, 0.78), "2:1": (0.05, 0.3, 0.95, 0.75), "5:2": (0.02, 0.35, 0.98, 0.73)}


def test_mnist_reads_digits_stretched_to_fill_a_wide_box(mnist):
    # A 1 is left out: its stroke has no width to stretch, only its flag grows (and a long flag is a 7).
    # Measured: 78 of these 81 right with the rule; 58 when each is read only as drawn (no
    # latent.bundle.width), when a 3, 4, 5 or 8 at 5:2 was mostly something else.
    cases = list(itertools.product(sorted(set(STROKES) - {"1"}), WIDE_BOXES, WIDTHS))
    images = np.stack([to_model_input(draw_digit(d, box=WIDE_BOXES[b], width=WIDTHS[w]) / 255.0) for d, b, w in cases])
    result = mnist.classify_images(images, rule=mnist.rule)
    wrong = [
        case
        for case, reason, label in zip(cases, result.reasons, result.labels, strict=True)
        if reason is not None or mnist.class_names[int(label)] != case[0]
    ]
    assert len(wrong) <= 0.1 * len(cases), wrong
    assert result.narrowed is not None and result.narrowed.sum() >= len(cases) // 3


# Issue 11: the shipped models' whole "none" rule on fresh generated inputs (a seed none of their
# detectors trained on; `evaluate --junk` gives the full table and the leave-one-kind-out figures).
JUNK_SEED = 7


def _none_share(model, inputs) -> float:
    refused = (
        0 if not len(inputs.x) else sum(r is not None for r in model.classify_images(inputs.x, rule=model.rule).reasons)
    )
    return (refused + inputs.blank) / inputs.total


def test_mnist_answers_none_to_generated_junk_and_keeps_digits_people_draw(mnist):
    from latent.workflows.foreign import generate_inputs

    assert mnist.detector is not None and [t.score for t in mnist.rule.tests] == ["likelihood", "combined"]
    # Measured at this seed with the combined test and the detector trained with drawn_share 0.5 on photos
    # cleaned as now and scribbles in every style: letters 0.975 / 1.00, photo crops 0.975, noise 1.00,
    # scribbles 0.95, shapes 1.00;
    # before the combined test (three tests, the smaller detector): letters 0.93 / 0.88, photo crops 0.88,
    # scribbles 0.72, shapes 0.60. The bars are regression guards a little below what it does now.
    floors = {
        "letters (drawn)": 0.9,
        "letters (fonts)": 0.9,
        "photo crops": 0.9,
        "noise": 0.9,
        "scribbles": 0.85,
        "shapes": 0.9,
    }
    for kind, inputs in generate_inputs(floors, 40, JUNK_SEED, reading="ink").items():
        assert _none_share(mnist, inputs) >= floors[kind], kind
    # digits drawn in every placement and pen of the canvas test above keep their class
    cases = list(itertools.product(sorted(STROKES), BOXES, WIDTHS))
    images = np.stack([to_model_input(draw_digit(d, box=BOXES[b], width=WIDTHS[w]) / 255.0) for d, b, w in cases])
    result = mnist.classify_images(images, rule=mnist.rule)
    refused = [case for case, reason in zip(cases, result.reasons, strict=True) if reason is not None]
    assert len(refused) <= 0.1 * len(cases), refused
    # new writers (scikit-learn's 43: 0.95 right here; 0.92 before drawn_share) and digits photographed on
    # paper (0.92; 0.82 with the detector trained on photos cleaned the previous way, 0.76 before the ink's
    # side was read from the whole photo): mostly right
    for name, floor in (("sklearn digits (43 writers)", 0.9), ("digits on paper", 0.85)):
        inputs = generate_inputs((name,), 60, JUNK_SEED, reading="ink")[name]
        result = mnist.classify_images(inputs.x, rule=mnist.rule)
        right = np.mean(
            [
                r is None and mnist.class_names[int(label)] == truth
                for r, label, truth in zip(result.reasons, result.labels, inputs.labels, strict=True)
            ]
        )
        assert right >= floor, (name, right)


@pytest.mark.parametrize("name", ["fashion-mnist", "fashion-mnist-joint"])
def test_fashion_bundles_answer_none_to_digits_letters_scribbles_photos_and_noise(name):
    from latent.workflows.foreign import generate_inputs

    model = LatentModel.load(ROOT / "assets" / name)
    kinds = ("drawn digits", "letters (fonts)", "scribbles", "photo crops", "noise")
    for kind, inputs in generate_inputs(kinds, 40, JUNK_SEED, reading="object").items():
        assert _none_share(model, inputs) >= 0.9, (name, kind)


@pytest.mark.parametrize(("name", "floor"), [("mnist", 0.9), ("fashion-mnist", 0.95)])
def test_real_photographs_uploaded_are_answered_none(name, floor):
    """Crops of scikit-learn's two sample photographs (real pictures no part of the project trained or
    calibrated on), uploaded as JPEG files and read as `classify` reads them (benchmarks/real_photos.py:
    mnist 95.0-96.0 % "none" on 300 crops at seeds 0-2, fashion-mnist 100 %)."""
    from benchmarks.real_photos import photo_crops, read_uploads

    crops = photo_crops(60, seed=5)
    answers = read_uploads(LatentModel.load(ROOT / "assets" / name), crops)
    assert len(answers) == 60 and len({len(c) for c in crops}) > 50  # 60 different pictures
    assert np.mean([label == "none" for label, _, _ in answers]) >= floor


@pytest.mark.parametrize("method", ["mh", "mala"])
def test_the_default_walks_on_the_shipped_mnist_model_accept_near_the_best_rate(mnist, method):
    """The page's default walk (step size 1 = the tuned scale) on every class: the page's old default accepted
    97-98 % (Langevin), and the textbook scale 12 % (Metropolis)."""
    from latent.explore.walks import TARGET_ACCEPTANCE, mcmc_walk, stationary_acceptance, tune_scale

    target = TARGET_ACCEPTANCE[method]
    rates = []
    for c in range(mnist.n_classes):
        scale = tune_scale(mnist.mixture, c, method=method)
        assert stationary_acceptance(mnist.mixture, c, scale, method=method, random_state=3) == pytest.approx(
            target, abs=0.1
        )
        rates.append(mcmc_walk(mnist.mixture, c, 200, scale=scale, method=method, random_state=0).acceptance_rate)
    assert np.mean(rates) == pytest.approx(target, abs=0.1), rates


def _classify_files(pictures: list[np.ndarray], folder, fmt: str = "PNG") -> list[str]:
    """Each uint8 picture saved as a PNG (or a JPEG at PIL's default quality, 75) and read by `classify
    --json` on assets/mnist: its labels."""
    from PIL import Image

    from test_cli import run

    paths = []
    for i, picture in enumerate(pictures):
        paths.append(folder / f"{i}.{'jpg' if fmt == 'JPEG' else 'png'}")
        Image.fromarray(picture).save(paths[-1], format=fmt)
    result = run("classify", "--model", ROOT / "assets" / "mnist", "--json", *paths)
    assert result.returncode == 0, result.stderr
    return [json.loads(line)["label"] for line in result.stdout.splitlines()]


# A digit's ink filling 20 of 28 pixels, as in MNIST (left, top, right, bottom of a 280-pixel canvas).
MNIST_BOX = (0.25, 0.15, 0.75, 0.85)


def test_mnist_reads_digits_saved_as_small_black_and_white_files(tmp_path):
    """A digit thresholded to black and white at MNIST's own size (a scan's bilevel image, a dataset's
    binarised digits) reached the model with hard edges it never saw: these were 17 of 30 right, 13
    "none" (benchmarks/uploads.py: MNIST's test digits so stored, 25.5 % right, 73.8 % "none")."""
    from PIL import Image

    cases = list(itertools.product(sorted(STROKES), WIDTHS))
    pictures = []
    for digit, width in cases:
        drawn = Image.fromarray(draw_digit(digit, box=MNIST_BOX, width=WIDTHS[width]))
        small = np.asarray(drawn.resize((28, 28), Image.Resampling.BOX))  # reduced as MNIST's were
        pictures.append(np.where(small > 127, 0, 255).astype(np.uint8))  # then black on white, two levels
    answers = _classify_files(pictures, tmp_path)
    wrong = [(case, answer) for case, answer in zip(cases, answers, strict=True) if answer != case[0]]
    assert len(wrong) <= 0.1 * len(cases), wrong


def test_mnist_reads_digits_cut_to_their_ink(tmp_path):
    """A dataset's digit or a scan cut to the glyph has strokes running into the frame. Such a file was
    cleaned as a photo, which dropped what touches the frame as a desk's edge: these were 103 of 120 right
    (benchmarks/uploads.py: MNIST's test digits cut to the ink at 64 pixels, 92.1 % right)."""
    cases = list(itertools.product(sorted(STROKES), WIDTHS, (28, 64), ("grey", "black and white")))
    pictures = []
    for i, (digit, width, side, levels) in enumerate(cases):
        glyph = cut_to_ink(draw_digit(digit, width=WIDTHS[width]), side)
        if levels == "black and white":
            glyph = np.where(glyph > 127, 255, 0).astype(np.uint8)
        pictures.append(glyph if i % 2 else 255 - glyph)  # white on black and black on white
    answers = _classify_files(pictures, tmp_path)
    wrong = [(case, answer) for case, answer in zip(cases, answers, strict=True) if answer != case[0]]
    assert len(wrong) <= 0.1 * len(cases), wrong


def test_mnist_reads_real_handwriting_saved_as_small_scans_filling_their_box(tmp_path):
    """scikit-learn's digits (43 writers; each fills its 8x8 box) enlarged smoothly to 32 and 64 px, as a
    small scan cut to the digit: resampling leaves few of their background pixels exactly black, so too
    few for `photo.plain_background` (it asked a quarter of any picture), and the photo cleaning misread them: these
    were 96 of 120 right, 12 "none" (benchmarks/uploads.py: MNIST's test digits cut to the ink at 16 px as
    JPEG, 87.7 % right)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    pictures, labels = [], []
    for i in range(120):
        side = (32, 64)[i % 2]
        small = Image.fromarray((digits.images[i] * 255 / 16).astype(np.uint8))
        glyph = np.asarray(small.resize((side, side), Image.Resampling.BILINEAR))
        pictures.append(glyph if i % 4 < 2 else 255 - glyph)  # white on black and black on white
        labels.append(str(digits.target[i]))
    answers = _classify_files(pictures, tmp_path)
    assert sum(a == label for a, label in zip(answers, labels, strict=True)) >= 100, answers


def _filling_in_black_and_white(glyph: np.ndarray, side: int, i: int) -> np.ndarray:
    """A glyph (uint8, ink bright) stored as Semeion stores a digit: stretched to fill a side x side box,
    then black and white; white on black for odd `i`, black on white for even."""
    bilevel = np.where(cut_to_ink(glyph, side, fill=True) > 127, 255, 0).astype(np.uint8)
    return bilevel if i % 2 else 255 - bilevel


def test_mnist_reads_bold_digits_stretched_to_fill_a_small_black_and_white_box(tmp_path):
    """Semeion's way of storing handwriting: each digit stretched to fill a 16x16 box, then black and white.
    A bold 0, 6, 8 or 9 so stored is more ink than background, so the commonest level is the ink's: taken
    for the background, the loops' insides were marks standing apart, the picture was cleaned as a photo
    and read inside out (these were 26 of 36 right; benchmarks/uploads.py: MNIST's test digits so stored,
    88.4 % right). A drawing's background is the level of its frame (`photo.plain_background`)."""
    cases = list(itertools.product(sorted(set(STROKES) - {"1"}), ("thick", "marker"), (16, 24)))
    pens = {"thick": WIDTHS["thick"], "marker": 44}
    pictures = [
        _filling_in_black_and_white(draw_digit(digit, width=pens[pen]), side, i)
        for i, (digit, pen, side) in enumerate(cases)
    ]
    answers = _classify_files(pictures, tmp_path)
    wrong = [(case, answer) for case, answer in zip(cases, answers, strict=True) if answer != case[0]]
    assert len(wrong) <= 3, wrong


def test_mnist_reads_thin_digits_stretched_to_fill_a_small_black_and_white_box(tmp_path):
    """Thin and medium pens' digits stored as Semeion stores them (stretched to fill 16 or 24 pixels, black
    and white): their thin strokes break into pieces, and a piece standing apart from those that run into
    the frame made the picture a photo, whose cleaning kept one piece: 45 of 60 right. A small picture of
    black and white only is a glyph, read whole (`latent.inputs.photo.black_and_white_only`): 53."""
    cases = list(itertools.product("0123456789", (8, 12, 18), (16, 24)))
    pictures = [
        _filling_in_black_and_white(draw_digit(digit, width=pen), side, i) for i, (digit, pen, side) in enumerate(cases)
    ]
    answers = _classify_files(pictures, tmp_path)
    wrong = [(case, answer) for case, answer in zip(cases, answers, strict=True) if answer != case[0]]
    assert len(wrong) <= 9, wrong


def test_mnist_reads_a_1_stretched_to_fill_a_square_box(tmp_path):
    """A 1 stretched to fill a square, as Semeion stores its digits, is one thick band or a block, which
    the mixtures never saw: these were 3 of 24 right, the rest "none" (benchmarks/uploads.py: MNIST's
    test 1s so stored, 56 % right). Narrowed to a 1's usual width (`latent.inputs.stretched`), it reads
    as a 1 (15 of 24), and `classify --json` says so in its notes. Not yet: at 16 pixels the flag's rows
    make the band uneven, so it is not narrowed, and a thin pen's flag, narrowed, is a 7's bar."""
    from drawing import save_png
    from test_cli import run

    pens = {"thin": WIDTHS["thin"], "medium": WIDTHS["medium"], "thick": WIDTHS["thick"], "marker": 44}
    cases = list(itertools.product(pens, (16, 24, 32), ("grey", "black and white")))
    paths = []
    for i, (pen, side, levels) in enumerate(cases):
        picture = cut_to_ink(draw_digit("1", width=pens[pen]), side, fill=True)
        if levels == "black and white":
            picture = np.where(picture > 127, 255, 0).astype(np.uint8)
        paths.append(tmp_path / f"{i}.png")
        save_png(picture if i % 2 else 255 - picture, paths[-1])  # white on black and black on white
    result = run("classify", "--model", ROOT / "assets" / "mnist", "--json", *paths)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    wrong = [(case, r["label"]) for case, r in zip(cases, records, strict=True) if r["label"] != "1"]
    assert len(wrong) <= 10, wrong
    assert sum("a 1's usual width" in " ".join(r["notes"]) for r in records) >= 16


def test_mnist_reads_bold_digits_on_grey_paper_cut_close_round_their_ink(tmp_path):
    """A scan or a photo of a bold digit cropped to it: more ink than paper, so it was read inside out (the
    paper in its loops taken for light ink), 20 of 40 right. Its frame, brighter than its median, now
    says the ink is dark, and its paper is one level, the frame's (`latent.inputs.photo.dark_ink`): 36.
    (The ink's side alone is not enough: a thick 1 cut close is nearly all ink, and a paper estimate
    that follows the light, with so little paper to follow, follows the ink.)"""
    cases = list(itertools.product("0123456789", (32, 44), (48, 96)))
    pictures = []
    for i, (digit, pen, side) in enumerate(cases):
        ink = cut_to_ink(draw_digit(digit, width=pen), side).astype(np.float32) / 255.0
        paper, dark = 0.55 + 0.15 * (i % 3), 0.1 + 0.1 * (i % 2)
        gray = paper + (dark - paper) * ink + np.random.default_rng(i).normal(0, 0.02, ink.shape)
        pictures.append(np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8))
    answers = _classify_files(pictures, tmp_path)
    wrong = [(case, answer) for case, answer in zip(cases, answers, strict=True) if answer != case[0]]
    assert len(wrong) <= 6, wrong


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_mnist_reads_real_1s_whose_black_core_is_narrower_than_their_stretched_box(tmp_path):
    """MNIST's first 60 test 1s cut to their faintest ink, stretched to fill 16x16 and stored in black
    and white, as Semeion stores its writers' digits: a thick 1's faint edges fill the box but its
    black core is a band or a block half as wide. Told as a band only when its ink spanned the width,
    23 of 60 read as 1s (the rest "none"); a band from top to bottom is narrowed too, 32 of 60; a band
    bowed like a bracket, or up to twice as wide at one end (a flag, a foot), when it fills the box
    across, too: 40 of 60. Among the rest: a flag or a foot stored from 28 pixels, magnified 4 times
    across, is a step (two runs in a row), a thin 1's black core is a block narrower than SPAN_WIDTH,
    or the narrowed band still looks like no digit to the detector."""
    from latent.inputs.data import load_dataset

    mnist = load_dataset("mnist", shared_data_dir(), download=False, progress=False)
    pictures = [_filling_in_black_and_white(one, 16, i) for i, one in enumerate(mnist.x_test[mnist.y_test == 1][:60])]
    answers = _classify_files(pictures, tmp_path)
    assert answers.count("1") >= 38, answers


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_mnist_reads_bold_digits_stored_as_semeion_stores_them_against_thresholds_set_for_them(tmp_path):
    """MNIST's first 1,000 test digits written with a pen a pixel thicker, stretched to fill 16x16 and
    stored in black and white (Semeion's ~80 writers' digits, thick pens): the mixtures alone read 96 %
    of such digits right, but tested against the thresholds set on validation images as MNIST stores
    them, a bold digit whose loops closed at 16 pixels did not look like the training images: 920 of
    1,000 right, 51 "none". Tested against thresholds set on validation digits stored that way
    (latent.workflows.filled_squares), each refusing the same share of them: 935 right, 33 "none"."""
    from latent.inputs import stored
    from latent.inputs.data import load_dataset

    mnist = load_dataset("mnist", shared_data_dir(), download=False, progress=False)
    pictures = [stored.as_semeion(stored.bolder(x)) for x in mnist.x_test[:1000]]
    answers = _classify_files(pictures, tmp_path)
    truth = [str(y) for y in mnist.y_test[:1000]]
    right = sum(a == y for a, y in zip(answers, truth, strict=True))
    assert right >= 930 and answers.count("none") <= 40, (right, answers.count("none"))


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_mnist_reads_bold_digits_stored_as_semeion_stores_them_and_saved_as_jpeg(tmp_path):
    """The same 1,000 bold digits stretched to fill 16x16 in black and white, saved as JPEG files (a scan
    or a form's glyph often is): JPEG's noise left them grey near the strokes, so a small picture of
    black and white only was no longer recognised as a glyph; about 4 % were cleaned as photos, whose cleaning
    kept one piece of the broken strokes: 901 right, 58 "none". A small picture that is black and white
    within JPEG's noise is a glyph too (`latent.inputs.photo.black_and_white_only`): 935 right, 31 "none",
    as the PNG files read."""
    from latent.inputs import stored
    from latent.inputs.data import load_dataset

    mnist = load_dataset("mnist", shared_data_dir(), download=False, progress=False)
    pictures = [stored.as_semeion(stored.bolder(x)) for x in mnist.x_test[:1000]]
    answers = _classify_files(pictures, tmp_path, "JPEG")
    truth = [str(y) for y in mnist.y_test[:1000]]
    right = sum(a == y for a, y in zip(answers, truth, strict=True))
    assert right >= 930 and answers.count("none") <= 40, (right, answers.count("none"))


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_mnist_reads_digits_scanned_on_grey_paper_and_cut_close(tmp_path):
    """MNIST's first 500 test digits scanned dark on grey paper and cut to the ink at 64 pixels (a digit
    cropped close from a scan): their strokes run into the frame, so the cleaning dropped them as a
    desk's edge and kept a piece, and the paper's light estimated window by window took a bold stroke
    for paper: 466 right, 20 "none". A small picture with ink on every side of its frame is a glyph cut
    close: one paper level, the marks touching the frame kept (`latent.inputs.photo.one_level_ink`):
    474 right, 15 "none"."""
    from benchmarks.uploads import DATASET_STYLES
    from latent.inputs.data import load_dataset

    mnist = load_dataset("mnist", shared_data_dir(), download=False, progress=False)
    scan = DATASET_STYLES["scanned on grey paper, cut to the ink, 64 px"]
    answers = _classify_files([scan(x) for x in mnist.x_test[:500]], tmp_path)
    truth = [str(y) for y in mnist.y_test[:500]]
    right = sum(a == y for a, y in zip(answers, truth, strict=True))
    assert right >= 472 and answers.count("none") <= 17, (right, answers.count("none"))
