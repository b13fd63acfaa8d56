"""Each page's server time: its first visit, and each of its interactions, for one visitor.

    python benchmarks/page_speed.py                       # assets/mnist, 5 repeats per interaction
    python benchmarks/page_speed.py --model assets/fashion-mnist --repeat 10 --json speed.json

A fresh `streamlit run app.py` is started through `benchmarks/load_server.py` (timestamps inside the
server: from the rerun request reaching it to the last message of its answer leaving it) and driven
without a browser over Streamlit's websocket protocol (`benchmarks/st_client.py`), which, like the
frontend, reruns only the fragment a widget belongs to. Two visitors in turn:

- the **first** visits every page in a fresh process (cold: model load, figures and caches built),
  after --home-pause seconds on the Home page (a person reading it; the model pages' imports run then);
- the **second** visits them again in the same process (a new session with warm caches: what every
  later student gets), then performs each page's interactions --repeat times (moving a slider to a new
  value each time, pressing buttons, switching options) and the median and max server time of each
  is reported, marked "fragment" when only a fragment reran.

The issue's targets: each interaction's server work <= 100 ms, a slider drag settled <= 0.5 s after the
last key press. The machine's load average is printed with the figures: on a shared machine they are
inflated, so say it when quoting them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latent.artifacts import load_manifest  # noqa: E402
from latent.inputs.catalog import dataset_info  # noqa: E402
from load_bench import Server, canvas_key, make_drawings  # noqa: E402
from st_client import StreamlitSession  # noqa: E402

PAGES = ["", "latent_map", "styles", "morph", "sampling", "similarity", "draw", "report"]


def _slider_values(lo: float, hi: float, n: int) -> list[float]:
    step = (hi - lo) / (n + 1)
    return [round(lo + step * (i + 1), 2) for i in range(n)]


CANVAS = "draw_canvas"  # stands for the Draw page's canvas, whose key (load_bench.canvas_key) is read from the page


def interactions(repeat: int, drawings: list[str] = ()) -> dict[str, list[tuple[str, str, list[dict]]]]:
    """Per page: (name, widget key, the `set_widget` values to send in turn; {"click": True} presses it).
    `drawings`: canvas values (as the browser sends them) the Draw page is given in turn."""
    t_values = [{"double_array_value": [v]} for v in _slider_values(0.0, 1.0, repeat)]
    steps = [{"double_array_value": [v]} for v in _slider_values(0.4, 2.5, repeat)]
    n_samples = [{"double_array_value": [float(4 + i % 8)]} for i in range(1, repeat + 1)]
    click = [{"click": True}] * repeat
    alternate = lambda a, b: [{"string_value": a if i % 2 == 0 else b} for i in range(repeat)]  # noqa: E731
    return {
        "styles": [
            ("choose a class", "styles_class", alternate("3", "0")),
            ("samples per style", "styles_n", n_samples),
            ("resample", "styles_resample", click),
        ],
        "morph": [
            ("move the t slider", "morph_t", t_values),
            ("change the path", "morph_route", alternate("through the data", "straight line")),
            ("change the source class", "morph_source", alternate("5", "3")),
        ],
        "sampling": [
            ("draw new samples", "samp_resample", click),
            ("walk: step size", "walk_step_size", steps),
            ("walk: sampler", "walk_method", alternate("Metropolis", "Langevin")),
            ("walk: new walk", "walk_new", click),
        ],
        "similarity": [("estimate", "sim_method", alternate("closed form (approximate)", "Monte Carlo"))],
        "draw": [("draw a digit", CANVAS, [{"json_value": drawings[i % len(drawings)]} for i in range(repeat)])]
        if drawings
        else [],
        "report": [
            (
                "charts download as",
                "chart_format",
                [{"string_array_value": ["SVG" if i % 2 == 0 else "PNG"]} for i in range(repeat)],
            )
        ],
    }


async def _visit_all(session: StreamlitSession, log: list, home_pause: float = 0.0) -> dict[str, dict]:
    """Open the app, stay `home_pause` seconds on the Home page, then switch to every page in turn; the
    client's round trip and run status per page."""
    out = {}
    first = await session.open("")
    log.append(("open", "", first))
    await asyncio.sleep(home_pause)
    for page in PAGES:
        result = first if page == "" else await session.switch_page(page)
        if page:
            log.append(("visit", page, result))
        out[page or "home"] = {"client_ms": result.client_ms, "errors": result.exceptions() + result.error_alerts()}
    return out


