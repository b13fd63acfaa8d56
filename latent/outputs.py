"""Where commands write: never over, above or into anything they did not write.

`train` and `judge` write a bundle folder, `sweep` a JSON file. The target is checked before any
work starts (a refusal takes a second, not the length of a training run) and again just before
the result is moved in:

- a folder may be replaced only when it is absent, empty, or a bundle of the same kind: its
  manifest validates and it holds no file that the manifest does not list. Anything else is
  refused with one line and left exactly as it was;
- never the working folder or a folder above it (`.`, `..`), nor the assets folder itself, nor a
  folder that holds the dataset being read (or, for a folder dataset, one inside it).

A new bundle is written into a hidden sibling folder (`.NAME-XXXXXXXX`); the old one is moved aside,
the new one moved in, and only then is the old one removed, file by file as its manifest lists
them. A reader may find no bundle for an instant, never a mixture of two. A run killed halfway
leaves a hidden folder, which `artifacts.find_bundles` never lists.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from . import artifacts
from .errors import BundleError, OutputError
from .paths import assets_root


def assets_roots() -> list[Path]:
    """The assets folders a command might be pointed at: ./assets and the one the defaults use (latent.paths)."""
    return [Path("assets").resolve(), assets_root().resolve()]


def _inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or somewhere below it (both resolved)."""
    return path == folder or folder in path.parents


def check_bundle_target(
    out: str | os.PathLike, *, kind: str = "bundle", contains: Iterable[Path] = (), inside: Iterable[Path] = ()
) -> None:
    """Refuse, with one line, an output folder that a new `kind` ("bundle" or "judge") may not replace.

    `contains`: folders being read that `out` must not be or hold (the data); `inside`: folders that
    `out` must not be placed in either (a folder dataset would read the bundle as a new class).
    """
    out = Path(out)
    target = out.resolve()
    refuse = f"refusing to write the {_what(kind)} to {out}"
    cwd = Path.cwd().resolve()
    if _inside(cwd, target):
        raise OutputError(
            f"{refuse}: it is the working folder or a folder above it; give a new folder, e.g. --out assets/NAME"
        )
    if target in assets_roots():
        raise OutputError(
            f"{refuse}: it is the assets folder that holds every bundle; give a folder inside it, "
            f"e.g. --out assets/NAME"
        )
    for data in contains:
        data = Path(data).resolve()
        if _inside(data, target):
            raise OutputError(f"{refuse}: it holds the dataset being read ({data}); give another folder")
    for data in inside:
        data = Path(data).resolve()
        if _inside(target, data):
            raise OutputError(f"{refuse}: it is inside the dataset being read ({data}); give another folder")
    unwritable = _writable_place(out)
    if unwritable:
        raise OutputError(f"{refuse}: {unwritable}")
    problem = replace_problem(out, kind)
    if problem:
        raise OutputError(
            f"{refuse}: {problem}; nothing was changed. Give a new or empty folder, or move what is there away first"
        )


def replace_problem(out: Path, kind: str = "bundle") -> str | None:
    """Why `out` may not be replaced by a new `kind`, or None when it is absent, empty or such a bundle."""
    what = _what(kind)
    if out.is_symlink():
        return "it is a symbolic link"
    if not out.exists():
        return None
    if not out.is_dir():
        return "it is a file, not a folder"
    try:
        entries = sorted(p.name for p in out.iterdir())
    except OSError as exc:
        return f"it cannot be listed ({exc.strerror or exc})"
    if not entries:
        return None
    if artifacts.MANIFEST not in entries:
        return f"it is not a {what} written by this tool (it holds {entries[0]} and no {artifacts.MANIFEST})"
    try:
        manifest = artifacts.load_manifest(out, verify=True)
    except BundleError as exc:
        return f"it is not a {what} written by this tool ({exc})"
    if manifest.get("kind", "bundle") != kind:
        return f"it is not a {what}: it holds a {manifest.get('kind', 'model bundle')}"
    listed = {*manifest["files"], artifacts.MANIFEST}
    foreign = [name for name in entries if name not in listed or not (out / name).is_file()]
    if foreign:
        return (
            f"it is not a {what} as written by this tool: it also holds {foreign[0]}"
            + (f" and {len(foreign) - 1} more" if len(foreign) > 1 else "")
            + ", which its manifest does not list"
        )
    return None


