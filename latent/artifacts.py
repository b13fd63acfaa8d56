"""Model bundles: one directory, a `manifest.json`, and array files that load without unpickling.

A bundle shared by a colleague must not be able to run code when it is opened, so it holds only
JSON, safetensors (torch weights) and npz files read with `allow_pickle=False`. The manifest records
the schema version, dataset and class names, the full config, library versions, metrics, the
SHA-256 of every file and the exact command that built it. Every way a bundle can be wrong -
missing, unreadable, hash mismatch, newer schema - raises `BundleError` naming the file and the
command that rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import BundleError

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rebuild_hint(manifest: dict | None, directory: Path) -> str:
    command = (manifest or {}).get("command")
    if command:
        return f"rebuild it with: {command}"
    return f"rebuild it with: python -m latent train --dataset DATASET --out {directory}"


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

def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    for key, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"{path.name}:{key} is an object array; bundles hold plain numeric/string arrays only")
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


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
    manifest.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
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

def load_manifest(directory: str | os.PathLike, *, verify: bool = True) -> dict:
    """Read and check `manifest.json`; with verify=True also check every listed file's SHA-256."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BundleError(f"model bundle {directory} does not exist; {rebuild_hint(None, directory)}")
    if not path.is_file():
        raise BundleError(f"{path} is missing, so {directory} is not a model bundle; {rebuild_hint(None, directory)}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); {rebuild_hint(None, directory)}") from None
    if not isinstance(manifest, dict) or "schema_version" not in manifest or "files" not in manifest:
        raise BundleError(f"{path} is not a Latent Explorer manifest; {rebuild_hint(None, directory)}")
    version = manifest["schema_version"]
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise BundleError(f"{path} has schema version {version}, newer than this code understands "
                          f"({SCHEMA_VERSION}); update Latent Explorer or {rebuild_hint(manifest, directory)}")
    if verify:
        verify_files(directory, manifest)
    return manifest


def verify_files(directory: Path, manifest: dict) -> None:
    for name, info in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BundleError(f"{path} is missing from the bundle; {rebuild_hint(manifest, directory)}")
        digest = sha256_file(path)
        if digest != info.get("sha256"):
            raise BundleError(f"{path} does not match its SHA-256 in {MANIFEST} (changed or corrupt); "
                              f"{rebuild_hint(manifest, directory)}")


def bundle_path(directory: Path, manifest: dict, name: str) -> Path:
    if name not in manifest["files"]:
        raise BundleError(f"{directory / name} is not listed in {directory / MANIFEST}; "
                          f"{rebuild_hint(manifest, directory)}")
    return directory / name


def read_npz(directory: Path, manifest: dict, name: str) -> dict[str, np.ndarray]:
    """All arrays of an npz file in the bundle, read with allow_pickle=False."""
    path = bundle_path(directory, manifest, name)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path} cannot be read ({exc}); {rebuild_hint(manifest, directory)}") from None


def read_safetensors(directory: Path, manifest: dict, name: str) -> dict:
    """Tensors of a safetensors file in the bundle (torch tensors; never unpickles)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = bundle_path(directory, manifest, name)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(f"{path} cannot be read ({exc}); {rebuild_hint(manifest, directory)}") from None


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
    return (manifest.get("kind", "bundle") == "bundle" and isinstance(files, dict) and bool(files)
            and all(isinstance(name, str) and (directory / name).is_file() for name in files))
