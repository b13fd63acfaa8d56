"""Speed of the dashboard: first render after `streamlit run`, and server-side time per interaction.

    python benchmarks/bench_app.py                      # the first bundle under assets/ (or $LATENT_MODEL)
    python benchmarks/bench_app.py --model runs/digits --json bench.json
    python benchmarks/bench_app.py --skip-browser       # interactions only

Measures
--------
first render
    From launching `streamlit run app.py` until the home page's content (title and headline numbers)
    is visible in headless chromium (/usr/bin/chromium). Target: <= 5 s.
interactions, library work
    What each interaction computes, timed in this process after one warm-up call (median of --repeat),
    with torch set up as the dashboard's process sets it (one thread per op, torch's own kernels):
    decode 16 samples of a component; classify a drawing (preprocess, encode, every 'none' test, decode, map),
    and one stretched twice as wide (read again at the usual width, latent.bundle.width); one
    morph-slider move (point on the path + decode + classify + map position); placing a point on the
    map (map position + the overlay figure, serialised as st.plotly_chart does). Target: <= 100 ms each.
interactions, whole page rerun
    The same interactions through the real page scripts under streamlit's AppTest (widget state,
    caches, every figure on the page): an upper bound for the server's share of a click.

Numbers depend on the machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_FIRST_RENDER_S = 5.0
TARGET_INTERACTION_MS = 100.0


def pick_model(arg: str | None) -> Path:
    from latent.artifacts import find_bundles

    if arg:
        return Path(arg).resolve()
    if os.environ.get("LATENT_MODEL"):
        return Path(os.environ["LATENT_MODEL"]).resolve()
    bundles = find_bundles(ROOT / "assets")
    if not bundles:
        sys.exit(
            "error: no model bundle under assets/; pass --model PATH (build one with "
            "`python -m latent train --dataset digits --out runs/digits`)"
        )
    return bundles[0].resolve()


# --------------------------------------------------------------------------- first render


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(model: Path, port: int) -> list[str]:
    """`streamlit run app.py` on localhost:port with the bundle `model`, headless, no file watcher."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--",
        "--model",
        str(model),
    ]


def wait_healthy(url: str, proc: subprocess.Popen, log, start: float, timeout: float) -> None:
    """Poll the server's health check until it answers "ok"; raise with its log if it dies or times out."""
    while True:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=1) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.perf_counter() - start > timeout:
            log.seek(0)
            raise RuntimeError(f"streamlit did not start: {log.read().decode()[-2000:]}")
        time.sleep(0.05)


