"""Cached computations behind the pages, keyed by model path + parameters.

Each function looks the (cached) model up by its path, calls into `latent/`, and returns arrays,
figures, or a small dataclass of them that the page reads by attribute (typed, so a misspelt field is
an error before anything runs), so a page rerun with the same parameters costs a dictionary lookup. Figures that
are large and only read (the map) use `st.cache_resource`, which shares one object instead of
copying a megabyte-sized figure on every rerun; everything else uses `st.cache_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from ui.common import load_model

LIGHT_MAP_POINTS = 3000  # background points on pages where the map is a backdrop, not the subject
# The Morph map is redrawn by the browser at every step of its slider: with 3,000 background points that
# took ~0.35 s of a step's ~0.5 s in chromium here (benchmarks/page_visits.py); 1,000 keep the islands.
MORPH_MAP_POINTS = 1000
MORPH_FRAMES = 11  # frames of the morph strip under the morph page's slider
SAMPLES_SHOWN = 16  # decoded samples shown per source on the sampling page, and per style on the map page
SAMPLES_SCORED = 500  # samples per source whose recognised share the sampling page reports
SHARE_SEED = 0  # the seed of those samples (the shares are the source's, whichever samples are shown)
SPOT_STRIDE = 2  # every other row and column of the 96 x 96 grid is clickable: 48 x 48 spots ~2 % of the map apart


@dataclass(frozen=True)
class MapInverseInfo:
    inverse: Any  # latent.bundle.map_inverse.MapInverse: map position -> latent code
    grid: Any  # latent.bundle.map_inverse.DensityGrid, or None for a bundle without one
    problem: str | None  # why the bundle's map_inverse.npz cannot be used, if it cannot
    extent: np.ndarray  # (4,): x0, x1, y0, y1 of the map
    spots: tuple  # (xs, ys) centres of the clickable spot grid


@dataclass(frozen=True)
class SpotSummary:
    image: np.ndarray  # (28, 28) the decoded code at the spot
    proba: np.ndarray  # (n_classes,) calibrated class probabilities
    label: int  # class index, -1 for "none"
    name: str  # class name or "none"
    log_likelihood: float  # best class log-likelihood (the latent test's score)
    nearest: int  # the nearest stored test image
    nearest_class: str


@dataclass(frozen=True)
class PointSummary:
    image: np.ndarray  # (28, 28) its decoded code
    true: str  # its true class
    predicted: str  # what the classifier says ("none" included)
    p: float  # the classifier's top probability


@dataclass(frozen=True)
class MorphData:
    morph: Any  # latent.explore.morph.Morph
    xy: np.ndarray  # (n_points, 2) the path on the map
    strip_images: np.ndarray  # (n_strip, 28, 28)
    strip_names: list[str]


@dataclass(frozen=True)
class MorphFigures:
    chart: dict  # figure dicts, for plots.from_spec
    map: dict
    csv: str


@dataclass(frozen=True)
class SampleShare:
    share: float  # recognised share (not "none")
    as_intended: float | None  # share recognised as the class sampled (None for the uniform box)
    n: int  # samples scored
    median_log_likelihood: float


@dataclass(frozen=True)
class WalkData:
    xy: np.ndarray  # (n_steps + 1, 2) the walk on the map
    frames: np.ndarray  # (n_frames, 28, 28)
    frame_steps: np.ndarray  # the step of each frame
    frame_names: list[str]  # what the classifier says of each frame
    log_density: np.ndarray  # log p(z | class) along the walk
    acceptance: float
    styles_visited: int  # the class's components that explain some point of the walk best
    style_changes: int  # steps at which that component changes


@dataclass(frozen=True)
class WalkFigures:
    frames: Any  # plotly figures
    map: Any
    density: Any


@dataclass(frozen=True)
class SimilarityData:
    kl: np.ndarray  # (n_classes, n_classes) KL(row || column), nats
    kl_err: np.ndarray
    entropy: np.ndarray  # (n_classes,) nats
    entropy_err: np.ndarray


@dataclass(frozen=True)
class SimilarityFigures:
    kl: Any
    entropy: Any
    kl_csv: str
    kl_err_csv: str
    confusion: Any = None  # without a stored confusion matrix: None
    confusion_csv: str | None = None


@dataclass(frozen=True)
class ReportFigures:  # each None when the manifest lacks what it shows
    confusion: Any = None
    confusion_csv: str | None = None
    per_class: Any = None
    history: Any = None
    sweep: Any = None
    sweep_command: str | None = None
    reliability: Any = None
    # the report's tables from the manifest alone (pandas DataFrames), each None when it has nothing to show
    accuracy: Any = None
    ood: Any = None
    junk_kinds: Any = None
    junk_digits: Any = None
    morphs: Any = None
    facts: Any = None
    files: Any = None


@dataclass(frozen=True)
class Reconstructions:
    originals: np.ndarray | None  # (n, 28, 28) test images, None without the dataset files
    reconstructions: np.ndarray  # (n, 28, 28) their reconstructions (or the stored codes decoded)


@st.cache_data(show_spinner="Decoding the map's thumbnails…", max_entries=4)
def map_thumbnails(path: str) -> list[str]:
    """A text thumbnail of the decoded code of every stored map point (for hover labels): stored in the
    bundle's map_inverse.npz since `train` / `latent map` write them, else decoded here (~5 s)."""
    from latent.bundle import map_inverse as mi
    from latent.errors import LatentError
    from latent.figures.plots import trim_thumbnails
    from latent.inputs.imaging import levels_text

    model = load_model(path)
    try:
        stored = mi.stored_thumbnails(model)
    except LatentError:
        stored = None  # the map page says what is wrong with map_inverse.npz; the hover pictures are decoded
    if stored is None:
        stored = levels_text(mi.point_thumbnails(model.map.codes, model.decode))
    return trim_thumbnails(stored)