def staging_folder(out: Path) -> Path:
    """A new hidden folder beside `out` to write the next bundle into."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot create a folder beside {out} ({exc.strerror or exc})") from None


def _writable_place(out: Path) -> str | None:
    """Why nothing could be written beside `out` (checked before training, not after), or None."""
    place = out.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        return f"{place} is not a folder"
    if not os.access(place, os.W_OK | os.X_OK):
        return f"{place} is not writable"
    return None


def _what(kind: str) -> str:
    return "model bundle" if kind == "bundle" else kind


def swap_in(
    staged: Path,
    out: Path,
    *,
    kind: str = "bundle",
    contains: Iterable[Path] = (),
    inside: Iterable[Path] = (),
    log: Callable[[str], None] = lambda _: None,
) -> None:
    """Move the finished `staged` folder to `out`, replacing what is there only if it may be replaced.

    The old folder is moved aside first and removed only after the new one is in place; if moving
    the new one in fails, the old one is moved back.
    """
    check_bundle_target(out, kind=kind, contains=contains, inside=inside)  # it may have changed during training
    old_files = _listed_files(out)
    aside = None
    try:
        if out.exists():
            aside = out.parent / f".{out.name}-old-{secrets.token_hex(4)}"
            os.rename(out, aside)
        try:
            os.rename(staged, out)
        except BaseException:
            if aside is not None:
                os.rename(aside, out)
            raise
    except OSError as exc:
        raise OutputError(
            f"could not move the new {_what(kind)} into {out} ({exc.strerror or exc}); what was there is unchanged"
        ) from None
    if aside is not None:
        leftover = _remove_listed(aside, old_files)
        if leftover:
            log(f"      kept {aside}: something unexpected appeared in the old folder during the run ({leftover})")


def _listed_files(folder: Path) -> list[str]:
    """The files a bundle folder's manifest lists, plus the manifest (empty for an absent/empty folder)."""
    if not (folder / artifacts.MANIFEST).is_file():
        return []
    manifest = artifacts.load_manifest(folder, verify=False)
    return [*manifest["files"], artifacts.MANIFEST]


def _remove_listed(folder: Path, names: list[str]) -> str | None:
    """Delete exactly the listed files, then the folder if that leaves it empty; else name what is left."""
    for name in names:
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass
    try:
        folder.rmdir()
    except OSError:
        rest = sorted(p.name for p in folder.iterdir())
        return ", ".join(rest[:3]) or "unknown"
    return None


def discard(staged: Path) -> None:
    """Remove a staging folder this run created (only ever called on one)."""
    shutil.rmtree(staged, ignore_errors=True)


def leftovers(out: Path) -> list[Path]:
    """Hidden staging folders of earlier runs beside `out` (kept: another run may still be writing)."""
    if not out.parent.is_dir():
        return []
    return sorted(p for p in out.parent.glob(f".{out.name}-*") if p.is_dir())


# --------------------------------------------------------------------------- single files


def check_file_target(path: str | os.PathLike, *, is_ours: Callable[[dict], bool], what: str) -> None:
    """Refuse, with one line, to overwrite a file that is not a JSON document this tool wrote."""
    path = Path(path)
    refuse = f"refusing to write the {what} to {path}"
    if path.is_symlink():
        raise OutputError(f"{refuse}: it is a symbolic link")
    if not path.exists():
        return
    if path.is_dir():
        raise OutputError(f"{refuse}: it is a folder; give a file name, e.g. {path / 'sweep.json'}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError):
        doc = None
    if not isinstance(doc, dict) or not is_ours(doc):
        raise OutputError(
            f"{refuse}: it is not a {what} written by this tool; nothing was changed. Give a new "
            f"file name, or move it away first"
        )


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` beside `path` and move it into place: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
