"""What a bundle's manifest says, in the words the dashboard shows: headline numbers, tables, a diagram.

Everything here reads the manifest dict only (`latent.artifacts.load_manifest(dir, verify=False)`),
so the home page can describe a model without importing torch, scikit-learn or even numpy maths.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from latent.inputs.preprocess import SIZE
from latent.text import escape_markdown


@dataclass
class Headline:
    """One number for the home page: label, formatted value, optional delta and help text."""

    label: str
    value: str
    delta: str | None = None
    help: str | None = None


def dataset_title(manifest: dict) -> str:
    names = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "scikit-learn digits"}
    name = manifest.get("dataset", {}).get("name", "?")
    return names.get(name, name)


def bundle_label(manifest: dict, path: str | Path) -> str:
    """Short name for a model picker: 'mnist · 16-d', 'my-shapes · folder · 8-d'. The dataset is named only
    when the bundle's name does not say it already: 'fashion-mnist-joint (Fashion-MNIST, 80-d)' was cut
    in the sidebar of a 400 px phone."""
    latent = manifest.get("config", {}).get("autoencoder", {}).get("latent_dim")
    name = str(manifest.get("name") or Path(path).name)
    dataset = str(manifest.get("dataset", {}).get("name", ""))
    parts = [name]
    if dataset and dataset.lower() not in name.lower():
        parts.append(dataset_title(manifest))
    if latent:
        parts.append(f"{latent}-d")
    return " · ".join(parts)


def unique_labels(labels: dict[str, str]) -> dict[str, str]:
    """{path: label} with no label twice: Streamlit keys a selectbox's choice by its label, so two
    bundles shown alike would be one choice. A repeated label gets its folder ('parent/name'), and
    if that is still repeated, the full path."""
    out = dict(labels)
    for describe in (lambda p: f"{Path(p).parent.name}/{Path(p).name}", str):
        seen = Counter(out.values())
        out = {p: f"{label} · {describe(p)}" if seen[label] > 1 else label for p, label in out.items()}
    return out


def components_per_class(manifest: dict) -> str:
    n = manifest.get("config", {}).get("mixture", {}).get("n_components")
    return "chosen by BIC" if n == "auto" else str(n) if n is not None else "?"


def _pct(x) -> str:
    return "–" if x is None else f"{100 * float(x):.2f}%"


def headline_numbers(manifest: dict) -> list[Headline]:
    """The few numbers that say how good a model is, with the write-up's figure as the delta."""
    m = manifest.get("metrics", {})
    cfg = manifest.get("config", {})
    out = []
    acc, ref = m.get("test_accuracy"), m.get("writeup_test_accuracy")
    delta = None if acc is None or ref is None else f"{100 * (acc - ref):+.2f} pts vs write-up ({_pct(ref)})"
    out.append(
        Headline(
            "Test accuracy", _pct(acc), delta, "Share of test images whose most likely class mixture is the true class."
        )
    )
    single = m.get("single_mixture_test_accuracy")
    out.append(
        Headline(
            "One mixture for all classes",
            _pct(single),
            None,
            "Baseline: one Gaussian mixture fitted without labels, its components labelled afterwards.",
        )
    )
    mse = m.get("test_reconstruction_mse")
    out.append(
        Headline(
            "Reconstruction error",
            "–" if mse is None else f"{mse:.4f}",
            None,
            "Mean squared pixel error of decode(encode(image)) on test images (pixels in 0..1).",
        )
    )
    latent = cfg.get("autoencoder", {}).get("latent_dim")
    out.append(
        Headline(
            "Latent size",
            "–" if latent is None else f"{latent} numbers",
            None,
            "Each image is compressed to this many numbers by the encoder.",
        )
    )
    out.append(
        Headline(
            "Styles per class",
            components_per_class(manifest),
            None,
            "Gaussian components in each class's mixture: each one is a 'style' of the class.",
        )
    )
    rate = manifest.get("calibration", {}).get("val_rejection_rate")
    out.append(
        Headline(
            "Answered “none” (validation)",
            "–" if rate is None else f"{rate:.1%}",
            None,
            "The 'none' threshold is set so that this share of validation images is refused: an "
            "image whose best class log-likelihood is below it gets the answer 'none'. The model's other "
            "tests, where it has them, refuse a few more (Model report).",
        )
    )
    return out


