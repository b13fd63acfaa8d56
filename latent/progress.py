"""Progress that shows on a terminal as a bar, and in a log or a pipe as a plain line now and then.

A bar redrawn with carriage returns turns a log into noise, but minutes of silence in one (a `calibrate`
run under nohup, CI) look like a hang. So: a tqdm bar on a terminal; elsewhere, once a piece of work
has run for `every` seconds, one line each `every` seconds saying how far it is, and one when it ends.
Work quicker than that prints nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator

EVERY_S = 30.0  # seconds between two progress lines in a log


def _duration(seconds: float) -> str:
    minutes, s = divmod(int(round(seconds)), 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


class LogProgress:
    """The part of tqdm's interface the package uses (iterate, `update`, `set_postfix`, `close`, `with`),
    writing a line to `stream` at most every `every` seconds."""

    def __init__(
        self,
        iterable: Iterable | None = None,
        *,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        every: float = EVERY_S,
        stream=None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.n = 0
        self.postfix = ""
        self.start = self.last = clock()
        self.printed = False
        self.closed = False

    def _line(self, end: str = "") -> str:
        done = f"{self.n}/{self.total}" if self.total is not None else str(self.n)
        extra = f", {self.postfix}" if self.postfix else ""
        return f"{self.desc}: {done} {self.unit}{extra}, {_duration(self.clock() - self.start)}{end}"

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self.printed = True
            print(self._line(), file=self.stream, flush=True)

    def set_postfix(self, **values) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def close(self) -> None:
        if not self.closed and self.printed:
            print(self._line(" (done)"), file=self.stream, flush=True)
        self.closed = True

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable if self.iterable is not None else ():
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_bar(iterable=None, *, enabled: bool = True, every: float = EVERY_S, stream=None, **kwargs):
    """A tqdm bar on a terminal; in a log or a pipe, a `LogProgress` line now and then; nothing when not
    `enabled`."""
    stream = stream if stream is not None else sys.stderr
    if enabled and not _is_terminal(stream):
        names = {k: kwargs[k] for k in ("total", "desc", "unit") if k in kwargs}
        return LogProgress(iterable, every=every, stream=stream, **names)
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=not enabled, leave=False, file=stream, **kwargs)


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
