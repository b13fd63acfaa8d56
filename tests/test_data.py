"""Dataset loading: the bundled digits, IDX files, corrupt files, the missing-data message, folders."""

import gzip
import hashlib
import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import shared_data_dir
from latent.errors import CorruptDataError, DatasetNotFoundError
from latent.inputs import data as D


def test_digits_are_mnist_shaped(digits):
    assert digits.class_names == [str(i) for i in range(10)]
    for x, y in ((digits.x_train, digits.y_train), (digits.x_val, digits.y_val), (digits.x_test, digits.y_test)):
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
    total = len(digits.x_train) + len(digits.x_val) + len(digits.x_test)
    assert total == 1797
    # white ink on black, scaled into the central 20x20 box like MNIST
    mean_image = digits.x_train.mean(axis=0)
    assert mean_image[14, 14] > 40 and mean_image[0].max() < 1 and mean_image[:, 0].max() < 1
    assert set(np.unique(digits.y_test)) == set(range(10))


def test_digits_are_preprocessed_once_and_a_damaged_cache_is_remade(tmp_path, monkeypatch, digits):
    """Every `evaluate` of a digits bundle loads them: the second load reads the cache, not 1,797 images."""
    from latent.inputs import preprocess

    monkeypatch.setenv("LATENT_CACHE_DIR", str(tmp_path))
    first = D.load_dataset("digits")
    assert np.array_equal(first.x_train, digits.x_train) and np.array_equal(first.y_test, digits.y_test)
    (cached,) = (tmp_path / "data" / "digits").glob("digits-*.npz")
    whole = cached.read_bytes()
    to_model_input = preprocess.to_model_input

    def not_again(_):
        raise AssertionError("the digits were preprocessed again")

    monkeypatch.setattr(preprocess, "to_model_input", not_again)
    again = D.load_dataset("digits")
    assert np.array_equal(again.x_train, first.x_train) and np.array_equal(again.y_val, first.y_val)
    monkeypatch.setattr(preprocess, "to_model_input", to_model_input)
    np.savez(tmp_path / "other.npz", x=np.zeros((3, 28, 28), np.uint8), y=np.zeros(3, np.int64))
    for damage in (whole[: len(whole) // 2], b"", (tmp_path / "other.npz").read_bytes()):
        cached.write_bytes(damage)
        remade = D.load_dataset("digits")
        assert np.array_equal(remade.x_test, first.x_test) and cached.read_bytes() == whole


def test_validation_split_is_fixed_stratified_and_disjoint():
    x = np.arange(1000)
    y = np.repeat(np.arange(10), 100)
    (xt, yt), (xv, yv) = D.split_validation(x, y)
    (xt2, _), (xv2, _) = D.split_validation(x, y)
    assert np.array_equal(xv, xv2) and np.array_equal(xt, xt2)
    assert len(xv) == 100 and np.all(np.bincount(yv) == 10)
    assert not set(xv) & set(xt)


def _write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip_and_damage(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    _write_idx(path, images, 2051)
    np.testing.assert_array_equal(D.read_idx(path), images)

    truncated = tmp_path / "truncated.gz"
    truncated.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CorruptDataError, match="truncated.gz"):
        D.read_idx(truncated)

    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"this is not an idx file at all")
    with pytest.raises(CorruptDataError, match="garbage.gz.*not an IDX file"):
        D.read_idx(garbage)

    with pytest.raises(CorruptDataError, match="SHA-256"):
        D.read_idx(path, expected_sha256="0" * 64)


def test_missing_dataset_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_dataset("mnist", tmp_path / "nowhere", download=False)
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "mnist") in message
    assert str(tmp_path / "data" / "mnist") in message
    assert "--data-dir" in message and D.ENV_VAR in message


def test_failed_download_is_reported_not_raised_raw(tmp_path):
    # Port 9 (discard) refuses connections here: the message names the URL tried, no folder is left.
    with pytest.raises(DatasetNotFoundError, match="127.0.0.1:9"):
        D.download_idx("mnist", tmp_path / "mnist", mirrors=["http://127.0.0.1:9/"], progress=False, timeout=2)
    assert not (tmp_path / "mnist").exists()


