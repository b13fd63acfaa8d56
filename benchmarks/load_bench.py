"""Load benchmark: N students using one dashboard process at once, measured inside the server.

    python benchmarks/load_bench.py                                  # N = 1, 8, 20, 50; 120 s each
    python benchmarks/load_bench.py --sessions 20 --duration 60 --json load.json
    python benchmarks/load_bench.py --sessions 8 --st-option runner.postScriptGC=true   # compare a setting

For each N a fresh `streamlit run app.py` (headless, a free port, `--model` as the default bundle) is
started through `benchmarks/load_server.py`, which timestamps inside the server when each rerun
request arrives and when the last message of its answer leaves (queueing included). N sessions are
then driven without a browser, over Streamlit's own websocket protocol (`benchmarks/st_client.py`):
each opens the app at a page, then visits all eight pages in its own order, with a think time
(default 2-5 s) before every action, and on the way:

- **draws** on the Draw page: the canvas value the browser sends (fabric.js JSON + a PNG data URL of
  the 280x280 canvas), a different digit per session and drawing; checks that the answer shown
  (class or "none", and its log-likelihood to 2 decimals) is the one the model gives that very
  image in this process, so a session seeing another's drawing would fail;
- **clears** the canvas (the Clear button) between two drawings;
- **moves the Morph slider** to a t of its own; checks "Frame at t = <its t>" and a new frame image;
- **clicks the Latent map**: a test image or a style marker picked from the figure it received
  (plotly's selection event, with customdata); checks the panel names what it clicked.

Every answer is also checked for exception elements, `st.error` boxes, a page title, a finished
run, and (like a browser) its images are fetched. Before the measured phase one session visits
everything once (first-visit costs: model load, caches); those times are reported apart.

Reported per N: server time per interaction (p50 / p95 / max, per kind and overall) and where it
went (waiting for the script thread, the script, sending), the client's round trip, server RSS
(before any visitor, warm and idle, peak VmHWM, sampled max; child processes included), CPU used by
the server and by this client. Targets (issue 10): at N = 20, p95 <= 150 ms and RSS <= 1.5 GB.
Exit status 1 when any check failed (exceptions, wrong answers, lost connections); 0 otherwise,
also when a target is missed (use --fail-on-target to make that an error).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import io
import json
import math
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from st_client import RunResult, StreamlitSession, plotly_spec  # noqa: E402

TARGET_P95_MS, TARGET_RSS_MB, TARGET_N = 150.0, 1536.0, 20
PAGE_TITLES = {
    "": "Latent Explorer",
    "latent_map": "Latent map",
    "styles": "Styles",
    "morph": "Morph",
    "sampling": "Sampling & manifold",
    "similarity": "Class similarity",
    "draw": "Draw",
    "report": "Model report",
}
KINDS = ["first load", "open page", "draw", "clear canvas", "morph slider", "map click"]
BRUSH = 19  # the Draw page's stroke_width
CANVAS = 280


# --------------------------------------------------------------------------- drawings


@dataclass
class Drawing:
    """One canvas drawing as the browser sends it, and the answer the model must give it."""

    digit: str
    value: str  # the canvas widget's JSON value: {"drawing": {"raw": fabric JSON, "data": PNG data URL}}
    expected_name: str  # the class shown, or "none"
    expected_score: float  # the confidence shown, in whole percent (none for a "none")


# Where people draw on the canvas (left, top, right, bottom as fractions), nudged a little per variant.
BOXES = [(0.2, 0.1, 0.8, 0.9), (0.05, 0.05, 0.45, 0.5), (0.5, 0.45, 0.95, 0.95), (0.1, 0.2, 0.6, 0.95)]
NUDGES = [(0.0, 0.0), (0.03, 0.0), (0.0, 0.03)]


def _fabric_path(points, color: str = "#FFFFFF") -> dict:
    """A freehand stroke as fabric.js 6 serialises it (the canvas's `raw` JSON)."""
    pts = np.asarray(points, dtype=float)
    dense = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:], strict=True):  # one point every ~4 px, as mouse moves arrive
        n = max(1, int(np.hypot(*(b - a)) // 4))
        dense.extend(a + (b - a) * (i / n) for i in range(1, n + 1))
    dense = np.round(np.asarray(dense), 1)
    lo, hi = dense.min(0), dense.max(0)
    path = [["M", *dense[0].tolist()]] + [
        ["Q", *p.tolist(), *q.tolist()] for p, q in zip(dense[:-1], dense[1:], strict=True)
    ]
    path.append(["L", *dense[-1].tolist()])
    return {
        "type": "Path",
        "version": "6.7.1",
        "originX": "left",
        "originY": "top",
        "left": float(lo[0] - BRUSH / 2),
        "top": float(lo[1] - BRUSH / 2),
        "width": float(hi[0] - lo[0]),
        "height": float(hi[1] - lo[1]),
        "fill": None,
        "stroke": color,
        "strokeWidth": BRUSH,
        "strokeDashArray": None,
        "strokeLineCap": "round",
        "strokeDashOffset": 0,
        "strokeLineJoin": "round",
        "strokeUniform": False,
        "strokeMiterLimit": 10,
        "scaleX": 1,
        "scaleY": 1,
        "angle": 0,
        "flipX": False,
        "flipY": False,
        "opacity": 1,
        "shadow": None,
        "visible": True,
        "backgroundColor": "",
        "fillRule": "nonzero",
        "paintFirst": "fill",
        "globalCompositeOperation": "source-over",
        "skewX": 0,
        "skewY": 0,
        "path": path,
    }


def make_drawings(model_dir: Path) -> list[Drawing]:
    """Every digit in every place (120 variants), each with the answer the model gives it here."""
    import torch
    from PIL import Image, ImageDraw

    from latent.bundle.model import LatentModel
    from latent.bundle.reading import read_input
    from latent.inputs.preprocess import rgba_to_gray, to_model_input
    from tests.drawing import STROKES

    torch.set_num_threads(1)  # this process is the client: leave the cores to the server
    model = LatentModel.load(model_dir)
    digits = [d for d in "0123456789" if d in STROKES]
    variants, inputs = [], []
    for j in range(len(digits) * len(BOXES) * len(NUDGES)):
        digit = digits[j % len(digits)]
        (left, top, right, bottom), (dx, dy) = (
            BOXES[(j // len(digits)) % len(BOXES)],
            NUDGES[j // (len(digits) * len(BOXES))],
        )
        img = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 255))  # background_color="#000000" is drawn in
        pen = ImageDraw.Draw(img)
        strokes = []
        for stroke in STROKES[digit]:
            pts = [
                ((left + dx + x * (right - left)) * CANVAS, (top + dy + y * (bottom - top)) * CANVAS) for x, y in stroke
            ]
            pen.line(pts, fill=(255, 255, 255, 255), width=BRUSH, joint="curve")
            for x, y in pts:
                pen.ellipse((x - BRUSH / 2, y - BRUSH / 2, x + BRUSH / 2, y + BRUSH / 2), fill=(255, 255, 255, 255))
            strokes.append(_fabric_path(pts))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        png = buf.getvalue()
        raw = {"version": "6.7.1", "objects": strokes, "background": "#000000"}
        value = json.dumps({"drawing": {"raw": raw, "data": "data:image/png;base64," + base64.b64encode(png).decode()}})
        variants.append((digit, value))
        # the page's own path: PNG -> RGBA array -> gray -> 28x28 (then encode, classify at the calibrated threshold)
        inputs.append(to_model_input(rgba_to_gray(np.asarray(Image.open(io.BytesIO(png))))))
    readings = [read_input(model, x) for x in inputs]  # the page's answer: every "none" test, calibrated %
    return [
        Drawing(digit, value, r.name if r.label >= 0 else "none", round(100 * float(r.proba.max())))
        for (digit, value), r in zip(variants, readings, strict=True)
    ]


def canvas_key(result: RunResult) -> str | None:
    """The widget key of the Draw page's canvas in a page's answer (it ends in a number that "Clear"
    bumps, so it is read from the page), or None when the page has no canvas."""
    canvas = next((e for e in result.elements if e.kind == "bidi_component" and "-draw_canvas_" in e.widget_id), None)
    return None if canvas is None else canvas.widget_id.rsplit("-", 1)[1]


ANSWER = re.compile(r"^### (?:It's a \*\*(?P<name>.+?)\*\*\s+(?P<score>\d+)% sure|(?P<none>none of these))", re.S)


def shown_answer(result: RunResult) -> tuple[str, float] | None:
    """(class or "none", confidence in %) from the Draw page's result box, or None when there is none."""
    for text in result.texts():
        m = ANSWER.match(text)
        if m:
            return ("none", -1.0) if m["none"] else (m["name"], float(m["score"]))
    return None


def answer_problems(answer: tuple[str, float] | None, drawing: Drawing) -> list[str]:
    """Why the answer shown is not the one this drawing gets (none when it is)."""
    if answer is None:
        return ["no answer shown for the drawing"]
    name, score = answer
    if name != drawing.expected_name or (name != "none" and abs(score - drawing.expected_score) > 1):
        return [
            f"answer {name} ({score:.0f} %) is not this session's: {drawing.expected_name} "
            f"({drawing.expected_score:.0f} %) for its {drawing.digit}"
        ]
    return []


# --------------------------------------------------------------------------- a visitor


@dataclass
class Action:
    """One rerun a visitor asked for, as the client saw it."""

    kind: str
    page: str
    client_ms: float
    sent: float  # time.monotonic()
    ok: bool = True
    problem: str = ""
    digit_right: bool | None = None  # draw only: did the model name the digit that was drawn?


@dataclass
class Visitor:
    """One student: opens the app, walks through every page, draws, moves the morph, clicks the map."""

    index: int
    url: str
    drawings: list[Drawing]
    deadline: float
    think: tuple[float, float] = (2.0, 5.0)
    seed: int = 0
    media: bool = True
    tour: bool = False  # the warm-up: every page and interaction once, no thinking
    actions: list[Action] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    session_id: str | None = None

    def __post_init__(self):
        self.rng = random.Random(self.seed * 1_000_003 + self.index)
        self.n_drawn = 0  # drawings made so far (picks the next one)
        self.t = 0.5  # the morph slider's value (it keeps it across visits: persist_state)
        self.frame_url = None  # the morph frame shown last
        self._last_action: Action | None = None
        self._last_digit_right: bool | None = None

    async def run(self, start_delay: float = 0.0) -> None:
        await asyncio.sleep(start_delay)
        s = StreamlitSession(self.url)
        try:
            await s.connect()
            pages = list(PAGE_TITLES)
            first = "" if self.tour else self.rng.choice(pages)
            await self._act(s, "first load", first, s.open(first), self._check_title(first))
            self.session_id = s.session_id
            await self._interact(s, first)
            current = first
            while not self._over():
                if not self.tour:
                    self.rng.shuffle(pages)
                for page in pages:
                    if self._over():
                        break
                    if page == current:
                        continue
                    await self._think()
                    await self._act(s, "open page", page, s.switch_page(page), self._check_title(page))
                    await self._interact(s, page)
                    current = page
                if self.tour:
                    break
        except Exception as exc:  # a lost connection, a timeout, an answer the checks could not read
            self.problems.append(f"session {self.index}: {type(exc).__name__}: {exc}")
        finally:
            await s.close()

    def _over(self) -> bool:
        return time.monotonic() >= self.deadline

    async def _think(self) -> None:
        if not self.tour:
            await asyncio.sleep(self.rng.uniform(*self.think))

    async def _interact(self, s: StreamlitSession, page: str) -> None:
        """What a student does on the page just opened (only three pages take input in this mix)."""
        handler = {"draw": self._on_draw, "morph": self._on_morph, "latent_map": self._on_latent_map}.get(page)
        if handler is not None:
            await handler(s)

    async def _act(self, s: StreamlitSession, kind: str, page: str, request, check) -> RunResult:
        result = await request
        action = Action(kind, page, result.client_ms, result.t_sent)
        problems = self._general_problems(result) + (check(result) or [])
        if self.media and result.image_urls():
            problems += [f"GET {u} -> {st}" for u, st in await s.fetch_media(result.image_urls())]
        if problems:
            action.ok, action.problem = False, "; ".join(problems)
            self.problems.append(f"session {self.index}, {kind} on /{page}: {action.problem}")
        self.actions.append(action)
        self._last_action = action
        return result

    @staticmethod
    def _general_problems(result: RunResult) -> list[str]:
        out = [f"exception shown: {e}" for e in result.exceptions()]
        out += [f"error shown: {e}" for e in result.error_alerts()]
        if result.page_not_found:
            out.append("page not found")
        if result.status not in FINISHED_OK:
            out.append(f"script finished with status {result.status}")
        return out

    @staticmethod
    def _check_title(page: str):
        def check(result: RunResult):
            title = PAGE_TITLES[page]
            return [] if title in result.headings() else [f"page title {title!r} missing (got {result.headings()})"]

        return check

    # ---------------------------------------------------------------- Draw: draw, clear, draw another

    async def _on_draw(self, s: StreamlitSession) -> None:
        for k in range(2):
            if self._over() and not self.tour:
                return
            if k:
                await self._think()
                await self._clear(s)
            await self._think()
            await self._draw(s)

    async def _draw(self, s: StreamlitSession) -> None:
        drawing = self.drawings[(self.index + 37 * self.n_drawn) % len(self.drawings)]
        self.n_drawn += 1
        key = canvas_key(s.last)
        if key is None:
            self.problems.append(f"session {self.index}: no canvas on the Draw page")
            return

        def check(result: RunResult):
            answer = shown_answer(result)
            self._last_digit_right = answer is not None and answer[0] == drawing.digit
            return answer_problems(answer, drawing)

        self._last_digit_right = None
        await self._act(s, "draw", "draw", s.set_widget(key, json_value=drawing.value), check)
        self._last_action.digit_right = self._last_digit_right

    async def _clear(self, s: StreamlitSession) -> None:
        before = next((e.widget_id for e in s.last.elements if "-draw_canvas_" in e.widget_id), "")

        def check(result: RunResult):
            now = next((e.widget_id for e in result.elements if "-draw_canvas_" in e.widget_id), "")
            if now == before or shown_answer(result) is not None:
                return ["Clear did not give a fresh, empty canvas"]
            return []

        await self._act(s, "clear canvas", "draw", s.click("draw_clear"), check)

    # ---------------------------------------------------------------- Morph: three slider moves

    async def _on_morph(self, s: StreamlitSession) -> None:
        self.frame_url = None
        for _ in range(3):
            if self._over() and not self.tour:
                return
            await self._think()
            t = self.t
            while abs(t - self.t) < 0.05:  # a move of its own, far enough for a new frame
                t = round(self.rng.uniform(0.0, 1.0), 2)
            self.t = t
            previous = self.frame_url or self._frame_url(s.last)

            def check(result: RunResult, t=t, previous=previous):
                label = f"Frame at t = {t:.2f}"
                if label not in result.texts():
                    return [f"{label!r} not shown"]
                self.frame_url = self._frame_url(result)
                if not self.frame_url or self.frame_url == previous:
                    return ["the morph frame did not change"]
                return []

            await self._act(s, "morph slider", "morph", s.set_widget("morph_t", double_array_value=[t]), check)

    @staticmethod
    def _frame_url(result: RunResult) -> str | None:
        """The frame image: the image just before the "Frame at t" metric."""
        url = None
        for e in result.elements:
            if e.kind == "imgs" and e.proto.imgs:
                url = e.proto.imgs[0].url
            elif e.kind == "metric" and e.proto.label.startswith("Frame at t"):
                return url
        return None

    # ---------------------------------------------------------------- Latent map: click a dot, then a style

    async def _on_latent_map(self, s: StreamlitSession) -> None:
        for kind in ("point", "style", "spot"):
            if self._over() and not self.tour:
                return
            await self._think()
            chart = s.last.widget("map_chart")
            if chart is None:
                self.problems.append(f"session {self.index}: no map chart on the Latent map page")
                return
            selection, expected = self._pick(chart, kind)
            await self._act(
                s,
                "map click",
                "latent_map",
                s.set_widget("map_chart", string_value=json.dumps(selection)),
                lambda r, expected=expected: (
                    [] if any(expected in t for t in r.texts()) else [f"{expected!r} not shown after the click"]
                ),
            )

    def _pick(self, chart, kind: str) -> tuple[dict, str]:
        """A plotly selection event for one marker of the figure, and the text the panel must then show."""
        traces = _clickable(chart)
        want = {"point": 0, "style": 1, "spot": 2}[kind]
        options = [t for t in traces if t["kind"] == want] or traces
        trace = self.rng.choice(options)
        j = self.rng.randrange(len(trace["custom"]))
        custom = [int(v) if float(v).is_integer() else float(v) for v in trace["custom"][j]]  # as JSON.stringify
        point = {
            "curve_number": trace["curve"],
            "point_number": j,
            "point_index": j,
            "x": trace["x"][j],
            "y": trace["y"][j],
            "customdata": {str(i): v for i, v in enumerate(custom)},
            "legendgroup": trace["legendgroup"],
        }
        selection = {"selection": {"points": [point], "point_indices": [j], "box": [], "lasso": []}}
        if trace["kind"] == 0:
            return selection, f"**Test image {int(custom[1])}**"
        if trace["kind"] == 2:  # an empty spot of the map: the panel decodes it
            return selection, "**This spot**"
        return selection, f"**Class {trace['name'].removesuffix(' · styles')}, style {int(custom[2])}**"


_SPEC_CACHE: dict[str, list] = {}


def _clickable(chart) -> list[dict]:
    """The figure's marker traces that carry customdata [kind, index, ...] (parsed once per figure)."""
    if chart.msg_hash not in _SPEC_CACHE:
        spec = plotly_spec(chart)
        traces = []
        for curve, tr in enumerate(spec.get("data", [])):
            if "customdata" not in tr or tr.get("mode") != "markers":
                continue
            custom = _array(tr["customdata"])
            traces.append(
                {
                    "curve": curve,
                    "kind": int(custom[0][0]),
                    "custom": custom.tolist(),
                    "x": _array(tr["x"]).tolist(),
                    "y": _array(tr["y"]).tolist(),
                    "name": tr.get("name", ""),
                    "legendgroup": tr.get("legendgroup"),
                }
            )
        _SPEC_CACHE[chart.msg_hash] = traces
    return _SPEC_CACHE[chart.msg_hash]


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"} (plotly >= 6)."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return arr.reshape([int(n) for n in str(shape).split(",")]) if shape else arr
    return np.asarray(value)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` through the timing wrapper, on a free port, with its memory sampled."""

    def __init__(
        self,
        model: Path,
        workdir: Path,
        *,
        options: list[str] = (),
        profile: Path | None = None,
        startup_timeout: float = 120.0,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = workdir / "times.jsonl"
        self.output = workdir / "server.log"
        env = {**os.environ, "LOAD_BENCH_LOG": str(self.log), "PYTHONUNBUFFERED": "1"}
        if profile:
            env["LOAD_BENCH_PROFILE"] = str(profile)
        cmd = [
            sys.executable,
            str(ROOT / "benchmarks" / "load_server.py"),
            str(ROOT / "app.py"),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        for opt in options:
            key, _, value = opt.partition("=")
            cmd += [f"--{key}", value]
        cmd += ["--", "--model", str(model)]
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.sampler = MemorySampler(self.proc.pid)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not start:\n{self.output.read_text()[-3000:]}")
            time.sleep(0.2)
        self.sampler.start()

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in _family(self.proc.pid))

    def stop(self) -> None:
        self.sampler.stop()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def records(self) -> tuple[dict[str, list[dict]], list[dict]]:
        """The wrapper's log: {session id: [finished runs in order]}, and the after-run records."""
        runs: dict[str, list[dict]] = {}
        after = []
        if self.log.exists():
            for line in self.log.read_text().splitlines():
                rec = json.loads(line)
                if "after_script" in rec:
                    after.append(rec)
                else:
                    runs.setdefault(rec["sid"], []).append(rec)
        for recs in runs.values():
            recs.sort(key=lambda r: r["seq"])
        return runs, after

    def exceptions_logged(self) -> list[str]:
        text = self.output.read_text() if self.output.exists() else ""
        return [line for line in text.splitlines() if line.startswith("Traceback")]


def _family(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _status_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class MemorySampler(threading.Thread):
    """Samples VmRSS of the server and its children every `interval` s; keeps the max."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_kb = 0
        self._stop_event = threading.Event()

    def rss_kb(self) -> int:
        return sum(_status_kb(p, "VmRSS") for p in _family(self.pid))

    def hwm_kb(self) -> int:
        return sum(_status_kb(p, "VmHWM") for p in _family(self.pid))

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.max_kb = max(self.max_kb, self.rss_kb())

    def stop(self) -> None:
        self._stop_event.set()


# --------------------------------------------------------------------------- one N


def percentiles(values) -> dict:
    if not values:
        return {"n": 0}
    v = np.asarray(values, dtype=float)
    p50, p95 = np.percentile(v, [50, 95])
    return {
        "n": int(len(v)),
        "p50": round(float(p50), 1),
        "p95": round(float(p95), 1),
        "max": round(float(v.max()), 1),
        "mean": round(float(v.mean()), 1),
    }


def match(visitors: list[Visitor], runs: dict[str, list[dict]], problems: list[str]) -> list[dict]:
    """Join each client action with the server's record of the same rerun (same session, same order)."""
    rows = []
    for v in visitors:
        recs = runs.get(v.session_id or "", [])
        if len(recs) != len(v.actions):
            problems.append(
                f"session {v.index}: the client made {len(v.actions)} requests, "
                f"the server logged {len(recs)} finished runs"
            )
        for a, rec in zip(v.actions, recs, strict=False):
            if not a.sent - 0.001 <= rec["recv"] <= rec["finished"] <= a.sent + a.client_ms / 1000 + 0.001:
                problems.append(
                    f"session {v.index}: the server's record of its {a.kind} request "
                    f"({(rec['recv'] - a.sent) * 1000:+.1f} ms, "
                    f"{(rec['finished'] - a.sent) * 1000 - a.client_ms:+.1f} ms) does not lie inside the "
                    "client's round trip (requests matched wrongly?)"
                )
            rows.append(
                {
                    "kind": a.kind,
                    "page": a.page,
                    "ok": a.ok,
                    "client_ms": a.client_ms,
                    "server_ms": _ms(rec["recv"], rec["finished"]),
                    "wait_ms": _ms(rec["recv"], rec["start"]),
                    "script_ms": _ms(rec["start"], rec["end"]),
                    "send_ms": _ms(rec["end"], rec["finished"]),
                    "cpu_ms": rec["cpu"] * 1000,
                    "bytes": rec["bytes"],
                    "digit_right": a.digit_right,
                }
            )
    return rows


def _ms(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else (end - start) * 1000


def summarise(rows: list[dict]) -> dict:
    out = {}
    for kind in [*KINDS, "all"]:
        sel = [r for r in rows if kind == "all" or r["kind"] == kind]
        if not sel:
            continue
        out[kind] = {
            "server_ms": percentiles([r["server_ms"] for r in sel]),
            "client_ms": percentiles([r["client_ms"] for r in sel]),
            "wait_ms_mean": _mean(r["wait_ms"] for r in sel),
            "script_ms_mean": _mean(r["script_ms"] for r in sel),
            "send_ms_mean": _mean(r["send_ms"] for r in sel),
            "script_cpu_ms_mean": _mean(r["cpu_ms"] for r in sel),
            "kb_mean": round(float(np.mean([r["bytes"] for r in sel])) / 1024, 1),
        }
    pages = sorted({r["page"] for r in rows if r["kind"] == "open page"})
    out["open page, by page"] = {}
    for p in pages:
        sel = [r for r in rows if r["kind"] == "open page" and r["page"] == p]
        out["open page, by page"][p] = {
            **percentiles([r["server_ms"] for r in sel]),
            "script_cpu_ms_mean": _mean(r["cpu_ms"] for r in sel),
        }
    return out


def _mean(values) -> float | None:
    v = [x for x in values if x is not None]
    return round(float(np.mean(v)), 1) if v else None


async def _drive(visitors: list[Visitor], stagger: float) -> None:
    rng = random.Random(len(visitors))
    await asyncio.gather(*(v.run(rng.uniform(0, stagger) if stagger else 0.0) for v in visitors))


def run_load(n: int, args, drawings: list[Drawing], workdir: Path) -> dict:
    """Start a server, warm it with one tour, drive n visitors for args.duration s, collect everything."""
    profile = Path(args.profile) / f"n{n}" if args.profile else None
    server = Server(Path(args.model).resolve(), workdir, options=args.st_option, profile=profile)
    problems: list[str] = []
    try:
        time.sleep(1.0)
        rss_start = server.sampler.rss_kb()
        tour = Visitor(-1, server.url, drawings, deadline=math.inf, seed=args.seed, media=not args.no_media, tour=True)
        t = time.monotonic()
        _run_async(tour.run())
        warmup_s = time.monotonic() - t
        problems += tour.problems
        time.sleep(1.0)
        rss_warm = server.sampler.rss_kb()
        if profile:
            server.proc.send_signal(signal.SIGUSR1)  # profile the measured phase only
        think = tuple(args.think)
        deadline_start = time.monotonic()
        stagger = min(think[1], args.duration / 4)
        visitors = [
            Visitor(
                i,
                server.url,
                drawings,
                deadline=deadline_start + args.duration,
                think=think,
                seed=args.seed,
                media=not args.no_media,
            )
            for i in range(n)
        ]
        cpu_server0, cpu_client0, t0 = server.cpu_seconds(), time.process_time(), time.monotonic()
        _run_async(_drive(visitors, stagger))
        elapsed = time.monotonic() - t0
        cpu_server, cpu_client = server.cpu_seconds() - cpu_server0, time.process_time() - cpu_client0
        time.sleep(2.0)
        rss_after = server.sampler.rss_kb()
        rss_peak_sampled = server.sampler.max_kb
        rss_hwm = server.sampler.hwm_kb()
    finally:
        server.stop()
    runs, after = server.records()
    for v in visitors:
        problems += v.problems
    rows = match(visitors, runs, problems)
    tour_rows = match([tour], runs, problems)
    draws = [r for r in rows if r["kind"] == "draw"]
    after_ms = [a["after_script"] * 1000 for a in after]
    return {
        "sessions": n,
        "duration_s": round(elapsed, 1),
        "requests": len(rows),
        "requests_per_s": round(len(rows) / elapsed, 2) if elapsed else None,
        "interactions": summarise(rows),
        "first_visits": [
            {"kind": r["kind"], "page": r["page"], "server_ms": round(r["server_ms"] or 0)} for r in tour_rows
        ],
        "warmup_s": round(warmup_s, 1),
        "after_run_ms": percentiles(after_ms),
        "drawings": {"checked": len(draws), "same_digit_as_drawn": sum(bool(r["digit_right"]) for r in draws)},
        "rss_mb": {
            "start": round(rss_start / 1024),
            "warm_idle": round(rss_warm / 1024),
            "peak_hwm": round(rss_hwm / 1024),
            "peak_sampled": round(rss_peak_sampled / 1024),
            "after": round(rss_after / 1024),
        },
        "cpu_cores": {
            "server": round(cpu_server / elapsed, 2) if elapsed else None,
            "client": round(cpu_client / elapsed, 2) if elapsed else None,
        },
        "server_log_errors": server.exceptions_logged(),
        "problems": problems,
    }


# --------------------------------------------------------------------------- report


def print_report(results: dict) -> None:
    print(
        f"\nLoad benchmark — {results['model']}\n{results['machine']}; load average before: "
        f"{results['loadavg_before']}\nthink time {results['think_s'][0]}-{results['think_s'][1]} s, "
        f"{results['duration_s']} s per N. Server time = request received -> last message of the answer sent, "
        f"measured inside the server (ms).\n"
    )
    for r in results["runs"]:
        rss, cpu = r["rss_mb"], r["cpu_cores"]
        print(
            f"N = {r['sessions']}: {r['requests']} requests in {r['duration_s']} s ({r['requests_per_s']}/s); "
            f"CPU cores used: server {cpu['server']}, this client {cpu['client']}"
        )
        print(
            f"  {'kind':<14} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}   {'wait':>6} {'script':>7} {'send':>6} "
            f"{'cpu':>6}  {'KB':>6}   client p50/p95"
        )
        for kind, s in r["interactions"].items():
            if kind == "open page, by page":
                continue
            sv, cl = s["server_ms"], s["client_ms"]
            print(
                f"  {kind:<14} {sv['n']:>5} {sv['p50']:>8.1f} {sv['p95']:>8.1f} {sv['max']:>8.1f}   "
                f"{_f(s['wait_ms_mean']):>6} {_f(s['script_ms_mean']):>7} {_f(s['send_ms_mean']):>6} "
                f"{_f(s['script_cpu_ms_mean']):>6}  {s['kb_mean']:>6.0f}   {cl['p50']:.0f}/{cl['p95']:.0f}"
            )
        by_page = ", ".join(
            f"{PAGE_TITLES.get(p, p)} {s['p50']:.0f}/{s['p95']:.0f}/{_f(s['script_cpu_ms_mean'])}"
            for p, s in r["interactions"].get("open page, by page", {}).items()
            if s.get("n")
        )
        print(f"  open page by page, p50/p95/script cpu: {by_page}")
        print(
            f"  after each run, the script thread's cleanup + GC (ms): p50 {r['after_run_ms'].get('p50', '-')}, "
            f"p95 {r['after_run_ms'].get('p95', '-')}"
        )
        print(
            f"  RSS MB: start {rss['start']}, warm idle {rss['warm_idle']}, peak {rss['peak_hwm']} (VmHWM; sampled "
            f"max {rss['peak_sampled']}), after {rss['after']}"
        )
        first = ", ".join(
            f"{v['kind'] if v['kind'] != 'open page' else PAGE_TITLES[v['page']]} {v['server_ms']}"
            for v in r["first_visits"]
        )
        print(f"  warm-up, one session, cold caches ({r['warmup_s']} s), server ms: {first}")
        d = r["drawings"]
        print(
            f"  drawings checked against this session's own answer: {d['checked']} "
            f"(the model named the digit drawn in {d['same_digit_as_drawn']})"
        )
        if r["sessions"] == TARGET_N:
            p95 = r["interactions"].get("all", {}).get("server_ms", {}).get("p95", math.inf)
            print(
                f"  targets at N = {TARGET_N}: p95 {p95:.0f} ms <= {TARGET_P95_MS:.0f}: "
                f"{'met' if p95 <= TARGET_P95_MS else 'MISSED'}; RSS {rss['peak_hwm']} MB <= {TARGET_RSS_MB:.0f}: "
                f"{'met' if rss['peak_hwm'] <= TARGET_RSS_MB else 'MISSED'}"
            )
        for p in r["problems"][:10] + r["server_log_errors"][:5]:
            print(f"  PROBLEM: {p}")
        if len(r["problems"]) > 10:
            print(f"  ... and {len(r['problems']) - 10} more problems")
        print()


def _f(x) -> str:
    return "-" if x is None else f"{x:.0f}"


def targets_met(results: dict) -> bool:
    for r in results["runs"]:
        if r["sessions"] == TARGET_N:
            p95 = r["interactions"].get("all", {}).get("server_ms", {}).get("p95", math.inf)
            if p95 > TARGET_P95_MS or r["rss_mb"]["peak_hwm"] > TARGET_RSS_MB:
                return False
    return True


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        default=[1, 8, 20, 50],
        metavar="N",
        help="numbers of concurrent sessions, one fresh server each (default: 1 8 20 50)",
    )
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load per N (default 120)")
    parser.add_argument(
        "--model",
        default=str(ROOT / "assets" / "mnist"),
        help="bundle the app opens by default (default: assets/mnist)",
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[2.0, 5.0],
        metavar=("MIN", "MAX"),
        help="think time before each action, seconds, uniform (default: 2 5)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sessions' choices (default 0)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--no-media", action="store_true", help="do not fetch the images as a browser would")
    parser.add_argument(
        "--st-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a streamlit config option for the server, e.g. runner.postScriptGC=true (repeatable)",
    )
    parser.add_argument("--profile", metavar="DIR", help="cProfile the server: DIR/n<N>/{script,loop}.pstats")
    parser.add_argument("--fail-on-target", action="store_true", help="exit 1 also when a target is missed")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.sessions) or args.duration <= 0 or not 0 <= args.think[0] <= args.think[1]:
        parser.error("sessions must be >= 1, duration > 0, and 0 <= think MIN <= MAX")
    if not (Path(args.model) / "manifest.json").is_file():
        parser.error(f"{args.model} is not a model bundle (no manifest.json)")
    return args


# Streamlit's ScriptFinishedStatus: 0 a whole run finished, 3 a fragment's run finished (the morph slider and
# the walk rerun only their fragment); 1 (compile error) and 2 (stopped early for a rerun) are not answers.
FINISHED_OK = (0, 3)


def _run_async(coro):
    """asyncio.run, also from a thread whose event loop is already running (Playwright's sync API
    keeps one running in the test process): then the coroutine runs on a fresh loop in its own thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def bench(args) -> dict:
    drawings = make_drawings(Path(args.model))
    results = {
        "model": str(Path(args.model).resolve()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "think_s": list(args.think),
        "duration_s": args.duration,
        "st_options": args.st_option,
        "runs": [],
    }
    for n in args.sessions:
        with tempfile.TemporaryDirectory(prefix=f"load-bench-n{n}-") as tmp:
            print(f"N = {n}: starting the server and a warm-up visit...", file=sys.stderr, flush=True)
            results["runs"].append(run_load(n, args, drawings, Path(tmp)))
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    results = bench(args)
    print_report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")
    failed = any(r["problems"] or r["server_log_errors"] for r in results["runs"])
    if failed:
        print("error: some checks failed (see PROBLEM lines)", file=sys.stderr)
        return 1
    if args.fail_on_target and not targets_met(results):
        print("error: a target was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
