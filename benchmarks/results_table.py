"""Print README's results table from the shipped bundles' manifests (metrics + stored evaluations).

    python benchmarks/results_table.py

Every figure comes from a manifest written by `python -m latent train` (metrics) or
`python -m latent evaluate ... --save` (evaluation), so the table can be regenerated after a rebuild
and pasted into README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["mnist", "fashion-mnist", "mnist-joint", "fashion-mnist-joint"]
WRITEUP = {"mnist": 0.9766, "fashion-mnist": 0.8538}


def load(name: str) -> dict | None:
    path = ROOT / "assets" / name / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def fmt(value, digits=4, pct=False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.2f} %" if pct else f"{value:.{digits}f}"


def main() -> int:
    bundles = {name: load(name) for name in COLUMNS}
    bundles = {k: v for k, v in bundles.items() if v is not None}
    if not bundles:
        print("no bundles under assets/", file=sys.stderr)
        return 1

    def m(name, key):
        return bundles[name].get("metrics", {}).get(key)

    def e(name, key):
        return bundles[name].get("evaluation", {}).get(key)

    def mse_change(name):
        base = bundles.get(name.removesuffix("-joint"))
        if not name.endswith("-joint") or base is None:
            return "–"
        change = m(name, "test_reconstruction_mse") / base["metrics"]["test_reconstruction_mse"] - 1
        return f"{100 * change:+.0f} %"

    def shaped(name):
        training = bundles[name]["config"]["training"]
        if not training.get("joint_weight"):
            return ""
        return f" ({training.get('joint_dims') or 'all'})"

    rows = [
        ("original write-up, test accuracy", lambda n: fmt(WRITEUP.get(n.removesuffix("-joint")))),
        ("**test accuracy** (per-class mixtures)", lambda n: f"**{fmt(m(n, 'test_accuracy'))}**"),
        ("train accuracy", lambda n: fmt(m(n, "train_accuracy"))),
        ("one mixture for all classes, test accuracy", lambda n: fmt(m(n, "single_mixture_test_accuracy"))),
        ("test reconstruction MSE", lambda n: fmt(m(n, "test_reconstruction_mse"))),
        ("test reconstruction MSE vs the two-stage bundle", lambda n: mse_change(n)),
        (
            "latent size (shaped by the class term) / epochs",
            lambda n: (
                f"{bundles[n]['config']['autoencoder']['latent_dim']}"
                f"{shaped(n)} / {bundles[n]['config']['training']['epochs']}"
            ),
        ),
        ("training time, whole `train` (2-core CPU)", lambda n: f"{m(n, 'train_seconds'):.0f} s"),
        ("OOD AUROC, likelihood score", lambda n: fmt(e(n, "ood_auroc_likelihood"))),
        ("OOD AUROC, reconstruction score", lambda n: fmt(e(n, "ood_auroc_reconstruction"))),
        ("OOD AUROC, combined score", lambda n: fmt(e(n, "ood_auroc_combined"))),
        ("OOD AUROC, pixel likelihood (decoder cross-entropy)", lambda n: fmt(e(n, "ood_auroc_pixel_likelihood"))),
        ("**OOD AUROC, typicality score** (`ood_auroc`)", lambda n: f"**{fmt(e(n, 'ood_auroc_typicality'))}**"),
        (
            "foreign images answered “none” by the latent test alone",
            lambda n: fmt(e(n, "ood_rejected_at_threshold"), pct=True),
        ),
        (
            "own test images answered “none” by the latent test alone",
            lambda n: fmt(e(n, "test_rejected_at_threshold"), pct=True),
        ),
        (
            "own test images answered “none” (every test of its rule)",
            lambda n: fmt((e(n, "junk") or {}).get("test", {}).get("none"), pct=True),
        ),
        (
            "probability temperature / test calibration error (ECE) before → after",
            lambda n: (
                "–"
                if m(n, "temperature") is None
                else f"{m(n, 'temperature'):.2f} / {100 * m(n, 'test_ece_uncalibrated'):.1f} % → "
                f"{100 * m(n, 'test_ece'):.1f} %"
            ),
        ),
        ("sample fidelity (independent CNN)", lambda n: fmt(e(n, "sample_fidelity"))),
        (
            "test accuracy with BIC-chosen components (1-10 per class) instead of 6",
            lambda n: fmt(e(n, "components_auto_test_accuracy")),
        ),
        (
            "morph frames clearly source or target: straight / dense",
            lambda n: (
                f"{fmt(e(n, 'morph_straight_confident_share'), 3)} / {fmt(e(n, 'morph_dense_confident_share'), 3)}"
            ),
        ),
        (
            "morph mean best log-likelihood: straight / dense",
            lambda n: f"{fmt(e(n, 'morph_straight_log_likelihood'), 1)} / {fmt(e(n, 'morph_dense_log_likelihood'), 1)}",
        ),
    ]
    names = list(bundles)
    print("| | " + " | ".join(f"`assets/{n}`" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, get in rows:
        print(f"| {label} | " + " | ".join(get(n) for n in names) + " |")
    print_junk_tables(bundles)
    for sweep_path in sorted((ROOT / "assets" / "sweeps").glob("*.json")):
        doc = json.loads(sweep_path.read_text())
        print(
            f"\nLatent-size sweep, {doc['dataset']} ({doc['config']['training']['epochs']} epochs per size; "
            f"`{doc['command']}`):\n"
        )
        print(
            "| latent size | test accuracy | reconstruction MSE | mean log-likelihood per dimension | sample fidelity |"
        )
        print("|---:|---:|---:|---:|---:|")
        for r in doc["rows"]:
            print(
                f"| {r['latent_dim']} | {fmt(r['test_accuracy'])} | {fmt(r['test_reconstruction_mse'])} | "
                f"{fmt(r['test_mean_log_likelihood'], 2)} | {fmt(r.get('sample_fidelity'))} |"
            )
    return 0


def print_junk_tables(bundles: dict) -> None:
    """`evaluate --junk --save` results: share answered "none" per generated kind (the bundle's rule / its
    detector retrained without that kind), then digits as people write them (read right / refused)."""
    junk = {n: b["evaluation"]["junk"] for n, b in bundles.items() if "junk" in b.get("evaluation", {})}
    if not junk:
        return
    names = list(junk)
    pct = lambda v: "–" if v is None else f"{100 * v:.0f} %"  # noqa: E731
    epochs = sorted({j.get("leave_out_epochs") for j in junk.values() if j.get("leave_out_epochs")})
    retrained = f", retrained for {'/'.join(map(str, epochs))} epochs" if epochs else ""
    print(
        f"\nAnswered “none” (the bundle's rule / the same rule with its detector, and for a combined test its "
        f"weights, fitted without that kind's family{retrained}):\n"
    )
    print("| input kind | " + " | ".join(f"`{n}`" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    kinds = list(dict.fromkeys(k for n in names for k in junk[n]["junk"]))
    for kind in kinds:
        cells = []
        for n in names:
            r = junk[n]["junk"].get(kind)
            cells.append(
                "–"
                if r is None
                else pct(r["none"]) + ("" if r.get("none_left_out") is None else f" / {pct(r['none_left_out'])}")
            )
        print(f"| {kind} | " + " | ".join(cells) + " |")
    digit_names = [n for n in names if junk[n]["digits"]]
    if not digit_names:
        return
    print("\nDigits as people write them (read right / answered “none”):\n")
    print("| digit set | " + " | ".join(f"`{n}`" for n in digit_names) + " |")
    print("|---|" + "---:|" * len(digit_names))
    for name in dict.fromkeys(k for n in digit_names for k in junk[n]["digits"]):
        cells = [
            ("–" if (r := junk[n]["digits"].get(name)) is None else f"{pct(r['correct'])} / {pct(r['none'])}")
            for n in digit_names
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "| own test images | "
        + " | ".join(
            f"{100 * junk[n]['test']['accuracy']:.2f} % / {100 * junk[n]['test']['none']:.2f} %" for n in digit_names
        )
        + " |"
    )


if __name__ == "__main__":
    sys.exit(main())
