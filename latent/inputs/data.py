"""Datasets as 28x28 white-on-black uint8 images with integer labels and class names.

Four sources share one `Dataset` shape so the rest of the pipeline never asks where data came from:

- ``mnist`` and ``fashion-mnist``: the original IDX gzip files, found locally (``--data-dir``,
  ``LATENT_DATA_DIR``, ``./data/<name>/``, Debian's ``/usr/share/datasets/fashion-mnist/``, then the
  per-user cache) or fetched with pooch from the usual public mirrors into that cache, checked
  against the published MD5 of each ``.gz`` (pooch's registry) and the SHA-256 of its content;
- ``digits``: scikit-learn's bundled 8x8 digits brought to MNIST format, so everything runs offline;
- ``folder:PATH``: one sub-folder of images per class, for people's own images.

A fixed validation split is carved from train (for thresholds and early stopping); test is untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np

from latent.cache import read_arrays, source_digest, write_arrays
from latent.errors import CorruptDataError, DatasetNotFoundError, ImageInputError
from latent.paths import cache_root
from latent.progress import progress_bar

ENV_VAR = "LATENT_DATA_DIR"
VALIDATION_FRACTION = 0.1  # share of train held out as the validation split
SPLIT_SEED = 0  # the validation split is the same for every model and every run

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class IdxSpec(TypedDict):
    title: str
    classes: list[str]
    mirrors: list[str]  # base URLs tried in turn
    extra_dirs: list[str]  # system folders that may hold the files (Debian's packages)
    registry: dict[str, str]  # "<stem>.gz" -> its published hash, as pooch checks it ("md5:...")
    sha256: dict[str, str]  # file stem -> SHA-256 of the decompressed file (the same for any gzip wrapper)


IDX_DATASETS: dict[str, IdxSpec] = {
    "mnist": {
        "title": "MNIST",
        "classes": [str(i) for i in range(10)],
        "mirrors": [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        "extra_dirs": [],
        "registry": {  # the original .gz files (torchvision's checksums)
            "train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
        },
        "sha256": {  # of the decompressed files
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    },
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "classes": [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
        "mirrors": [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
        "extra_dirs": ["/usr/share/datasets/fashion-mnist"],
        "registry": {
            "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
        },
        "sha256": {
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    },
}

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class Dataset:
    """Images are (n, 28, 28) uint8, white ink on black; labels are int64 indices into `class_names`."""

    name: str
    class_names: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # where the files were read from, for the manifest and messages

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def dataset_names() -> list[str]:
    return [*IDX_DATASETS, "digits", "folder:PATH"]


def load_dataset(
    name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True, progress: bool = True
) -> Dataset:
    """Load a dataset by name: 'mnist', 'fashion-mnist', 'digits' or 'folder:PATH'."""
    if name in IDX_DATASETS:
        return _load_idx_dataset(name, data_dir, download=download, progress=progress)
    if name == "digits":
        return _load_digits()
    if name.startswith("folder:"):
        return load_folder(name[len("folder:") :], progress=progress)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}")


def source_folders(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders a dataset would be read from, found without reading it (for output checks)."""
    if name.startswith("folder:"):
        return [Path(name[len("folder:") :])]
    if name in IDX_DATASETS:
        found = next((d for d in candidate_dirs(name, data_dir) if _complete_dir(d)), None)
        return [found] if found is not None else []
    return []


# --------------------------------------------------------------------------- IDX files


def cache_dir(name: str) -> Path:
    """Where downloads go, and the last place looked: the per-user cache (`latent.paths.cache_root`)."""
    return cache_root() / "data" / name


