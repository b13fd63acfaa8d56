"""Model bundles: one directory, a `manifest.json`, and array files that load without unpickling.

A bundle shared by a colleague must not be able to run code when it is opened, so it holds only
JSON, safetensors (torch weights) and npz files read with `allow_pickle=False`. The manifest records
the schema version, dataset and class names, the full config, library versions, metrics, the
SHA-256 of every file and the exact command that built it. Every way a bundle can be wrong -
missing, unreadable, hash mismatch, newer schema, a field or an array that breaks `latent.schema` -
raises `BundleError` naming the file (and the field) and the command that rebuilds it.

Reading checks sizes before it allocates: the manifest's size, every listed file's size (before
hashing it), and each npz member's .npy header against the member's uncompressed size and
`schema.LIMITS` (before reading its data).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shlex
import struct
import sys
import zipfile
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import schema
from .errors import BundleError
from .schema import LIMITS, MANIFEST, SchemaError

SCHEMA_VERSION = LIMITS.schema_version
MANIFEST_BYTES = 16 << 20  # a manifest is a few KB; a bigger one is not read into memory
# What a damaged zip or .npy member can raise while being read (all mean "cannot be read").
NPZ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rebuild_hint(manifest: dict | None, directory: Path) -> str:
    """The command that rebuilds the bundle: the one it records, when that is one sane line."""
    command = manifest.get("command") if isinstance(manifest, dict) else None
    try:
        schema.text({"command": command}, "command", "", max_chars=LIMITS.long_text_chars, allow_empty=False)
        return f"rebuild it with: {command}"
    except SchemaError:
        return f"rebuild it with: python -m latent train --dataset DATASET --out {directory}"


def bundle_error(directory: Path, manifest: dict | None, name: str, problem) -> BundleError:
    """One line: the file, what is wrong with it, and the command that rebuilds the bundle."""
    return BundleError(f"{Path(directory) / name}: {problem}; {rebuild_hint(manifest, directory)}")


def library_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for dist in ("torch", "numpy", "scikit-learn", "umap-learn", "safetensors"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def current_command() -> str:
    """The command line that is running, as `python -m latent ...` when run through the CLI."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(("latent/__main__.py", "latent\\__main__.py")):
        argv = ["python", "-m", "latent", *argv[1:]]
    return shlex.join(argv)


# --------------------------------------------------------------------------- writing


def npz_members(arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """`arrays` as the keyword arguments of np.savez (numpy's stubs give **kwds the type of `allow_pickle`)."""
    return dict(arrays)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    for key, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"{path.name}:{key} is an object array; bundles hold plain numeric/string arrays only")
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **npz_members(arrays))


def write_manifest(directory: Path, manifest: dict, names=None) -> dict:
    """Hash the files `names` (default: every file in `directory` but the manifest) into
    `manifest['files']` and write it."""
    if names is None:
        names = [p.name for p in directory.iterdir() if p.name != MANIFEST and p.is_file()]
    files = {}
    for name in sorted(names):
        path = directory / name
        files[name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    manifest = {"schema_version": SCHEMA_VERSION, **manifest, "files": files}
    manifest.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
    manifest.setdefault("versions", library_versions())
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)
    return manifest


def update_manifest(directory: str | os.PathLike, **fields) -> dict:
    """Merge top-level fields into an existing manifest (after a check) and rewrite its hashes.

    Only the files it already lists are hashed again: a file someone else put in the folder is not
    adopted (and so stays protected from being replaced as part of the bundle)."""
    directory = Path(directory)
    manifest = load_manifest(directory, verify=True)
    manifest.update(fields)
    names = list(manifest.pop("files"))
    return write_manifest(directory, manifest, names)


# --------------------------------------------------------------------------- reading