async def _interact(session: StreamlitSession, repeat: int, log: list, drawings: list[str]) -> None:
    for page, actions in interactions(repeat, drawings).items():
        await session.switch_page(page)
        log.append(("revisit", page, session.last))  # one server record per request; not a first visit
        for name, wanted, values in actions:
            for value in values:
                key = canvas_key(session.last) if wanted == CANVAS else wanted
                if key is None:
                    raise RuntimeError(f"{page}: no canvas on the Draw page")
                fragment = session._fragment_of(key)
                if value.get("click"):
                    result = await session.click(key)
                else:
                    result = await session.set_widget(key, **value)
                problems = result.exceptions() + result.error_alerts()
                if problems:
                    raise RuntimeError(f"{page}: {name}: {problems[:2]}")
                log.append(("act", f"{page}: {name}" + (" (fragment)" if fragment else ""), result))


async def drive(url: str, repeat: int, drawings: list[str], home_pause: float = 0.0) -> tuple[list, list]:
    cold, warm = [], []
    first = StreamlitSession(url)
    await first.connect()
    try:
        await _visit_all(first, cold, home_pause)
    finally:
        await first.close()
    second = StreamlitSession(url)
    await second.connect()
    try:
        await _visit_all(second, warm)
        await _interact(second, repeat, warm, drawings)
    finally:
        await second.close()
    return cold, warm


def server_ms(log: list, records: list[dict]) -> list[tuple[str, str, float]]:
    """Pair each request of one session with the server's record of it (in order)."""
    if len(records) != len(log):
        raise RuntimeError(f"{len(log)} requests but {len(records)} server records")
    return [
        (kind, name, (rec["finished"] - rec["recv"]) * 1000) for (kind, name, _), rec in zip(log, records, strict=True)
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "assets" / "mnist"))
    parser.add_argument("--repeat", type=int, default=5, help="times each interaction is performed (default 5)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument(
        "--home-pause",
        type=float,
        default=0.0,
        help="seconds the first visitor stays on the Home page before the other pages, as a person reading it "
        "does (default 0: straight on, which leaves the background imports no time)",
    )
    args = parser.parse_args(argv)
    drawings = []  # a photo model's Draw page opens on Upload: no canvas to draw on
    if dataset_info(load_manifest(args.model, verify=False)["dataset"]["name"]).drawable:
        every = [d.value for d in make_drawings(Path(args.model).resolve())]
        drawings = every[:: max(1, len(every) // args.repeat)]  # spread over digits and places
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(args.model).resolve(), Path(tmp))
        try:
            cold, warm = asyncio.run(drive(server.url, args.repeat, drawings, args.home_pause))
        finally:
            server.stop()
        runs, _ = server.records()
        if server.exceptions_logged():
            print("error: the server logged a traceback", file=sys.stderr)
            return 1
    load_after = os.getloadavg()
    sessions = sorted(runs.values(), key=lambda recs: recs[0]["recv"])
    timed_cold, timed_warm = server_ms(cold, sessions[0]), server_ms(warm, sessions[1])
    first_visits = {name or "home": [ms] for kind, name, ms in timed_cold if kind in ("open", "visit")}
    for kind, name, ms in timed_warm:
        if kind in ("open", "visit"):
            first_visits.setdefault(name or "home", []).append(ms)
    acts: dict[str, list[float]] = {}
    for kind, name, ms in timed_warm:
        if kind == "act":
            acts.setdefault(name, []).append(ms)
    print(
        f"{args.model}: server time per request, one visitor at a time; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print(f"{'first visit':48s}{'cold process':>14s}{'warm process':>14s}")
    for page, times in first_visits.items():
        print(f"  {page:46s}" + "".join(f"{t:12.0f} ms" for t in times))
    print(f"{'interaction (' + str(args.repeat) + ' times)':48s}{'median':>14s}{'max':>14s}")
    for name, times in acts.items():
        print(f"  {name:46s}{statistics.median(times):12.0f} ms{max(times):12.0f} ms")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "model": args.model,
                    "repeat": args.repeat,
                    "load_average": [load_before, load_after],
                    "cores": os.cpu_count(),
                    "first_visit_ms": first_visits,
                    "interaction_ms": {
                        k: {"median": statistics.median(v), "max": max(v), "all": v} for k, v in acts.items()
                    },
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