def test_downloads_go_to_the_per_user_cache_which_is_searched_last(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_CACHE_DIR", str(tmp_path / "cache"))
    assert D.cache_dir("mnist") == tmp_path / "cache" / "data" / "mnist"
    assert D.candidate_dirs("mnist", tmp_path / "given")[-1] == D.cache_dir("mnist")
    assert D.candidate_dirs("mnist", tmp_path / "given")[0] == tmp_path / "given" / "mnist"
    assert set(D.IDX_DATASETS["fashion-mnist"]["registry"]) == {f"{stem}.gz" for stem in D.FILES.values()}


def _md5(path) -> str:
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_download_checks_the_registry_hash_and_the_content(tmp_path):
    """Serve files over local HTTP through pooch: a mirror whose files miss the registry's hashes is refused,
    so is one whose .gz matches a (wrong) registry entry but whose content is not MNIST's; a good one works.
    The shared copies are re-gzipped (other .gz hashes than the originals): the registry is given here."""
    src = shared_data_dir() / "mnist"
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    for name in D.FILES.values():
        shutil.copy(src / f"{name}.gz", good / f"{name}.gz")
        (bad / f"{name}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 8))
    registry = {f"{name}.gz": _md5(good / f"{name}.gz") for name in D.FILES.values()}
    fake = {f"{name}.gz": _md5(bad / f"{name}.gz") for name in D.FILES.values()}
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(DatasetNotFoundError, match="(?i)hash"):
            D.download_idx("mnist", tmp_path / "out-bad", mirrors=[f"{url}/bad/"], progress=False, registry=registry)
        with pytest.raises(DatasetNotFoundError, match="SHA-256"):  # the content check stays
            D.download_idx("mnist", tmp_path / "out-fake", mirrors=[f"{url}/bad/"], progress=False, registry=fake)
        for out in ("out-bad", "out-fake"):  # nothing half-verified is left behind
            assert not list((tmp_path / out).glob("*.gz")) if (tmp_path / out).exists() else True
        D.download_idx(
            "mnist", tmp_path / "out", mirrors=[f"{url}/bad/", f"{url}/good/"], progress=False, registry=registry
        )
    finally:
        server.shutdown()
    ds = D.load_dataset("mnist", tmp_path / "out", download=False)
    assert len(ds.x_test) == 10000


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_real_mnist_and_fashion_load_with_class_names():
    mnist = D.load_dataset("mnist", shared_data_dir())
    assert len(mnist.x_train) + len(mnist.x_val) == 60000 and len(mnist.x_test) == 10000
    assert abs(mnist.x_test.mean() / 255 - 0.1325) < 0.002
    fashion = D.load_dataset("fashion-mnist", shared_data_dir())
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"


@pytest.mark.skipif(shared_data_dir() is None, reason="needs MNIST in $LATENT_DATA_DIR")
def test_corrupt_local_copy_names_the_file(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(shared_data_dir() / "mnist", folder)
    victim = folder / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(CorruptDataError, match="t10k-labels-idx1-ubyte.gz"):
        D.load_dataset("mnist", tmp_path, download=False)


def test_folder_dataset_reads_class_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    for name, draw in (
        ("bars", lambda a: a.__setitem__((slice(10, 50), slice(28, 36)), 0)),
        ("blocks", lambda a: a.__setitem__((slice(15, 45), slice(15, 45)), 0)),
    ):
        (tmp_path / name).mkdir()
        for i in range(10):
            img = np.full((64, 64), 255, np.uint8)  # dark ink on white paper: must be inverted
            draw(img)
            img = np.clip(img.astype(int) + rng.integers(-5, 5, img.shape), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(tmp_path / name / f"{i}.png")
    (tmp_path / "bars" / "notes.txt").write_text("not an image")
    ds = D.load_dataset(f"folder:{tmp_path}", progress=False)
    assert ds.class_names == ["bars", "blocks"]
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 20
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    assert x[:, 14, 14].min() > 200 and x[:, 0, 0].max() == 0  # inverted: ink is white, centred


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        D.load_dataset("cifar")


def _flip_cases(blob: bytes, seed: int, n_flips: int = 120, n_cuts: int = 40):
    """(name, damaged bytes): seeded single-bit flips anywhere, and truncations at seeded lengths."""
    rng = np.random.default_rng(seed)
    for i in rng.integers(0, len(blob) * 8, n_flips):
        damaged = bytearray(blob)
        damaged[i // 8] ^= 1 << (i % 8)
        yield f"bit {i}", bytes(damaged)
    for n in rng.integers(0, len(blob), n_cuts):
        yield f"first {n} bytes", blob[:n]


@pytest.mark.parametrize("magic, shape", [(2051, (40, 28, 28)), (2049, (40,))])
def test_damaged_idx_gz_reads_correctly_or_raises_corrupt_data_error(tmp_path, digits, magic, shape):
    """Seeded bit flips and truncations of a real (small) IDX gzip: the same array, or one CorruptDataError."""
    array = digits.x_test[:40] if magic == 2051 else digits.y_test[:40]
    assert array.shape == shape
    path = tmp_path / "t10k-idx.gz"
    _write_idx(path, array, magic)
    blob = path.read_bytes()
    outcomes = {"same": 0, "refused": 0}
    for name, damaged in _flip_cases(blob, seed=magic):
        path.write_bytes(damaged)
        try:
            result = D.read_idx(path)
        except CorruptDataError as exc:
            assert str(path) in str(exc), name
            outcomes["refused"] += 1
            continue
        np.testing.assert_array_equal(result, array, err_msg=name)
        outcomes["same"] += 1
    assert outcomes["refused"] > 100, outcomes  # most damage is caught (gzip's CRC covers the data)


def _class_folders(root: Path, counts: dict[str, int]) -> Path:
    """A folder dataset: one sub-folder per class holding `count` small dark-on-light drawings."""
    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            img = np.full((40, 40), 255, np.uint8)
            top, left = rng.integers(4, 12, 2)
            img[top : top + 20, left : left + (6 if name == "bars" else 20)] = 0
            Image.fromarray(img).save(root / name / f"{i}.png")
    return root


def test_folder_dataset_refuses_a_class_without_readable_images(tmp_path):
    """An empty class folder would give a bundle whose class names outnumber its mixtures: refused, named."""
    root = _class_folders(tmp_path / "shapes", {"bars": 10, "blocks": 10})
    (root / "circles").mkdir()
    (root / "circles" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetNotFoundError, match=r"circles has no readable images") as info:
        D.load_dataset(f"folder:{root}", progress=False)
    assert str(root / "circles") in str(info.value) and "\n" not in str(info.value)


def test_folder_dataset_refuses_a_class_too_small_to_split(tmp_path):
    """Two images of a class both go to test and validation: training would never see the class."""
    root = _class_folders(tmp_path / "shapes", {"bars": 10, "blocks": 2})
    with pytest.raises(DatasetNotFoundError, match=r"blocks has only 2 readable images.*at least 3"):
        D.load_dataset(f"folder:{root}", progress=False)


def test_folder_dataset_skips_what_is_not_a_regular_readable_file(tmp_path, capsys, monkeypatch):
    """A folder or a FIFO named *.png is skipped and counted (a FIFO is never opened); so is a locked file."""
    import os

    root = _class_folders(tmp_path / "shapes", {"bars": 10, "blocks": 10})
    (root / "bars" / "folder.png").mkdir()
    os.mkfifo(root / "bars" / "fifo.png")
    locked = root / "blocks" / "0.png"
    real_open = os.open

    def deny(path, *args, **kwargs):  # root ignores file modes, so the refusal is simulated
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    ds = D.load_dataset(f"folder:{root}", progress=True)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 19
    out = capsys.readouterr().out
    assert "skipped 3 files" in out and "2 not regular files" in out and "1 unreadable" in out, out
