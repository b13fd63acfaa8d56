"""Seeded fuzzing of a model bundle: bit flips and truncations of every file, random edits of the
manifest, of the arrays and of the weights, with the hashes in the manifest rewritten after each edit
(so that the schema and value checks, not the hash check, must catch them).

Every case either loads and gives finite, valid answers on real digit images (probabilities that sum
to 1, decoded pixels in [0, 1], map places), or fails with one `BundleError` on one line; never any
other exception, never NaN. The manifest alone (what the home page reads) is also put through the
functions that describe it. Each test runs its cases and reports every failing one at once.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest

from bundle_edits import copy_bundle, edit_manifest, edit_npz, edit_weights, read_manifest, rehash
from conftest import ROOT
from latent import artifacts
from latent.bundle.model import LatentModel
from latent.errors import BundleError
from latent.figures import summary

SEED = 20261129
FILES = [
    "manifest.json",
    "autoencoder.safetensors",
    "mixture.npz",
    "single_mixture.npz",
    "map.npz",
    "calibration.npz",
    "map_inverse.npz",
]
NPZ_FILES = FILES[2:]
FLIPS_PER_FILE = 16
TRUNCATIONS_PER_FILE = 5
MANIFEST_EDITS = 160
ARRAY_EDITS = 60
WEIGHT_EDITS = 20


@pytest.fixture(scope="module")
def images(digits):
    """A few real digit images (uint8, 28x28), read once."""
    return digits.x_test[:6]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Hundreds of tiny forward passes: on a shared 2-core machine torch's second thread costs each one
    ~0.2 s of contention instead of ~5 ms."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------- judging one case


def problem(bundle, images) -> tuple[str | None, bool]:
    """(None when the damaged bundle behaves, else what went wrong; whether it was refused)."""
    manifest_problem = describe_manifest(bundle)
    if manifest_problem:
        return manifest_problem, False
    try:
        model = LatentModel.load(bundle)
    except BundleError as exc:
        return check_message(exc, bundle), True
    except Exception as exc:  # the finding this test exists for
        return f"load raised {type(exc).__name__}: {str(exc)[:200]}", False
    return use(model, images), False


def use(model, images) -> str | None:
    """None when a loaded model gives finite, valid answers (or refuses with one BundleError)."""
    from latent.bundle import map_inverse

    try:
        Z = model.encode(images)
        result = model.classify(Z, reject_below=model.threshold)
        decoded = model.decode(Z)
        xy = model.to_map(Z)
        rate = model.rejection_rate(model.threshold)
        inverse, grid = map_inverse.load(model)  # the map page: codes for clicked spots, the density grid
        spots = inverse.transform(np.concatenate([xy, [[1e6, -1e6]]]))
        spot_ll = model.classify(spots).max_log_likelihood
    except BundleError as exc:
        return check_message(exc, model.directory)
    except Exception as exc:
        return f"using the loaded model raised {type(exc).__name__}: {str(exc)[:200]}"
    if not (np.all(np.isfinite(result.proba)) and np.allclose(result.proba.sum(axis=1), 1.0, atol=1e-6)):
        return f"probabilities {result.proba.round(3).tolist()} are not finite shares"
    if not all(-1 <= label < model.n_classes for label in result.labels) or len(result.names) != len(images):
        return f"labels {result.labels.tolist()} are not classes"
    if not (np.all(np.isfinite(decoded)) and decoded.min() >= 0 and decoded.max() <= 1):
        return "decoded images are not finite pixels in [0, 1]"
    if not (np.all(np.isfinite(xy)) and np.all(np.isfinite(result.max_log_likelihood)) and math.isfinite(rate)):
        return "map places, likelihoods or the rejection rate are not finite"
    if not (
        np.all(np.isfinite(spots))
        and np.all(np.isfinite(spot_ll))
        and (grid is None or np.all(np.isfinite(grid.log_likelihood)))
    ):
        return "codes of map spots, their likelihoods or the density grid are not finite"
    return None


def check_message(exc: BundleError, bundle) -> str | None:
    message = str(exc)
    if "\n" in message or str(bundle) not in message or "rebuild it with" not in message:
        return f"BundleError message is not one line naming the bundle and the remedy: {message[:300]!r}"
    return None


def describe_manifest(bundle) -> str | None:
    """What the home page and the report do with a manifest that passed the schema must not raise."""
    try:
        manifest = artifacts.load_manifest(bundle, verify=False)
    except BundleError as exc:
        return check_message(exc, bundle)
    except Exception as exc:
        return f"reading the manifest raised {type(exc).__name__}: {str(exc)[:200]}"
    try:
        summary.headline_numbers(manifest)
        summary.manifest_facts(manifest)
        summary.bundle_label(manifest, bundle)
        summary.accuracy_table(manifest)
        summary.method_comparison({"a": manifest, "b": manifest})
        summary.ood_rows(manifest.get("evaluation", {}))
        summary.morph_rows(manifest.get("evaluation", {}))
        summary.file_table(manifest)
        summary.pipeline_diagram_html(manifest)
    except Exception as exc:
        return f"describing the manifest raised {type(exc).__name__}: {str(exc)[:200]}"
    return None


def run_cases(tiny_bundle, work, images, cases, prefix: str) -> None:
    """Apply each (label, damage) to a fresh copy; fail with every misbehaving case listed."""
    failures, refused = [], 0
    with np.errstate(over="ignore", invalid="ignore"):  # the damage itself overflows (1e300 cast to float16...)
        for i, (label, damage) in enumerate(cases):
            bundle = copy_bundle(tiny_bundle, work / f"{prefix}-{i}")
            damage(bundle)
            found, was_refused = problem(bundle, images)
            if found:
                failures.append(f"{label}: {found}")
            refused += was_refused
    assert not failures, "\n".join(failures)
    assert refused > len(cases) // 4  # the damage was real: many cases must be refused


# --------------------------------------------------------------------------- bytes


def flip(name: str, fraction: float, bit: int):
    def damage(bundle):
        path = bundle / name
        data = bytearray(path.read_bytes())
        data[min(int(fraction * len(data)), len(data) - 1)] ^= 1 << bit
        path.write_bytes(bytes(data))
        if name != "manifest.json":
            rehash(bundle)

    return damage


def truncate(name: str, fraction: float):
    def damage(bundle):
        path = bundle / name
        data = path.read_bytes()
        path.write_bytes(data[: int(fraction * len(data))])
        if name != "manifest.json":
            rehash(bundle)

    return damage


def test_bit_flips_and_truncations_of_every_file(tiny_bundle, work, images):
    rng = random.Random(SEED)
    cases = []
    for name in FILES:
        for _ in range(FLIPS_PER_FILE):
            # half the flips near the start, where headers (zip, .npy, safetensors JSON) live
            fraction = rng.random() * (0.05 if rng.random() < 0.5 else 1.0)
            bit = rng.randrange(8)
            cases.append((f"flip {name} at {fraction:.4f} bit {bit}", flip(name, fraction, bit)))
        for _ in range(TRUNCATIONS_PER_FILE):
            fraction = rng.choice([0.0, rng.random()])
            cases.append((f"truncate {name} to {fraction:.3f}", truncate(name, fraction)))
    run_cases(tiny_bundle, work, images, cases, "bytes")


# --------------------------------------------------------------------------- the manifest

BAD_VALUES = [
    None,
    True,
    "1",
    "",
    "x" * 5000,
    "a\nb",
    -5,
    0,
    10**12,
    -1e308,
    1e308,
    float("nan"),
    float("inf"),
    [],
    {},
    [1, 2],
    {"a": 1},
    "../../../etc/passwd",
    "[x](http://example.com)",
]
KEY_PATHS = [  # the fields the code reads, fuzzed more often than the rest
    ("schema_version",),
    ("files",),
    ("dataset",),
    ("dataset", "class_names"),
    ("dataset", "name"),
    ("config",),
    ("config", "autoencoder"),
    ("config", "autoencoder", "latent_dim"),
    ("config", "autoencoder", "hidden"),
    ("config", "autoencoder", "channels"),
    ("config", "autoencoder", "blocks"),
    ("config", "autoencoder", "image_size"),
    ("config", "mixture"),
    ("config", "mixture", "n_components"),
    ("config", "mixture", "covariance_type"),
    ("config", "mixture", "reg_covar"),
    ("config", "mixture", "class_prior"),
    ("config", "training"),
    ("config", "training", "joint_weight"),
    ("config", "training", "augment"),
    ("calibration",),
    ("calibration", "reject_below"),
    ("calibration", "val_rejection_rate"),
    ("metrics",),
    ("metrics", "test_accuracy"),
    ("metrics", "confusion_matrix"),
    ("metrics", "per_class_test_accuracy"),
    ("metrics", "writeup_test_accuracy"),
    ("metrics", "train_seconds"),
    ("history",),
    ("command",),
    ("name",),
    ("versions",),
]


def all_paths(node, prefix=()) -> list[tuple]:
    """Every (key or index) path into a JSON value, long lists sampled at their first entries."""
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += all_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            paths += all_paths(value, prefix + (i,))
    return paths


def at(manifest, path):
    node = manifest
    for key in path[:-1]:
        node = node[key]
    return node


def manifest_edit(rng: random.Random, paths: list[tuple]):
    """One random edit: a bad value, a deletion, a list for a dict, a path-traversal file name, class names
    cut short or repeated. Returns (label, damage)."""
    kind = rng.choice(["value", "value", "value", "delete", "listify", "files", "classes", "scale"])
    path = rng.choice(KEY_PATHS if rng.random() < 0.6 else paths)
    value = rng.choice(BAD_VALUES)
    if kind == "files":
        bad = rng.choice(
            [
                "../../../etc/passwd",
                "/etc/passwd",
                "sub/map.npz",
                ".hidden",
                "map.npz\n",
                "",
                "..",
                "C:\\x",
                "manifest.json",
            ]
        )
        victim = rng.choice(FILES[1:])

        def damage(m):
            files = m["files"]
            files[bad] = files.pop(victim) if rng.random() < 0.5 else dict(files[victim])

        return f"rename files[{victim}] to {bad!r}", damage
    if kind == "classes":
        how = rng.choice(["cut", "repeat", "add", "number", "empty", "long"])

        def damage(m):
            names = m["dataset"]["class_names"]
            {
                "cut": lambda: names.pop(),
                "repeat": lambda: names.__setitem__(1, names[0]),
                "add": lambda: names.append("extra"),
                "number": lambda: names.__setitem__(0, 0),
                "empty": lambda: names.__setitem__(0, " "),
                "long": lambda: names.__setitem__(0, "n" * 1000),
            }[how]()

        return f"class names: {how}", damage
    if kind == "scale":
        factor = rng.choice([-1, 1000, 1e6, 0.5])

        def damage(m):
            node = at(m, path)
            if (
                isinstance(node, dict)
                and isinstance(node.get(path[-1]), (int, float))
                and not isinstance(node.get(path[-1]), bool)
            ):
                node[path[-1]] = type(node[path[-1]])(node[path[-1]] * factor)

        return f"scale {'.'.join(map(str, path))} by {factor}", damage
    if kind == "delete":

        def damage(m):
            node = at(m, path)
            if isinstance(node, dict):
                node.pop(path[-1], None)
            elif isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
                node.pop(path[-1])

        return f"delete {'.'.join(map(str, path))}", damage
    if kind == "listify":

        def damage(m):
            node = at(m, path)
            old = node[path[-1]]
            node[path[-1]] = list(old.values()) if isinstance(old, dict) else [old]

        return f"list instead of {'.'.join(map(str, path))}", damage

    def damage(m):
        at(m, path)[path[-1]] = value

    return f"set {'.'.join(map(str, path))} to {str(value)[:40]!r}", damage


def test_random_manifest_edits(tiny_bundle, work, images):
    rng = random.Random(SEED + 1)
    paths = [p for p in all_paths(read_manifest(tiny_bundle)) if p]
    cases = []
    for _ in range(MANIFEST_EDITS):
        label, change = manifest_edit(rng, paths)
        cases.append((label, lambda bundle, change=change: edit_manifest(bundle, change)))
    for label, top in [("manifest is a list", []), ("manifest is text", "model"), ("manifest is null", None)]:
        cases.append((label, lambda bundle, top=top: (bundle / "manifest.json").write_text(json.dumps(top))))
    run_cases(tiny_bundle, work, images, cases, "manifest")


# --------------------------------------------------------------------------- arrays and weights


def array_edit(rng: random.Random):
    name = rng.choice(NPZ_FILES)
    kind = rng.choice(
        [
            "nan",
            "inf",
            "huge",
            "negate",
            "zero",
            "drop_key",
            "drop_row",
            "transpose",
            "int",
            "float16",
            "empty",
            "extra_dim",
        ]
    )
    pick = rng.random()

    def change(arrays):
        key = sorted(arrays)[int(pick * len(arrays))]
        a = arrays[key]
        if kind == "drop_key":
            del arrays[key]
        elif kind in ("nan", "inf", "huge", "negate", "zero") and a.size:
            a = a.astype(np.float64) if kind in ("nan", "inf") else a.copy()
            flat = a.reshape(-1)
            flat[int(pick * 7919) % a.size] = {
                "nan": np.nan,
                "inf": np.inf,
                "huge": 1e300 if a.dtype.kind == "f" else np.iinfo(a.dtype).max,
                "negate": -flat[0] - 1,
                "zero": 0,
            }[kind]
            arrays[key] = a
        elif kind == "drop_row" and a.ndim and len(a) > 1:
            arrays[key] = a[:-1]
        elif kind == "transpose" and a.ndim >= 2:
            arrays[key] = np.swapaxes(a, 0, 1)
        elif kind == "int":
            arrays[key] = a.astype(np.int64)
        elif kind == "float16":
            arrays[key] = a.astype(np.float16)
        elif kind == "empty":
            arrays[key] = a[:0]
        elif kind == "extra_dim":
            arrays[key] = a[None]

    return f"{name}: {kind} in array #{pick:.2f}", lambda bundle: edit_npz(bundle, name, change)


def weight_edit(rng: random.Random):
    kind = rng.choice(["nan", "huge", "negative_var", "drop", "rename", "reshape", "double"])
    pick = rng.random()

    def change(tensors):
        import torch

        names = sorted(tensors)
        key = names[int(pick * len(names))]
        if kind == "negative_var":
            key = next(n for n in names if n.endswith("running_var"))
        t = tensors[key]
        if kind in ("nan", "huge", "negative_var") and t.is_floating_point() and t.numel():
            t.view(-1)[int(pick * 7919) % t.numel()] = {"nan": float("nan"), "huge": 1e30, "negative_var": -1.0}[kind]
        elif kind == "drop":
            del tensors[key]
        elif kind == "rename":
            tensors[key + "_x"] = tensors.pop(key)
        elif kind == "reshape":
            tensors[key] = t.reshape(-1).clone()
        elif kind == "double":
            tensors[key] = t.to(torch.float64)

    return f"weights: {kind} at #{pick:.2f}", lambda bundle: edit_weights(bundle, change)


def test_random_array_and_weight_edits(tiny_bundle, work, images):
    rng = random.Random(SEED + 2)
    cases = [array_edit(rng) for _ in range(ARRAY_EDITS)] + [weight_edit(rng) for _ in range(WEIGHT_EDITS)]
    run_cases(tiny_bundle, work, images, cases, "arrays")


# --------------------------------------------------------------------------- the CLI


BROKEN_FOR_CLI = {
    "latent_dim -5": lambda b: edit_manifest(b, lambda m: m["config"]["autoencoder"].update(latent_dim=-5)),
    "NaN covariance": lambda b: edit_npz(
        b, "mixture.npz", lambda a: a["covariances"].__setitem__((0, 0, 0, 0), np.nan)
    ),
    "files as a list": lambda b: edit_manifest(b, lambda m: m.update(files=list(m["files"]))),
    "truncated map": truncate("map.npz", 0.5),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FOR_CLI))
def test_the_cli_says_one_line_and_exits_1_on_a_broken_bundle(tiny_bundle, tmp_path, images, case, capsys):
    from PIL import Image

    from latent.cli import main

    bundle = copy_bundle(tiny_bundle, tmp_path / "broken")
    BROKEN_FOR_CLI[case](bundle)
    image = tmp_path / "digit.png"
    Image.fromarray(images[0]).save(image)
    for argv in (
        ["classify", "--model", str(bundle), str(image)],
        ["classify", "--json", "--model", str(bundle), str(image)],
        ["evaluate", "--model", str(bundle)],
        ["info", "--model", str(bundle)],
    ):
        if argv[0] == "info" and case in ("NaN covariance", "truncated map"):
            continue  # info reads the manifest and the hashes only
        capsys.readouterr()
        assert main(argv) == 1, argv
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and out.err.startswith("error: "), (argv, out.err)
        assert "nan" not in out.out.lower(), out.out


def test_a_broken_bundle_in_a_real_process_prints_no_traceback(tiny_bundle, tmp_path):
    bundle = copy_bundle(tiny_bundle, tmp_path / "broken")
    BROKEN_FOR_CLI["NaN covariance"](bundle)
    result = subprocess.run(
        [sys.executable, "-m", "latent", "evaluate", "--model", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and "covariances" in result.stderr