def load_manifest(directory: str | os.PathLike, *, verify: bool = True, kind: str = "model") -> dict:
    """Read `manifest.json` and check it against the schema (`latent.schema`: the whole model schema
    for kind="model", the shared part for other kinds); with verify=True also check every listed
    file's size and SHA-256."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BundleError(f"model bundle {directory} does not exist; {rebuild_hint(None, directory)}")
    if not path.is_file():
        raise BundleError(f"{path} is missing, so {directory} is not a model bundle; {rebuild_hint(None, directory)}")
    if path.stat().st_size > MANIFEST_BYTES:
        raise bundle_error(directory, None, MANIFEST, f"{path.stat().st_size:,} bytes is too large for a manifest")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleError(
            f"{path} is not valid JSON ({schema.show(str(exc), 80)}); {rebuild_hint(None, directory)}"
        ) from None
    try:
        schema.check_model_manifest(manifest) if kind == "model" else schema.check_manifest(manifest)
    except SchemaError as exc:
        raise bundle_error(directory, manifest, MANIFEST, exc) from None
    if verify:
        verify_files(directory, manifest)
    return manifest


def verify_files(directory: Path, manifest: dict) -> None:
    """Every listed file is a file inside the bundle, of a sane size and its recorded SHA-256 (size
    first: a huge file is refused before it is read)."""
    root = directory.resolve()
    for name, info in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BundleError(f"{path} is missing from the bundle; {rebuild_hint(manifest, directory)}")
        if path.resolve().parent != root:
            raise bundle_error(directory, manifest, name, "links to a file outside the bundle")
        size = path.stat().st_size
        if size > LIMITS.file_bytes:
            raise bundle_error(
                directory, manifest, name, f"holds {size:,} bytes, more than a bundle file may ({LIMITS.file_bytes:,})"
            )
        digest = sha256_file(path)
        if digest != info["sha256"]:
            raise BundleError(
                f"{path} does not match its SHA-256 in {MANIFEST} (changed or corrupt); "
                f"{rebuild_hint(manifest, directory)}"
            )


def bundle_path(directory: Path, manifest: dict, name: str) -> Path:
    if name not in manifest["files"]:
        raise BundleError(
            f"{directory / name} is not listed in {directory / MANIFEST}; {rebuild_hint(manifest, directory)}"
        )
    return directory / name


def read_npz(directory: Path, manifest: dict, name: str) -> dict[str, np.ndarray]:
    """All arrays of an npz file in the bundle: plain numbers only (never unpickles), and every
    member's .npy header checked against its size and `LIMITS` before its data is read."""
    path = bundle_path(directory, manifest, name)
    try:
        with zipfile.ZipFile(path) as zf:
            members = _npz_members(zf)
            return {key: _read_member(zf, info) for key, info in members.items()}
    except SchemaError as exc:
        raise BundleError(f"{path} cannot be read: {exc}; {rebuild_hint(manifest, directory)}") from None
    except NPZ_ERRORS as exc:
        raise BundleError(
            f"{path} cannot be read ({schema.show(str(exc), 120)}); {rebuild_hint(manifest, directory)}"
        ) from None


def _npz_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """{array name: member} after checking every member's header; nothing is allocated for the data."""
    infos = zf.infolist()
    if len(infos) > LIMITS.npz_members:
        raise SchemaError(f"holds {len(infos)} arrays, more than {LIMITS.npz_members}")
    members, total = {}, 0
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else ""
        if not key or key in members:
            raise SchemaError(f"member {schema.show(info.filename)} is not an array (.npy) of its own")
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise SchemaError(f"array {key} has .npy format version {version}, expected 1.0 or 2.0")
            header = fh.tell()
        if dtype.kind not in "biuf" or dtype.hasobject or dtype.fields is not None:
            raise SchemaError(f"array {key} has dtype {dtype}; bundles hold plain numbers only")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < 0 or header + nbytes != info.file_size:
            raise SchemaError(
                f"array {key} claims shape {schema.show(shape)} of {dtype} ({nbytes:,} bytes), but "
                f"the file holds {info.file_size - header:,} bytes of data"
            )
        total += nbytes
        if total > LIMITS.npz_bytes:
            raise SchemaError(f"holds more than {LIMITS.npz_bytes:,} bytes of arrays")
        members[key] = info
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with zf.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def safetensors_header(directory: Path, manifest: dict, name: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{tensor name: (dtype, shape)} from a safetensors file's header, without reading the tensors."""
    from safetensors import SafetensorError, safe_open

    path = bundle_path(directory, manifest, name)
    try:
        with safe_open(str(path), framework="pt") as f:
            return {key: (f.get_slice(key).get_dtype(), tuple(f.get_slice(key).get_shape())) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(
            f"{path} cannot be read ({schema.show(str(exc), 120)}); {rebuild_hint(manifest, directory)}"
        ) from None


def read_safetensors(directory: Path, manifest: dict, name: str) -> dict:
    """Tensors of a safetensors file in the bundle (torch tensors; never unpickles). Check its
    header first (`safetensors_header`): this allocates what the header declares."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = bundle_path(directory, manifest, name)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(
            f"{path} cannot be read ({schema.show(str(exc), 120)}); {rebuild_hint(manifest, directory)}"
        ) from None


def find_bundles(root: str | os.PathLike = "assets") -> list[Path]:
    """Model bundles directly under `root`, sorted by name.

    Hidden folders are left out (`.NAME-*` are the staging folders of runs in progress or killed),
    and so are folders whose manifest does not read or whose listed files are not all there; this
    check is cheap (nothing is hashed): loading a bundle verifies it in full.
    """
    root = Path(root)
    try:
        entries = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return []
    return sorted(p for p in entries if not p.name.startswith(".") and p.is_dir() and _looks_complete(p))


def _looks_complete(directory: Path) -> bool:
    try:
        manifest = load_manifest(directory, verify=False)
    except BundleError:
        return False
    files = manifest.get("files")
    return (
        manifest.get("kind", "bundle") == "bundle"
        and isinstance(files, dict)
        and bool(files)
        and all(isinstance(name, str) and (directory / name).is_file() for name in files)
    )