@st.cache_resource(show_spinner=False, max_entries=4)
def map_inverse(path: str) -> MapInverseInfo:
    """The map's inverse (`latent.bundle.map_inverse`), its density grid (None for a bundle without one) and,
    when the bundle's map_inverse.npz cannot be used, why (the inverse then falls back to the default)."""
    from latent.bundle import map_inverse as mi
    from latent.errors import LatentError

    model = load_model(path)
    try:
        inverse, grid = mi.load(model)
        problem = None
    except LatentError as exc:
        inverse, grid, problem = mi.MapInverse().fit(model.map.coords, model.map.codes), None, str(exc)
    extent = grid.extent if grid is not None else mi.map_extent(model.map.coords)
    spots = grid.centres() if grid is not None else mi.grid_centres(extent, (mi.GRID_SIZE, mi.GRID_SIZE))
    return MapInverseInfo(inverse, grid, problem, extent, spots)


def spot_position(path: str, cell: int) -> tuple[float, float] | None:
    """Map position (x, y) of a cell of the map's clickable spot grid (None for a cell it does not have)."""
    xs, ys = map_inverse(path).spots
    if not 0 <= cell < len(xs) * len(ys):
        return None
    row, col = divmod(int(cell), len(xs))
    return float(xs[col]), float(ys[row])


