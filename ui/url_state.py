"""A page's choices in the URL: parse and check query parameters, bind them to session-state keys.

A shared link or a reload restores the exact view: each page calls `bind(key, name, spec)` before the
widget that owns `key`. The URL wins when it says something this session has not written itself (a fresh
session, a pasted link, the lesson's navigation); otherwise the session's value wins (a widget the user
just moved) and is written back to the URL. A parameter that cannot be read falls back to the page's
value with a visible note, never an exception.

The parsing half (`Spec` and its builders) is plain Python, testable without a running app.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

WRITTEN_KEY = "_url_written"  # {session key: the URL values this session wrote for it, the latest last}
HISTORY = 64  # values remembered per key: a browser's URL may lag a few reruns behind what was written
NOTES_KEY = "_url_notes"  # notes of this run about parameters that could not be used


class BadParam(ValueError):
    """A query parameter's value cannot be used; the message says what was expected."""


@dataclass(frozen=True)
class Spec:
    """How one value travels in the URL: `parse` (str -> value, raises BadParam) and `dump` (value -> str,
    or None to leave the parameter out of the URL)."""

    parse: Callable[[str], Any]
    dump: Callable[[Any], str | None] = str


# --------------------------------------------------------------------------- specs (no streamlit)


def integer(lo: int, hi: int, *, step: int = 1) -> Spec:
    """An integer in [lo, hi] (snapped to lo + k * step)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise BadParam(f"a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise BadParam(f"a whole number from {lo} to {hi}")
        return min(lo + round((value - lo) / step) * step, hi)

    return Spec(parse, str)


def number(lo: float, hi: float, *, step: float | None = None, origin: float | None = None, digits: int = 4) -> Spec:
    """A finite number in [lo, hi], snapped to the grid origin + k * step when a step is given."""
    base = lo if origin is None else origin

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise BadParam(f"a number from {lo:g} to {hi:g}") from None
        if not math.isfinite(value) or not lo - 1e-9 <= value <= hi + 1e-9:
            raise BadParam(f"a number from {lo:g} to {hi:g}")
        if step:
            value = base + round((value - base) / step) * step
            if base == round(base, 10):  # a round grid (0, 0.01, …): no float noise such as 0.30000000000000004
                value = round(value, 10)
        return float(min(max(value, lo), hi))

    return Spec(parse, lambda v: f"{float(v):.{digits}f}".rstrip("0").rstrip("."))


def choice(options: Mapping[str, Any]) -> Spec:
    """One of a few named options: {text in the URL: value}."""
    back = {repr(v): k for k, v in options.items()}

    def parse(text: str) -> Any:
        if text in options:
            return options[text]
        raise BadParam("one of " + ", ".join(options))

    return Spec(parse, lambda v: back.get(repr(v)))


def flag(*, omit_false: bool = True) -> Spec:
    """On/off as 1/0 (off left out of the URL when `omit_false`)."""

    def parse(text: str) -> bool:
        if text.strip().lower() in ("1", "true", "on", "yes"):
            return True
        if text.strip().lower() in ("0", "false", "off", "no", ""):
            return False
        raise BadParam("1 or 0")

    return Spec(parse, lambda v: "1" if v else (None if omit_false else "0"))


def class_index(names: Sequence[str]) -> Spec:
    """A class of the model by its name (by its number when names repeat or are not numbers): an index."""
    names = list(names)
    by_name = len(set(names)) == len(names)
    numbers_are_names = any(re.fullmatch(r"\d+", n) for n in names)

    def parse(text: str) -> int:
        if by_name and text in names:
            return names.index(text)
        if not (by_name and numbers_are_names) and re.fullmatch(r"\d+", text) and int(text) < len(names):
            return int(text)
        raise BadParam("a class of this model: " + ", ".join(names[:12]) + (" …" if len(names) > 12 else ""))

    return Spec(parse, lambda i: names[int(i)] if by_name else str(int(i)))


def style_number(order: Sequence[int], *, allow_none: bool = False) -> Spec:
    """A style as shown (1 = the class's most common component, `order` = components by weight) -> component.
    With `allow_none`, 0 stands for None (the page's 'most common style' default)."""
    order = [int(k) for k in order]
    lo = 0 if allow_none else 1

    def parse(text: str) -> int | None:
        j = integer(lo, len(order)).parse(text)
        return None if j == 0 else order[j - 1]

    return Spec(parse, lambda k: "0" if k is None else str(order.index(int(k)) + 1))


def point(lo: float, hi: float, *, lo_y: float | None = None, hi_y: float | None = None) -> Spec:
    """A spot (x, y) written "x,y", inside the given extent."""
    ylo, yhi = (lo if lo_y is None else lo_y), (hi if hi_y is None else hi_y)

    def parse(text: str) -> tuple[float, float]:
        parts = text.split(",")
        if len(parts) != 2:
            raise BadParam("two numbers x,y on the map")
        x = number(lo, hi).parse(parts[0])
        y = number(ylo, yhi).parse(parts[1])
        return x, y

    return Spec(parse, lambda xy: None if xy is None else f"{float(xy[0]):.3f},{float(xy[1]):.3f}")


def optional(spec: Spec) -> Spec:
    """`spec`, or nothing: None is left out of the URL, and "none" (or a blank) in a link sets None."""

    def parse(text: str) -> Any:
        return None if text.strip().lower() in ("", "none") else spec.parse(text)

    return Spec(parse, lambda v: None if v is None else spec.dump(v))


def model_names(paths: Sequence[str]) -> dict[str, str]:
    """{name in a URL: bundle path} for the model picker's bundles: the folder's name, made unique by a
    suffix (-2, -3, …) when two folders share it. A link names a bundle from the list, never a path."""
    names: dict[str, str] = {}
    for path in paths:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).name).strip("-") or "model"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names[name] = path
    return names