def first_render(model: Path, timeout: float = 60.0) -> dict:
    """Seconds from `streamlit run` to the home page's content visible in chromium."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # started before the clock
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        log = tempfile.TemporaryFile()
        start = time.perf_counter()
        proc = subprocess.Popen(streamlit_command(model, port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, proc, log, start, timeout)
            ready = time.perf_counter() - start
            page.goto(url)
            page.get_by_role("heading", name="Latent Explorer").wait_for(timeout=timeout * 1000)
            page.get_by_test_id("stMetric").first.wait_for(timeout=timeout * 1000)
            visible = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            browser.close()
    return {"server_ready_s": round(ready, 2), "first_render_s": round(visible, 2)}


# --------------------------------------------------------------------------- interactions


def _drawing(wide: bool = False):
    """A drawn "4" as a 280x280 RGBA canvas image (white strokes, transparent background); `wide`: stretched
    to fill a box twice as wide as tall, which the model reads a second time at the usual width."""
    import numpy as np
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    pen = ImageDraw.Draw(img)
    strokes = ([(170, 30), (60, 190), (230, 190)], [(180, 110), (180, 260)])
    if wide:
        strokes = ([(170, 80), (15, 170), (265, 170)], [(185, 125), (185, 210)])
    for stroke in strokes:
        pen.line(stroke, fill=(255, 255, 255, 255), width=19, joint="curve")
    return np.asarray(img)


def _time(fn, repeat: int) -> float:
    fn()  # warm-up: first-call costs (lazy imports, allocations) are not an interaction's
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def library_interactions(model_dir: Path, repeat: int) -> dict:
    import plotly.io as pio

    from latent.bundle.model import LatentModel, configure_torch_for_serving
    from latent.bundle.reading import read_input
    from latent.explore.morph import endpoint, morph
    from latent.figures import plots
    from latent.inputs.preprocess import to_model_input

    configure_torch_for_serving()  # as the dashboard's process runs the model
    t = time.perf_counter()
    model = LatentModel.load(model_dir)
    load_s = time.perf_counter() - t
    canvas = _drawing()
    c0, c1 = model.mixture.classes_[0], model.mixture.classes_[min(1, model.n_classes - 1)]
    path = morph(model, endpoint(model.mixture, c0), endpoint(model.mixture, c1), n_points=51)
    base = plots.latent_map(model.map.coords, model.map_labels, model.class_names, max_points=3000, height=420)
    state = {"t": 0.0}

    def decode_16():
        Z, _ = model.mixture.sample(c0, 16, component=0, random_state=1)
        model.decode(Z)

    def classify_drawing():  # as the Draw page and `classify` answer: every "none" test, reconstruction, map
        read_input(model, to_model_input(canvas))

    wide = _drawing(wide=True)

    def classify_wide_drawing():  # read twice: as drawn and at the usual width (latent.bundle.width)
        read_input(model, to_model_input(wide))

    def morph_move():
        state["t"] = (state["t"] + 0.137) % 1.0
        z = path.at(state["t"])
        model.decode(z)
        model.classify(z, reject_below=model.threshold)
        model.to_map(z)

    z_drawing = model.encode(to_model_input(canvas)[None])

    def place_point():
        xy = model.to_map(z_drawing)[0]
        pio.to_json(plots.map_markers(base, xy, name="your drawing"), validate=False)

    return {
        "model_load_s": round(load_s, 2),
        "decode 16 samples": _time(decode_16, repeat),
        "classify a drawing (preprocess, encode, every 'none' test, decode, map)": _time(classify_drawing, repeat),
        "classify a drawing stretched twice as wide (read again at the usual width)": _time(
            classify_wide_drawing, repeat
        ),
        "move the morph slider (point + decode + classify + map)": _time(morph_move, repeat),
        "place a point on the map (map position + overlay figure)": _time(place_point, repeat),
    }


def page_reruns(model_dir: Path, repeat: int) -> dict:
    """Whole-page reruns under AppTest after each interaction (caches warm)."""
    import base64
    import io
    import logging

    from PIL import Image
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["LATENT_MODEL"] = str(model_dir)
    app = str(ROOT / "app.py")

    def opened(page: str) -> AppTest:
        at = AppTest.from_file(app, default_timeout=300).run()
        at.switch_page(f"app_pages/{page}.py").run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
        return at

    def timed_runs(at: AppTest, change) -> float:
        change(at, 0)
        at.run()  # warm-up
        times = []
        for i in range(1, repeat + 1):
            change(at, i)
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000

    results = {}
    at = opened("latent_map")
    results["latent map: resample a style (16 new samples)"] = timed_runs(
        at, lambda a, i: a.session_state.__setitem__("map_seed", 100 + i)
    )
    at = opened("draw")
    buf = io.BytesIO()
    Image.fromarray(_drawing(), mode="RGBA").save(buf, format="PNG")
    data = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    results["draw: a new drawing (whole result panel + map)"] = timed_runs(
        at,
        lambda a, i: a.session_state.__setitem__(
            "draw_canvas_0", {"drawing": {"raw": {"objects": [i]}, "data": data}, "backgroundFit": None}
        ),
    )
    at = opened("morph")
    results["morph: move the slider (frame, chart, map)"] = timed_runs(
        at, lambda a, i: a.slider(key="morph_t").set_value(round((0.137 * i) % 1.0, 2))
    )
    return results


# --------------------------------------------------------------------------- report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="bundle directory (default: $LATENT_MODEL, else the first under assets/)")
    parser.add_argument("--repeat", type=int, default=20, help="timed repetitions per interaction (median reported)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--skip-browser", action="store_true", help="do not measure the first render")
    parser.add_argument("--skip-pages", action="store_true", help="do not measure whole-page reruns")
    args = parser.parse_args(argv)

    model = pick_model(args.model)
    results = {
        "model": str(model),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    if not args.skip_browser:
        if not Path(CHROMIUM).exists():
            print(f"(skipping first render: {CHROMIUM} is missing)")
        else:
            results["first_render"] = first_render(model)
    results["library_ms"] = library_interactions(model, args.repeat)
    if not args.skip_pages:
        results["page_rerun_ms"] = page_reruns(model, max(3, args.repeat // 4))

    print(f"\nLatent Explorer benchmark — {results['model']}\n{results['machine']}\n")
    if "first_render" in results:
        fr = results["first_render"]
        ok = "ok" if fr["first_render_s"] <= TARGET_FIRST_RENDER_S else "SLOW"
        print(
            f"{'first render of the home page (streamlit run -> visible)':<64} {fr['first_render_s']:>7.2f} s"
            f"   target <= {TARGET_FIRST_RENDER_S:.0f} s  {ok}"
        )
        print(f"{'  of which: server answering its health check':<64} {fr['server_ready_s']:>7.2f} s")
    lib = dict(results["library_ms"])
    print(f"{'model load (once per process)':<64} {lib.pop('model_load_s'):>7.2f} s")
    print("\nper interaction, library work (median):")
    for name, ms in lib.items():
        ok = "ok" if ms <= TARGET_INTERACTION_MS else "SLOW"
        print(f"  {name:<62} {ms:>7.1f} ms  target <= {TARGET_INTERACTION_MS:.0f} ms  {ok}")
    if "page_rerun_ms" in results:
        print("\nper interaction, whole page rerun under AppTest (median, upper bound):")
        for name, ms in results["page_rerun_ms"].items():
            print(f"  {name:<62} {ms:>7.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
