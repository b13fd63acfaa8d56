"""Arrays kept between runs in the per-user cache (`latent.paths.cache_root`): a shortcut, never a source.

Generated inputs take minutes to make and scikit-learn's digits seconds to preprocess, and both are
asked for again by every `evaluate`, `calibrate` and test run. A cache file is named by what it holds
and by `source_digest` of the code that made it, so a change to that code is a new file. Reading one
that is missing, cut off, damaged or of another layout gives None and the caller makes the data again;
a cache that cannot be written (a read-only home) is skipped. No pickles.
"""

from __future__ import annotations

import ast
import hashlib
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import numpy as np

from latent import artifacts

# What reading a damaged .npz raises: a cut-off zip (BadZipFile), an empty file (EOFError), a pickle
# or a bad header (ValueError), a missing member (KeyError), an unreadable file (OSError).
READ_ERRORS = (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile)


def source_digest(modules: Iterable[ModuleType]) -> str:
    """A hash of the modules' syntax trees: reformatting or a comment keeps the cache, a code change does not."""
    digest = hashlib.sha256()
    for module in modules:
        assert module.__file__ is not None, module  # modules of this package are files
        digest.update(ast.dump(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))).encode())
    return digest.hexdigest()[:16]


def read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """Every array of the .npz at `path`, or None when it is missing or cannot be read whole."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except READ_ERRORS:
        return None


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Store `arrays` at `path` (uncompressed .npz), whole or not at all: written beside it, then renamed."""
    tmp = path.with_name(f".{path.stem}-{os.getpid()}.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, **artifacts.npz_members(arrays))
        os.replace(tmp, path)
    except OSError:  # a read-only home or a full disk: no cache, same results
        try:
            tmp.unlink(missing_ok=True)  # a part written before the disk filled up
        except OSError:
            pass