@st.cache_data(max_entries=256, show_spinner=False)
def spot_summary(path: str, x: float, y: float) -> SpotSummary:
    """What the model makes of the spot (x, y) of the map: the code there, decoded and classified."""
    model = load_model(path)
    inverse = map_inverse(path).inverse
    z = inverse.transform([x, y])
    result = model.classify(z, reject_below=model.threshold)
    nearest = int(np.argmin(np.sum((model.map.coords - np.array([x, y], dtype=np.float32)) ** 2, axis=1)))
    return SpotSummary(
        image=model.decode(z)[0],
        proba=result.proba[0],
        label=int(result.labels[0]),
        name=result.names[0],
        log_likelihood=float(result.max_log_likelihood[0]),
        nearest=nearest,
        nearest_class=model.class_names[int(model.map_labels[nearest])],
    )


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def map_figure(
    path: str,
    *,
    ellipses: bool = True,
    thumbnails: bool = False,
    max_points: int | None = None,
    height: int = 560,
    points: bool = True,
    spots: bool = False,
    density: bool = False,
    webgl: bool = False,
):
    """The latent map of a model (shared, read-only, frozen: see `latent.figures.plots.freeze`).

    `spots` makes every spot of the map clickable; `density` shades it with the density grid (when the
    bundle has one); `webgl` draws points and spots with WebGL (see `latent.figures.plots.latent_map`)."""
    from latent.figures import plots

    model = load_model(path)
    inv = map_inverse(path) if spots or density else None
    fig = plots.latent_map(
        model.map.coords,
        model.map_labels,
        model.class_names,
        ellipses=plots.Ellipses.from_model(model) if ellipses else None,
        hover_images=map_thumbnails(path) if thumbnails and points else None,
        max_points=max_points,
        height=height,
        points=points,
        extent=tuple(inv.extent) if inv is not None else None,
        spots=inv.spots if inv is not None and spots else None,
        spot_stride=SPOT_STRIDE,
        density=inv.grid if inv is not None else None,
        shade=density,
        threshold=model.threshold,
        webgl=webgl,
    )
    # The Latent map page's own map (hover thumbnails: 1.4 MB) is encoded once; the light maps that the
    # other pages draw on (`map_markers`, `map_path`) stay plain dicts
    return plots.freeze(fig, encode=thumbnails)


