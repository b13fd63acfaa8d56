"""Damaging a copy of a bundle the way a careless or hostile sender could, with honest hashes.

Every edit rewrites the manifest's SHA-256 and size of each listed file afterwards, so a test of an
edited bundle exercises the schema and value checks, not the hash check.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np


def copy_bundle(bundle: Path, target: Path) -> Path:
    shutil.copytree(bundle, target)
    return target


def read_manifest(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def rehash(bundle: Path, manifest: dict | None = None) -> None:
    """Write `manifest` (default: the bundle's own) with the true hash and size of every listed file."""
    manifest = read_manifest(bundle) if manifest is None else manifest
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if isinstance(files, dict):
        for name, info in files.items():
            path = bundle / name
            if isinstance(info, dict) and isinstance(name, str) and "/" not in name and path.is_file():
                info["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
                info["bytes"] = path.stat().st_size
    (bundle / "manifest.json").write_text(json.dumps(manifest))  # NaN and Infinity stay as JSON extensions


def edit_manifest(bundle: Path, edit) -> None:
    """Apply `edit(manifest)` (in place; what it returns is ignored) and rewrite the hashes."""
    manifest = read_manifest(bundle)
    edit(manifest)
    rehash(bundle, manifest)


def edit_npz(bundle: Path, name: str, edit) -> None:
    """Apply `edit(arrays)` (in place) to the arrays of an npz file of the bundle and rewrite the hashes."""
    with np.load(bundle / name, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    edit(arrays)
    np.savez_compressed(bundle / name, **arrays)
    rehash(bundle)


def write_npy_member(bundle: Path, name: str, key: str, raw: bytes) -> None:
    """Replace one member of an npz file by raw bytes (a forged .npy header, say) and rewrite the hashes."""
    path = bundle / name
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members[f"{key}.npy"] = raw
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    path.write_bytes(buf.getvalue())
    rehash(bundle)


def npy_header(shape: tuple, dtype: str = "<f8") -> bytes:
    """A valid .npy version 1.0 header claiming `shape`, without the data."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def edit_weights(bundle: Path, edit) -> None:
    """Apply `edit(tensors)` (in place; name -> torch tensor) to the autoencoder's weights, rewrite the hashes."""
    from safetensors.torch import load_file, save_file

    path = bundle / "autoencoder.safetensors"
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path))
    rehash(bundle)
