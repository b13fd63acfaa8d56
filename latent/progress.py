"""Progress bars that show on a terminal and stay out of logs and pipes."""

from __future__ import annotations


def progress_bar(iterable=None, *, enabled: bool = True, **kwargs):
    """A tqdm bar, drawn only when `enabled` and stderr is a terminal (tqdm's disable=None)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=None if enabled else True, leave=False, **kwargs)