@st.cache_data(max_entries=64, show_spinner=False)
def class_styles(path: str, class_index: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every style of a class, most common first (`styles_by_weight`): its component numbers (k,) and its
    decoded mean followed by n decoded samples (k, n + 1, H, W), the same draws as `component_images`
    but decoded in one batch (six small batches cost six network calls)."""
    from latent.explore.styles import styles_by_weight

    model = load_model(path)
    order = np.asarray(styles_by_weight(model.mixture, class_index), dtype=int)
    images = model.decode(np.concatenate([_style_codes(model, class_index, int(k), n, seed) for k in order]))
    return order, images.reshape(len(order), n + 1, *images.shape[1:])


def _style_codes(model, class_index: int, component: int, n: int, seed: int) -> np.ndarray:
    """A component's mean code followed by n codes drawn from it (n + 1, d): what a style shows."""
    c = model.mixture.classes_[class_index]
    _, means, _ = model.mixture.components(c)
    Z, _ = model.mixture.sample(c, n, component=component, random_state=seed)
    return np.concatenate([means[component][None], Z])


@st.cache_data(max_entries=256, show_spinner=False)
def component_images(path: str, class_index: int, component: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(decoded component mean (28, 28), n decoded samples (n, 28, 28)) of one mixture component."""
    model = load_model(path)
    images = model.decode(_style_codes(model, class_index, component, n, seed))
    return images[0], images[1:]


@st.cache_data(max_entries=64, show_spinner=False)
def point_summary(path: str, index: int) -> PointSummary:
    """A stored map point: its decoded code, true class, and what the classifier says."""
    model = load_model(path)
    z = model.map.codes[index]
    result = model.classify(z, reject_below=model.threshold)
    return PointSummary(
        image=model.decode(z)[0],
        true=model.class_names[int(model.map_labels[index])],
        predicted=result.names[0],
        p=float(result.proba[0].max()),
    )


@st.cache_resource(show_spinner="Linking the stored codes into a neighbour graph…", max_entries=4)
def code_graph(path: str):
    """The k-nearest-neighbour graph of the model's stored codes (dense morphs), built once per model."""
    from latent.explore.morph import code_graph as build

    return build(load_model(path))


@st.cache_data(max_entries=64, show_spinner=False)
def morph_data(
    path: str,
    source: int,
    source_style: int | None,
    target: int,
    target_style: int | None,
    dense: bool = False,
    n_points: int = 51,
    n_strip: int = MORPH_FRAMES,
) -> MorphData:
    """Everything about a morph that does not depend on the slider: the path, its classes, the strip."""
    from latent.explore.morph import endpoint, morph

    model = load_model(path)
    classes = model.mixture.classes_
    z0, z1 = (
        endpoint(model.mixture, classes[source], source_style),
        endpoint(model.mixture, classes[target], target_style),
    )
    path_morph = morph(
        model,
        z0,
        z1,
        n_points=n_points,
        reject_below=model.threshold,
        graph=code_graph(path) if dense else None,
        classes=(source, target),
    )
    strip_z = np.stack([path_morph.at(t) for t in np.linspace(0.0, 1.0, n_strip)])
    strip = model.classify(strip_z, reject_below=model.threshold)
    return MorphData(path_morph, model.to_map(path_morph.path), model.decode(strip_z), list(strip.names))


@st.cache_resource(max_entries=64, show_spinner=False)
def morph_figures(
    path: str, source: int, source_style: int | None, target: int, target_style: int | None, dense: bool = False
) -> MorphFigures:
    """The morph's chart and map as figure dicts without the slider's marks (shared, read-only): a slider
    move adds its line and star with `plots.from_spec` instead of rebuilding and validating both figures."""
    from latent.figures import plots

    model = load_model(path)
    data = morph_data(path, source, source_style, target, target_style, dense=dense)
    m, names = data.morph, model.class_names
    chart = plots.path_probabilities(m.t, m.proba, names, rejected=m.labels < 0, height=300)
    base = map_figure(path, ellipses=False, max_points=MORPH_MAP_POINTS, height=440)
    text = [f"t = {tt:.2f}: {model.label_name(lab)}" for tt, lab in zip(m.t, m.labels, strict=True)]
    on_map = plots.map_path(base, data.xy, name=f"{names[source]} → {names[target]}", color=plots.NEUTRAL, text=text)
    csv = _morph_csv(m, names, model.label_name)
    return MorphFigures(chart.to_dict(), on_map.to_dict(), csv)


def _morph_csv(m, names, label_name) -> str:
    from latent.figures.exports import table_csv

    header = ["t", *[f"p({n})" for n in names], "answer", "best class log-likelihood"]
    rows = [
        [round(float(t), 4), *[round(float(p), 6) for p in proba], label_name(int(lab)), round(float(ll), 4)]
        for t, proba, lab, ll in zip(m.t, m.proba, m.labels, m.max_log_likelihood, strict=True)
    ]
    return table_csv(header, rows)


@st.cache_data(max_entries=64, show_spinner=False)
def sample_images(path: str, source: str, seed: int, *, n_show: int = SAMPLES_SHOWN) -> np.ndarray:
    """(n_show, 28, 28) decoded samples of one source: what "Draw new samples" changes (seeded)."""
    from latent.explore.sampling import draw_samples

    model = load_model(path)
    return model.decode(draw_samples(model, source, n_show, random_state=seed).Z)


@st.cache_data(max_entries=16, show_spinner=False)
def sample_share(path: str, source: str, via_image: bool, *, n_score: int = SAMPLES_SCORED) -> SampleShare:
    """The recognised shares of one source, measured once on n_score samples of their own: a property of
    the source, not of the pictures shown (new pictures then only draw and decode a few codes)."""
    from latent.explore.sampling import draw_samples, recognise

    model = load_model(path)
    scored = draw_samples(model, source, n_score, random_state=SHARE_SEED)
    rec = recognise(model, scored, model.threshold, via_image=via_image)
    return SampleShare(
        share=rec.share,
        as_intended=rec.share_as_intended,
        n=n_score,
        median_log_likelihood=float(np.median(rec.best_log_likelihood)),
    )


@st.cache_data(max_entries=64, show_spinner="Tuning the walk's step…")
def walk_scale(path: str, class_index: int, method: str) -> float:
    """The proposal scale at which this sampler accepts its best share of moves on this class (once per model)."""
    from latent.explore.walks import tune_scale

    model = load_model(path)
    return tune_scale(model.mixture, model.mixture.classes_[class_index], method=method)


@st.cache_data(max_entries=32, show_spinner="Walking…")
def walk_data(
    path: str, class_index: int, n_steps: int, step_size: float, method: str, seed: int, max_frames: int = 40
) -> WalkData:
    """An MCMC walk on one class manifold: path on the map, frames to play, log density, acceptance.
    40 frames: one every 5 steps of the default walk (60 were decoded before, a third of a new walk's
    server time)."""
    from latent.explore.walks import mcmc_walk, styles_along

    model = load_model(path)
    walk = mcmc_walk(
        model.mixture,
        model.mixture.classes_[class_index],
        n_steps,
        step_size=step_size,
        scale=walk_scale(path, class_index, method),
        method=method,
        random_state=seed,
    )
    pick = np.unique(np.linspace(0, len(walk.path) - 1, min(max_frames, len(walk.path))).round().astype(int))
    frames = model.decode(walk.path[pick])
    names = model.classify(walk.path[pick], reject_below=model.threshold).names
    moved = np.concatenate([[True], np.any(np.diff(walk.path, axis=0) != 0, axis=1)])  # rejections repeat a point
    xy = model.to_map(walk.path[moved])[np.cumsum(moved) - 1]  # place each distinct point once
    styles = styles_along(model.mixture, model.mixture.classes_[class_index], walk.path)
    return WalkData(
        xy,
        frames,
        pick,
        list(names),
        walk.log_density,
        float(walk.acceptance_rate),
        len(set(styles.tolist())),
        int(np.count_nonzero(styles[1:] != styles[:-1])),
    )


@st.cache_resource(max_entries=32, show_spinner=False)
def walk_figures(path: str, class_index: int, n_steps: int, step_size: float, method: str, seed: int) -> WalkFigures:
    """The walk's animation, map and density chart (shared, read-only figures): built once per walk, not on
    every rerun of the page (the animation alone cost ~0.5 s a rerun under load)."""
    from latent.figures import plots

    model = load_model(path)
    walk = walk_data(path, class_index, n_steps, step_size, method, seed)
    labels = [f"step {s}" for s in walk.frame_steps]
    base = map_figure(path, ellipses=False, max_points=LIGHT_MAP_POINTS, height=420)
    name = model.class_names[class_index]
    return WalkFigures(
        frames=plots.frames_animation(walk.frames, labels, height=330),
        map=plots.map_path(base, walk.xy, name=f"walk in class {name}", color=plots.NEUTRAL),
        density=plots.log_density_trace(walk.log_density, threshold=model.threshold, height=200),
    )


@st.cache_data(max_entries=16, show_spinner="Estimating divergences…")
def similarity_data(path: str, method: str, n_samples: int) -> SimilarityData:
    """KL matrix and entropies (Monte Carlo with standard errors, or closed form)."""
    model = load_model(path)
    if method == "mc":
        kl = model.mixture.kl_matrix(n_samples=n_samples, random_state=0)
        ent = model.mixture.entropy(n_samples=n_samples, random_state=0)
    else:
        kl = model.mixture.kl_matrix(method="variational")
        ent = model.mixture.entropy(method="bound")
    return SimilarityData(kl.value, kl.stderr, ent.value, ent.stderr)


@st.cache_resource(max_entries=16, show_spinner=False)
def similarity_figures(path: str, method: str, n_samples: int) -> SimilarityFigures:
    """The Class similarity page's figures and CSV files (shared, read-only), built once per estimate."""
    from latent.figures import plots
    from latent.figures.exports import matrix_csv

    model = load_model(path)
    names = model.class_names
    data = similarity_data(path, method, n_samples)
    figures = dict(
        kl=plots.kl_heatmap(data.kl, data.kl_err, names, height=430),
        entropy=plots.entropy_chart(data.entropy, data.entropy_err, names, height=260),
        kl_csv=matrix_csv(data.kl, names, names, corner="KL(row || column), nats"),
        kl_err_csv=matrix_csv(data.kl_err, names, names, corner="standard error, nats"),
    )
    confusion = np.asarray(model.metrics.get("confusion_matrix", []), dtype=float)
    if confusion.shape == (len(names), len(names)):
        figures["confusion"] = plots.confusion_heatmap(confusion, names, hide_diagonal=True, height=430)
        figures["confusion_csv"] = matrix_csv(confusion.astype(int), names, names, corner="true \\ predicted")
    return SimilarityFigures(**figures)


@st.cache_resource(max_entries=8, show_spinner=False)
def report_figures(path: str) -> ReportFigures:
    """The Model report's figures and CSV files from the manifest (shared, read-only), built once per model:
    its sweep curves alone cost ~350 ms a rerun under load."""
    from latent.figures import plots
    from latent.figures.exports import matrix_csv
    from latent.workflows.sweep import read_sweep
    from ui.common import ASSETS

    model = load_model(path)
    names, metrics, manifest = model.class_names, model.metrics, model.manifest
    out = {}
    cm = metrics.get("confusion_matrix")
    if cm:
        out["confusion"] = plots.confusion_heatmap(cm, names, height=420)
        out["confusion_csv"] = matrix_csv(np.asarray(cm, dtype=int), names, names, corner="true \\ predicted")
    if metrics.get("per_class_test_accuracy"):
        out["per_class"] = plots.accuracy_chart(metrics["per_class_test_accuracy"], height=420)
    if manifest.get("history"):
        out["history"] = plots.training_curves(manifest["history"], height=280)
    dataset = manifest.get("dataset", {}).get("name")
    plain = isinstance(dataset, str) and dataset == Path(dataset).name and dataset[:1] != "."
    sweep = read_sweep(ASSETS / "sweeps" / f"{dataset}.json") if plain else None  # never a path outside
    if sweep:
        out["sweep"], out["sweep_command"] = plots.sweep_curves(sweep["rows"]), sweep.get("command", "?")
    reliability = metrics.get("test_reliability")
    if reliability:
        out["reliability"] = plots.freeze(
            plots.reliability_diagram(
                {"likelihoods alone": reliability["uncalibrated"], "with the temperature": reliability["calibrated"]}
            )
        )
    return ReportFigures(**out, **_report_tables(manifest))


def _report_tables(manifest: dict) -> dict:
    """The report's tables that depend on the manifest only, as DataFrames (pandas costs ~10 ms a rerun)."""
    import pandas as pd

    from latent.figures import summary
    from latent.text import escape_markdown

    def frame(rows, index: str):
        return pd.DataFrame(rows).set_index(index) if rows else None

    accuracy = pd.DataFrame(
        [
            {k: (v if k == "model" else "–" if v is None else f"{100 * v:.2f}%") for k, v in r.items()}
            for r in summary.accuracy_table(manifest)
        ]
    ).set_index("model")
    accuracy.index.name = None
    evaluation = manifest.get("evaluation", {})
    kinds, digit_sets = summary.junk_rows(evaluation["junk"]) if evaluation.get("junk") else ([], [])
    facts = [(label, escape_markdown(value)) for label, value in summary.manifest_facts(manifest)]  # cells: Markdown
    return {
        "accuracy": accuracy,
        "ood": frame(summary.ood_rows(evaluation), "score"),
        "junk_kinds": frame(kinds, "kind"),
        "junk_digits": frame(digit_sets, "digits"),
        "morphs": frame(summary.morph_rows(evaluation), "path"),
        "facts": pd.DataFrame(facts, columns=["", "value"]).set_index(""),
        "files": pd.DataFrame(summary.file_table(manifest)),
    }


@st.cache_data(max_entries=8, show_spinner="Reading test images…")
def test_reconstructions(path: str, n: int = 12) -> Reconstructions:
    """n test images of the map with their reconstructions; originals are None without the dataset files."""
    from latent.errors import LatentError

    model = load_model(path)
    info = model.manifest.get("dataset", {})
    dataset, source = info.get("name"), info.get("source")
    originals = None
    try:
        test_index = _map_test_index(model)
        if test_index is not None and dataset:
            from latent.inputs.data import load_dataset

            # Where the bundle was trained from (if that folder is still here), else the usual places.
            data_dir = source if source and Path(source).is_dir() else None
            ds = load_dataset(dataset, data_dir, download=False, progress=False)
            if ds.class_names == model.class_names and test_index.max() < len(ds.x_test):
                originals = ds.x_test[test_index[:n]].astype(np.float32) / 255.0
    except (LatentError, OSError, ValueError, ImportError):
        originals = None
    if originals is not None:
        return Reconstructions(originals, model.decode(model.encode(originals)))
    return Reconstructions(None, model.decode(model.map.codes[:n]))


def _map_test_index(model):
    from latent import artifacts

    data = artifacts.read_npz(model.directory, model.manifest, "map.npz")
    return data.get("test_index")