def accuracy_table(manifest: dict) -> list[dict]:
    """Rows comparing this model with the original write-up: method, split, accuracy (or None)."""
    m = manifest.get("metrics", {})
    rows = [
        {
            "model": "one mixture per class (this model)",
            "train": m.get("train_accuracy"),
            "validation": m.get("val_accuracy"),
            "test": m.get("test_accuracy"),
        },
        {
            "model": "one mixture for all (this model)",
            "train": m.get("single_mixture_train_accuracy"),
            "validation": None,
            "test": m.get("single_mixture_test_accuracy"),
        },
    ]
    if m.get("writeup_test_accuracy") is not None:
        rows.append(
            {"model": "original write-up", "train": None, "validation": None, "test": m.get("writeup_test_accuracy")}
        )
    return rows


def training_method(manifest: dict) -> str:
    config = manifest.get("config", {})
    w = config.get("training", {}).get("joint_weight") or 0
    if not w:
        return "two-stage (autoencoder without labels)"
    dims = config.get("training", {}).get("joint_dims") or 0
    latent = config.get("autoencoder", {}).get("latent_dim")
    where = f" on {dims} of {latent} dimensions" if dims and latent and dims < latent else ""
    return f"joint (class term weight {w:g}{where})"


def augmentation(manifest: dict) -> str:
    """How the training images were changed, and what the decoder had to give back."""
    training = manifest.get("config", {}).get("training", {})
    if not training.get("denoise", False):
        return "none"
    aug = training.get("augment", {})
    kinds = [
        name
        for name, on in (
            ("mirror", aug.get("hflip_p")),
            ("rotation", aug.get("rotate_deg")),
            ("scale", aug.get("scale")),
            ("width/height stretch", aug.get("aspect")),
            ("shear", aug.get("shear")),
            ("shift", aug.get("shift_px")),
            ("stroke thickness", aug.get("thickness_p")),
            ("low resolution", aug.get("lowres_p")),
        )
        if on
    ]
    what = ", ".join(kinds) or "changed copies"
    if training.get("target", "clean") == "augmented":
        return f"{what}; copies redrawn as they are"
    return f"{what}; denoising (copies redrawn clean)"


def method_comparison(manifests: dict[str, dict]) -> list[dict]:
    """One row per measure, one column per bundle (name -> manifest): two-stage vs joint side by side."""
    measures = [
        ("training", lambda m: training_method(m)),
        ("augmentation", augmentation),
        ("test accuracy", lambda m: _pct(m.get("metrics", {}).get("test_accuracy"))),
        ("test reconstruction MSE", lambda m: _num(m.get("metrics", {}).get("test_reconstruction_mse"), 4)),
        ("training time", lambda m: _num(m.get("metrics", {}).get("train_seconds"), 0, " s")),
        ("OOD AUROC (typicality)", lambda m: _num(m.get("evaluation", {}).get("ood_auroc"), 4)),
        ("OOD AUROC (likelihood)", lambda m: _num(m.get("evaluation", {}).get("ood_auroc_likelihood"), 4)),
        ("sample fidelity", lambda m: _pct(m.get("evaluation", {}).get("sample_fidelity"))),
    ]
    return [{"measure": label, **{name: get(m) for name, m in manifests.items()}} for label, get in measures]


def _num(x, digits: int, unit: str = "") -> str:
    return "–" if x is None else f"{float(x):.{digits}f}{unit}"


def ood_rows(evaluation: dict) -> list[dict]:
    """The out-of-distribution results of a stored evaluation, one row per score."""
    if "ood_auroc" not in evaluation:
        return []
    return [
        {"score": "likelihood: max class log p(z | class)", "AUROC": _num(evaluation["ood_auroc_likelihood"], 4)},
        {"score": "reconstruction error", "AUROC": _num(evaluation["ood_auroc_reconstruction"], 4)},
        {
            "score": "combined (both, standardised on validation)",
            "AUROC": _num(evaluation.get("ood_auroc_combined", evaluation["ood_auroc"]), 4),
        },
        {
            "score": "pixel likelihood log p(x | z) (what deep generative models report)",
            "AUROC": _num(evaluation.get("ood_auroc_pixel_likelihood"), 4),
        },
        {
            "score": "typicality (a Gaussian over four image statistics, fitted on validation)",
            "AUROC": _num(evaluation.get("ood_auroc_typicality"), 4),
        },
    ]


