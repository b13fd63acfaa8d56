"""Where the shipped bundles, judges and sweeps live: one answer for the command line and the app.

`assets_root()` is the folder every default reads and writes: $LATENT_ASSETS_DIR when it is set,
else the `assets/` folder beside this package (a checkout, or an editable install of one), else
`./assets` (a package installed on its own). So a sweep or a judge made from any working folder is
the one the dashboard's report page shows, and `--model mnist` names the shipped MNIST bundle.
"""

from __future__ import annotations

import os
from pathlib import Path

ASSETS_ENV = "LATENT_ASSETS_DIR"
CACHE_ENV = "LATENT_CACHE_DIR"
CHECKOUT_ASSETS = Path(__file__).resolve().parent.parent / "assets"


def assets_root() -> Path:
    """The assets folder that holds one folder per bundle, plus judges/ and sweeps/."""
    value = os.environ.get(ASSETS_ENV)
    if value:
        return Path(value).expanduser()
    return CHECKOUT_ASSETS if CHECKOUT_ASSETS.is_dir() else Path("assets")


def cache_root() -> Path:
    """The per-user cache: downloaded datasets (data/<name>/) and generated inputs (inputs-*.npz).
    $LATENT_CACHE_DIR when it is set, else ~/.cache/latent-explorer. Everything there can be rebuilt."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "latent-explorer"


def judges_root() -> Path:
    """The folder of the judge CNNs, one per dataset (`python -m latent judge`)."""
    return assets_root() / "judges"


def sweeps_root() -> Path:
    """The folder of the latent-size sweeps, one JSON file per dataset (`python -m latent sweep`)."""
    return assets_root() / "sweeps"


def bundle_path(value: str | os.PathLike) -> Path:
    """A model bundle named on the command line: a path to its folder, or the name of one in the assets folder.

    A folder that exists wins; a bare name (no separator) that is not one names `assets_root() / name`.
    Anything else is returned as given, so loading it fails with the usual message.
    """
    path = Path(value).expanduser()
    if path.exists() or len(path.parts) != 1 or path.name in ("", ".", ".."):
        return path
    shipped = assets_root() / path
    return shipped if shipped.exists() else path