def candidate_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Where a dataset is looked for, in order. Each root is tried as `<root>/<name>` and `<root>`;
    then ./data/<name>, the system folders, and last the download cache."""
    roots: list[Path] = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]))
    dirs: list[Path] = []
    for root in roots:
        dirs += [root / name, root]
    dirs.append(Path("data") / name)
    dirs += [Path(d) for d in IDX_DATASETS[name]["extra_dirs"]]
    dirs.append(cache_dir(name))
    return dirs


def _find_file(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def _complete_dir(directory: Path) -> bool:
    return all(_find_file(directory, stem) is not None for stem in FILES.values())


def _load_idx_dataset(name: str, data_dir, *, download: bool, progress: bool) -> Dataset:
    spec = IDX_DATASETS[name]
    looked = candidate_dirs(name, data_dir)
    found = next((d for d in looked if _complete_dir(d)), None)
    if found is None:
        target = cache_dir(name)
        reason = "download disabled"
        if download:
            try:
                download_idx(name, target, progress=progress)
                found = target
            except DatasetNotFoundError as exc:
                reason = str(exc)
        if found is None:
            places = ", ".join(str(d.resolve()) for d in dict.fromkeys(looked))
            raise DatasetNotFoundError(
                f"{spec['title']} was not found (looked in {places}) and could not be downloaded ({reason}). "
                f"Put the four files {', '.join(f + '.gz' for f in FILES.values())} in a folder and pass "
                f"--data-dir FOLDER or set {ENV_VAR}=FOLDER (a '{name}/' sub-folder of it also works), "
                f"or go online to download them into {target.resolve()}."
            )
    arrays = {}
    for key, stem in FILES.items():
        path = _find_file(found, stem)
        assert path is not None, f"{found} was found to hold {stem}"  # _has_all checked every file
        arrays[key] = read_idx(path, expected_sha256=spec["sha256"][stem])
    x_train, y_train = arrays["train_images"], arrays["train_labels"].astype(np.int64)
    x_test, y_test = arrays["test_images"], arrays["test_labels"].astype(np.int64)
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise CorruptDataError(f"{found}: {split} has {len(x)} images but {len(y)} labels")
    (xt, yt), (xv, yv) = split_validation(x_train, y_train)
    return Dataset(name, list(spec["classes"]), xt, yt, xv, yv, x_test, y_test, source=str(found.resolve()))


def read_idx(path: str | os.PathLike, *, expected_sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw); raise `CorruptDataError` naming the file if it is damaged."""
    path = Path(path)
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip magic: decompress, whatever the file is called
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # a damaged deflate stream raises zlib.error, not OSError
        raise CorruptDataError(
            f"{path} is truncated or not a valid gzip file ({exc}); delete it and download it again"
        ) from None
    if expected_sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected_sha256:
            raise CorruptDataError(
                f"{path} is corrupt: its SHA-256 is {digest[:12]}..., expected "
                f"{expected_sha256[:12]}...; delete it and download it again"
            )
    if len(data) < 8:
        raise CorruptDataError(f"{path} is too short to be an IDX file")
    magic = int.from_bytes(data[0:4], "big")
    if magic not in (2049, 2051):
        raise CorruptDataError(f"{path} is not an IDX file (magic number {magic}, expected 2049 or 2051)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = math.prod(dims)  # exact: a damaged header must not overflow into a plausible size
    if len(data) - offset != expected:
        raise CorruptDataError(f"{path} is truncated: header promises {expected} bytes, found {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims).copy()


def download_idx(
    name: str,
    target: Path | None = None,
    *,
    progress: bool = True,
    mirrors: list[str] | None = None,
    timeout: float = 20.0,
    registry: dict[str, str] | None = None,
) -> Path:
    """Fetch the four files of `name` into `target` (default: the per-user cache) with pooch: mirrors
    tried in turn, each file retried twice, its `.gz` checked against the registry's hash and then its
    content against the decompressed SHA-256; a file that fails is removed. Returns `target`."""
    import pooch

    spec = IDX_DATASETS[name]
    target = Path(target) if target is not None else cache_dir(name)
    mirrors = mirrors if mirrors is not None else spec["mirrors"]
    registry = registry if registry is not None else spec["registry"]
    created = [p for p in (target, *target.parents) if not p.exists()]
    target.mkdir(parents=True, exist_ok=True)
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
    try:
        for stem in FILES.values():
            if _find_file(target, stem) is None:
                _fetch_one(f"{stem}.gz", spec["sha256"][stem], target, mirrors, registry, downloader)
    except DatasetNotFoundError:
        for folder in created:  # leave no empty folders behind a failed download
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return target


def _fetch_one(fname: str, content_sha256: str, target: Path, mirrors: list[str], registry, downloader) -> None:
    import logging

    import pooch

    logging.getLogger("pooch").setLevel(logging.WARNING)  # its "Downloading ..." lines: the bar says it
    errors = []
    for mirror in mirrors:
        fetcher = pooch.create(path=target, base_url=mirror, registry={fname: registry[fname]}, retry_if_failed=2)
        try:
            path = Path(fetcher.fetch(fname, downloader=downloader))
        except ValueError as exc:  # pooch: the hash does not match (the file is not kept)
            errors.append(f"{mirror}{fname}: {str(exc).splitlines()[0]}")
            continue
        except Exception as exc:  # requests' connection and HTTP errors, OSError
            errors.append(f"{mirror}{fname}: {exc}")
            continue
        try:
            read_idx(path, expected_sha256=content_sha256)
            return
        except CorruptDataError as exc:
            path.unlink(missing_ok=True)
            errors.append(f"{mirror}{fname}: {exc}")
    raise DatasetNotFoundError("; ".join(errors))


# --------------------------------------------------------------------------- splits


def split_validation(
    x: np.ndarray, y: np.ndarray, fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A fixed, stratified split of (x, y) into (train, validation)."""
    rng = np.random.default_rng(seed)
    val_idx = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        val_idx.append(idx[: max(1, round(fraction * len(idx)))])
    val = np.sort(np.concatenate(val_idx))
    keep = np.ones(len(y), dtype=bool)
    keep[val] = False
    return (x[keep], y[keep]), (x[val], y[val])


# --------------------------------------------------------------------------- digits and folders


N_DIGITS = 1797  # scikit-learn's bundled digits


def _digits_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as model inputs (uint8 (1797, 28, 28)) and their labels, through the Draw
    page's preprocessing. Preprocessing them takes seconds, and every `evaluate` or `calibrate` of a
    digits bundle asks again, so they are kept in the cache, named by the preprocessing code's hash."""
    from latent.inputs import imagefile, preprocess

    path = cache_dir("digits") / f"digits-{source_digest((preprocess, imagefile))}.npz"
    stored = read_arrays(path)
    if stored is not None:
        x, y = stored.get("x"), stored.get("y")
        if (
            x is not None
            and y is not None
            and x.dtype == np.uint8
            and x.shape == (N_DIGITS, preprocess.SIZE, preprocess.SIZE)
            and y.dtype == np.int64
            and y.shape == (N_DIGITS,)
            and bool(np.all((y >= 0) & (y <= 9)))
        ):
            return x, y
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.stack([preprocess.to_model_input(img / 16.0) for img in bunch.images])
    x = np.round(images * 255).astype(np.uint8)
    y = bunch.target.astype(np.int64)
    write_arrays(path, {"x": x, "y": y})
    return x, y


def _load_digits() -> Dataset:
    x, y = _digits_images()
    (rest_x, rest_y), (x_test, y_test) = split_validation(x, y, fraction=0.2, seed=SPLIT_SEED + 1)
    (x_train, y_train), (x_val, y_val) = split_validation(rest_x, rest_y)
    return Dataset(
        "digits",
        [str(i) for i in range(10)],
        x_train,
        y_train,
        x_val,
        y_val,
        x_test,
        y_test,
        source="sklearn.datasets.load_digits (bundled with scikit-learn)",
    )


def load_folder(path: str | os.PathLike, *, progress: bool = True) -> Dataset:
    """One sub-folder per class, any image format Pillow reads; `train/` and `test/` splits are used if present.

    Every image goes through the same MNIST-style preprocessing as a drawing (dark-on-light images
    are inverted). Without a `test/` folder, 20 % of each class is held out as test, with a fixed seed.
    Only regular files are read (a folder or FIFO named *.png is skipped, never opened); every class
    must keep readable images in every split, or the dataset is refused naming the class folder.
    """
    from latent.inputs.preprocess import image_to_model_input

    root = Path(path)
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"folder dataset {root.resolve()} does not exist; expected one sub-folder of images per class"
        )
    has_splits = (root / "train").is_dir() and (root / "test").is_dir()
    train_root = root / "train" if has_splits else root
    class_names = sorted(p.name for p in _entries(train_root) if p.is_dir() and not p.name.startswith("."))
    if len(class_names) < 2:
        raise DatasetNotFoundError(
            f"{train_root.resolve()} needs at least two class sub-folders of images, found {len(class_names)}"
        )

    def read_split(split_root: Path) -> tuple[np.ndarray, np.ndarray]:
        files: list[tuple[Path, int]] = []  # (image file, class index)
        odd: list[tuple[Path, int]] = []  # image-named entries that are not regular files
        for c, name in enumerate(class_names):
            folder = split_root / name
            for f in sorted(_entries(folder)) if folder.is_dir() else []:
                if f.suffix.lower() in IMAGE_SUFFIXES:
                    (files if f.is_file() else odd).append((f, c))  # is_file: a regular file (stat, never opened)
        images: list[np.ndarray] = []
        labels: list[int] = []
        unreadable: list[tuple[str, int]] = []  # (why, class index)
        for f, c in progress_bar(files, desc=f"read {split_root.name}", enabled=progress):
            try:
                img = image_to_model_input(f).x
            except ImageInputError as exc:
                unreadable.append((str(exc), c))
                continue
            images.append(np.round(img * 255).astype(np.uint8))
            labels.append(c)
        if (odd or unreadable) and progress:
            print(_skipped_message(split_root, len(files) + len(odd), odd, unreadable))
        y = np.asarray(labels, dtype=np.int64)
        counts = np.bincount(y, minlength=len(class_names))
        for empty in np.flatnonzero(counts == 0):
            folder = (split_root / class_names[empty]).resolve()
            skipped = [f"{f} is not a regular file" for f, k in odd if k == empty] + [
                m for m, k in unreadable if k == empty
            ]
            detail = f" ({len(skipped)} skipped, e.g. {skipped[0]})" if skipped else ""
            raise DatasetNotFoundError(
                f"class folder {folder} has no readable images{detail}; add images or remove the folder"
            )
        return np.stack(images), y

    x, y = read_split(train_root)
    test = read_split(root / "test") if has_splits else None
    _check_enough_per_class(train_root, class_names, y, has_test=has_splits)
    if test is None:
        (x, y), test = split_validation(x, y, fraction=0.2, seed=SPLIT_SEED + 1)
    x_test, y_test = test
    (x_train, y_train), (x_val, y_val) = split_validation(x, y)
    return Dataset(
        f"folder:{root}", class_names, x_train, y_train, x_val, y_val, x_test, y_test, source=str(root.resolve())
    )


def _entries(folder: Path) -> list[Path]:
    """The entries of a folder, or one clear error when it cannot be listed."""
    try:
        return list(folder.iterdir())
    except OSError as exc:
        raise DatasetNotFoundError(f"cannot list {folder.resolve()}: {exc.strerror or exc}") from None


def _skipped_message(split_root: Path, n_files: int, odd: list, unreadable: list) -> str:
    parts = []
    if odd:
        parts.append(f"{len(odd)} not regular files (folders, pipes...), e.g. {odd[0][0]}")
    if unreadable:
        parts.append(f"{len(unreadable)} unreadable or blank images, e.g. {unreadable[0][0]}")
    return f"skipped {len(odd) + len(unreadable)} files of {n_files} in {split_root}: " + "; ".join(parts)


def _check_enough_per_class(train_root: Path, class_names: list[str], y: np.ndarray, *, has_test: bool) -> None:
    """Every class must keep an image in training after the test and validation splits take theirs."""
    need = 2 if has_test else 3  # split_validation takes at least one image per class, twice without test/
    counts = np.bincount(y, minlength=len(class_names))
    for c in np.flatnonzero(counts < need):
        raise DatasetNotFoundError(
            f"class folder {(train_root / class_names[c]).resolve()} has only {counts[c]} readable images; each "
            f"class needs at least {need} "
            f"({'validation and training' if has_test else 'test, validation and training'})"
        )