def ood_caption(evaluation: dict) -> str:
    """What the out-of-distribution table shows for this model, in a sentence or three."""
    text = (
        "AUROC: the chance that a random own image scores as more typical than a random foreign one "
        "(1 = perfect separation, 0.5 = chance). Likelihoods of deep generative models famously rank "
        "simple foreign images *above* their own data (AUROC ≈ 0.1 for Fashion-MNIST models on MNIST, "
        "Nalisnick et al. 2019)."
    )
    pixel = evaluation.get("ood_auroc_pixel_likelihood")
    if pixel is not None and pixel < 0.5:
        text += (
            " The *pixel likelihood* row shows it happen here too; this model's latent likelihood does not fall for it."
        )
    elif pixel is not None:
        text += (
            " Here the foreign images are no simpler than the model's own, so even the *pixel likelihood* "
            "separates them; the failure shows when a model meets simpler images than its own (a "
            "Fashion-MNIST model facing digits)."
        )
    if evaluation.get("ood_auroc_typicality") is not None:
        text += (
            " The *typicality* score (how ordinary an image's likelihood, reconstruction error and complexity "
            "are together, fitted on the model's own validation images only) is the one fixed in advance "
            "for both directions."
        )
    return text


def morph_rows(evaluation: dict) -> list[dict]:
    if "morph_pairs" not in evaluation:
        return []
    e = evaluation
    return [
        {
            "path": "straight line",
            "mean best log-likelihood per frame": _num(e["morph_straight_log_likelihood"], 2),
            "frames clearly source or target": _pct(e["morph_straight_confident_share"]),
        },
        {
            "path": "through the data",
            "mean best log-likelihood per frame": _num(e["morph_dense_log_likelihood"], 2),
            "frames clearly source or target": _pct(e["morph_dense_confident_share"]),
        },
    ]


def manifest_facts(manifest: dict) -> list[tuple[str, str]]:
    """(label, value) pairs describing where a bundle came from, for the report page."""
    ds = manifest.get("dataset", {})
    cfg = manifest.get("config", {})
    ae, mix, train = cfg.get("autoencoder", {}), cfg.get("mixture", {}), cfg.get("training", {})
    m = manifest.get("metrics", {})
    facts = [
        (
            "dataset",
            f"{dataset_title(manifest)} — {ds.get('n_train', '?')} train / {ds.get('n_val', '?')} validation "
            f"/ {ds.get('n_test', '?')} test images",
        ),
        ("classes", ", ".join(map(str, ds.get("class_names", [])))),
        ("data source", str(ds.get("source", "?"))),
        (
            "autoencoder",
            f"latent {ae.get('latent_dim', '?')}, conv channels {ae.get('channels', '?')}, "
            f"hidden {ae.get('hidden', '?')}",
        ),
        (
            "training",
            f"{train.get('epochs', '?')} epochs, batch {train.get('batch_size', '?')}, "
            f"lr {train.get('lr', '?')}, seed {train.get('seed', '?')}",
        ),
        (
            "mixtures",
            f"{components_per_class(manifest)} components per class, {mix.get('covariance_type', '?')} "
            f"covariance, {mix.get('class_prior', '?')} class prior",
        ),
        (
            "“none” threshold",
            f"{manifest.get('calibration', {}).get('reject_below', float('nan')):.2f} (max class log-likelihood)",
        ),
        ("map points", str(cfg.get("map", {}).get("n_points", "?"))),
        ("trained in", f"{m['train_seconds']:.0f} s" if "train_seconds" in m else "?"),
        ("created", str(manifest.get("created", "?"))),
        ("built by", str(manifest.get("command", "?"))),
        ("versions", ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())),
    ]
    return facts


def file_table(manifest: dict) -> list[dict]:
    """One row per bundle file: name, size, SHA-256 (shortened)."""
    return [
        {"file": name, "size": _size(info.get("bytes", 0)), "sha256": str(info.get("sha256", ""))[:16] + "…"}
        for name, info in manifest.get("files", {}).items()
    ]


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def pipeline_diagram_html(manifest: dict | None = None) -> str:
    """The method as a row of boxes and arrows (HTML/CSS, wraps on narrow screens).

    image → encoder → latent z → one Gaussian mixture per class (→ class / "none") → decoder → image
    """
    latent = (manifest or {}).get("config", {}).get("autoencoder", {}).get("latent_dim", "d")
    k = components_per_class(manifest or {}) if manifest else "k"
    n_classes = len((manifest or {}).get("dataset", {}).get("class_names", [])) or "C"
    boxes = [
        ("image", f"{SIZE}×{SIZE} pixels", "img"),
        ("encoder", "a neural network", "net"),
        ("latent code z", f"{latent} numbers", "z"),
        ("a mixture per class", f"{n_classes} × {k} styles → class or “none”", "gmm"),
        ("decoder", "the way back", "net"),
        ("image", "rebuilt or brand new", "img"),
    ]
    parts = []
    for i, (title, sub, kind) in enumerate(boxes):
        if i:
            parts.append('<div class="le-arrow">→</div>')
        parts.append(f'<div class="le-box le-{kind}"><b>{html.escape(title)}</b><span>{html.escape(sub)}</span></div>')
    style = (
        "<style>"
        ".le-flow{display:flex;flex-wrap:wrap;align-items:center;gap:4px;margin:4px 0 8px 0}"
        ".le-box{border-radius:10px;padding:6px 10px;display:flex;flex-direction:column;"
        "border:1px solid rgba(128,128,128,.35);background:rgba(128,128,128,.06);font-size:0.85rem;line-height:1.25}"
        ".le-box span{font-size:0.72rem;opacity:.75}"
        ".le-z{background:rgba(76,120,168,.14);border-color:rgba(76,120,168,.6)}"
        ".le-gmm{background:rgba(245,133,24,.13);border-color:rgba(245,133,24,.6)}"
        ".le-arrow{font-size:1.2rem;opacity:.6}"
        "</style>"
    )
    return style + '<div class="le-flow">' + "".join(parts) + "</div>"