def model_spec(paths: Sequence[str]) -> Spec:
    names = model_names(paths)
    back = {p: n for n, p in names.items()}

    def parse(text: str) -> str:
        if text in names:
            return names[text]
        if "/" in text or "\\" in text:
            raise BadParam("the name of a model in the list (a link cannot open a path)")
        raise BadParam("one of " + ", ".join(names))

    return Spec(parse, back.get)


# --------------------------------------------------------------------------- binding (streamlit)


def bind(key: str, name: str, spec: Spec, *, default: Any = None) -> Any:
    """Make session-state `key` follow URL parameter `name`; call it before the widget that owns `key`.

    The URL's value is taken when this session never wrote it (a link, a reload, the lesson) or holds no
    value for `key` (a widget's state is dropped when st.switch_page leaves its page); one that cannot be
    read leaves the session's value (or `default`) with a note. Then the value is written back to the URL
    (`spec.dump` None leaves the parameter out). Returns the value.
    """
    written = st.session_state.setdefault(WRITTEN_KEY, {})
    text = st.query_params.get(name)
    problem = None
    # A value this session wrote itself is not news: the browser sends its URL with every widget change, and
    # after quick key presses that URL can still hold an earlier value than the one just written.
    if text is not None and (text not in written.get(key, ()) or key not in st.session_state):
        try:
            st.session_state[key] = spec.parse(text)
        except BadParam as exc:
            problem = exc
    value = st.session_state[key] if key in st.session_state else default
    write(key, name, spec, value)
    if problem is not None:
        shown = st.query_params.get(name)
        note(
            f"The link's {name}={text!r} cannot be used (expected {problem}); showing "
            + (f"{name}={shown} instead." if shown is not None else "the default instead.")
        )
    return value


def write(key: str, name: str, spec: Spec, value: Any) -> None:
    """Put `value` in the URL as parameter `name` (after the page changed it itself, e.g. on a click)."""
    try:
        out = spec.dump(value)
    except (ValueError, TypeError, IndexError):
        out = None
    if out is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != out:
        st.query_params[name] = out
    seen = st.session_state.setdefault(WRITTEN_KEY, {}).setdefault(key, [])
    if out is not None and (not seen or seen[-1] != out):
        seen.append(out)
        del seen[:-HISTORY]


def follow_link() -> None:
    """Forget what this session wrote, so that the next run takes every parameter of the URL it is sent to
    (the lesson's Next and Previous: their parameters set the view even where the user had it before)."""
    st.session_state[WRITTEN_KEY] = {}


def note(text: str) -> None:
    """A note about the URL, shown once at the top of the page (app.py's `show_notes`)."""
    st.session_state.setdefault(NOTES_KEY, []).append(text)


def start_run() -> None:
    st.session_state[NOTES_KEY] = []


def show_notes(box) -> None:
    """The run's notes as one st.info in `box` (plain text: they quote the URL)."""
    from latent.text import escape_markdown

    notes = st.session_state.get(NOTES_KEY) or []
    if notes:
        box.info("  \n".join(escape_markdown(n) for n in dict.fromkeys(notes)), icon=":material/link_off:")