def junk_rows(junk: dict) -> tuple[list[dict], list[dict]]:
    """`evaluate --junk` results as two tables: foreign kinds answered "none", digit sets read right."""
    kinds = [
        {
            "kind": escape_markdown(kind),
            "inputs": r.get("n"),
            "answered “none”": _pct(r.get("none")),
            "… detector trained without its family": _pct(r.get("none_left_out")),
        }
        for kind, r in junk.get("junk", {}).items()
    ]
    digits = [
        {
            "digits": escape_markdown(name),
            "inputs": r.get("n"),
            "read right": _pct(r.get("correct")),
            "refused (“none”)": _pct(r.get("none")),
        }
        for name, r in junk.get("digits", {}).items()
    ]
    return kinds, digits


def _other_tests(calibration: dict) -> list[str]:
    """One `info` line per "none" test beyond the latent one: its threshold, the share of validation
    images it refuses, and its threshold for pictures that fill a small square where it has one."""
    from latent.bundle.rejection import NoneRule

    rule = NoneRule.from_calibration(calibration)
    rates = calibration.get("rates") or {}
    lines = []
    for test in rule.tests[1:]:
        share = f" ({100 * rates[test.score]:g}% of validation images)" if test.score in rates else ""
        own = rule.filled_square.get(test.score)
        square = "" if own is None else f"; {own:.2f} for pictures that fill a small square"
        side = "below" if test.fails_below else "above"
        lines.append(f"{test.score:<13} 'none' {side} {test.threshold:.2f}{share}{square}")
    return lines


def describe_bundle(manifest: dict, path: str | Path) -> str:
    """`python -m latent info`: a bundle's dataset, config, metrics and files, one line each.

    `manifest` has been checked against latent.schema (artifacts.load_manifest): the fields read here exist.
    """
    m, ds, cfg = manifest.get("metrics", {}), manifest["dataset"], manifest["config"]
    calibration = manifest["calibration"]

    def num(d: dict, key: str, spec: str = ".4f") -> str:
        return "?" if d.get(key) is None else format(d[key], spec)

    lines = [
        f"bundle        {path} (schema {manifest['schema_version']}, created {manifest.get('created')})",
        f"dataset       {ds['name']}: {', '.join(ds['class_names'])}",
        f"autoencoder   latent size {cfg['autoencoder']['latent_dim']}, "
        f"{cfg.get('training', {}).get('epochs', '?')} epochs",
        f"mixtures      {cfg['mixture']['n_components']} components per class, "
        f"{cfg['mixture'].get('covariance_type', 'full')} covariance",
    ]
    if m:
        lines += [
            f"accuracy      train {num(m, 'train_accuracy')}, test {num(m, 'test_accuracy')} "
            f"(one mixture for all: {num(m, 'single_mixture_test_accuracy')})",
            f"recon. mse    test {num(m, 'test_reconstruction_mse')}",
        ]
    lines.append(
        f"'none' below  {calibration['reject_below']:.2f} "
        f"({num(calibration, 'val_rejection_rate', '.1%')} of validation images)"
    )
    lines += _other_tests(calibration)
    lines += [f"built by      {manifest.get('command')}", "files:"]
    lines += [
        f"  {name:<28}{f['bytes'] / 1024:>8.0f} KiB  sha256 {f['sha256'][:16]}..."
        for name, f in manifest["files"].items()
    ]
    return "\n".join(lines)
