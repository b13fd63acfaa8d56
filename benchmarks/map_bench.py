"""Speed of the Latent map page: what a click costs the server, and what a visit costs in a browser.

    python benchmarks/map_bench.py                       # assets/mnist (or $LATENT_MODEL)
    python benchmarks/map_bench.py --model assets/fashion-mnist-joint --skip-browser --json map.json

Measures
--------
figure
    The map as the page sends it (10,000 points with hover thumbnails, the clickable spot grid, the
    style markers): its JSON size, and what `st.plotly_chart` spends turning it into JSON on every
    rerun, for a plain figure (to_dict + to_json) and for the frozen one the page uses (to_json only).
click, library work
    One click on an empty spot: the inverse's code there, decoded, classified, its probability chart
    serialised. Median of --repeat, after a warm-up.
page reruns
    The real page script under streamlit's AppTest (an upper bound for the server's share): a first
    visit with warm caches, a click on an empty spot, a click on a style marker.
browser (headless chromium)
    From the click on the sidebar link to the map drawn and the app idle, for a visit with warm server
    caches (a warm-up visit comes first, in another browser context); and from a click on an empty spot
    of the map to its decoded panel drawn.

Numbers depend on the machine and on what else runs on it: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_app import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one browser set-up for every benchmark)

PLOT = '[data-testid="stPlotlyChart"] .js-plotly-plot'
IDLE = (
    "() => { const app = document.querySelector('[data-testid=stApp]');"
    " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
    " && !document.querySelector('[data-testid=stSpinner]'); }"
)


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 1)


def figure_costs(model_dir: Path, repeat: int) -> dict:
    import numpy as np
    import plotly.io as pio
    import plotly.tools

    from latent.bundle import map_inverse as mi
    from latent.bundle.model import LatentModel
    from latent.figures import plots
    from latent.inputs.imaging import text_thumbnails

    model = LatentModel.load(model_dir)
    inverse, grid = mi.load(model)
    extent = grid.extent if grid is not None else mi.map_extent(model.map.coords)
    spots = grid.centres() if grid is not None else mi.grid_centres(extent, (mi.GRID_SIZE, mi.GRID_SIZE))
    codes = model.map.codes
    thumbs = plots.trim_thumbnails(
        text_thumbnails(np.concatenate([model.decode(codes[i : i + 2000]) for i in range(0, len(codes), 2000)]))
    )
    fig = plots.latent_map(
        model.map.coords,
        model.map_labels,
        model.class_names,
        ellipses=plots.Ellipses.from_model(model),
        hover_images=thumbs,
        extent=extent,
        spots=spots,
        spot_stride=2,
        density=grid,
        shade=False,
        threshold=model.threshold,
    )
    frozen = plots.freeze(fig)

    def marshal(f):  # what st.plotly_chart does with a figure on every rerun
        return pio.to_json(plotly.tools.return_figure_from_figure_or_data(f, True), validate=False)

    xs, ys = spots
    spot = (float(xs[len(xs) // 3]), float(ys[len(ys) // 5]))

    def click():
        z = inverse.transform(spot)
        result = model.classify(z, reject_below=model.threshold)
        model.decode(z)
        pio.to_json(plots.probability_bars(result.proba[0], model.class_names), validate=False)

    return {
        "figure_mb": round(len(marshal(frozen)) / 1e6, 2),
        "figure_points": int(sum(len(t.x) for t in fig.data if t.x is not None)),
        "serialise_plain_ms": median_ms(lambda: marshal(fig), repeat),
        "serialise_frozen_ms": median_ms(lambda: marshal(frozen), repeat),
        "spot_click_library_ms": median_ms(click, repeat),
    }


def page_reruns(model_dir: Path, repeat: int) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["LATENT_MODEL"] = str(model_dir)

    def visit():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
        at.switch_page("app_pages/latent_map.py").run()
        return at

    visit()  # fills the caches
    times = []
    for _ in range(repeat):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
        at.switch_page("app_pages/latent_map.py")
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    results = {"warm_first_visit_ms": round(statistics.median(times) * 1000, 1)}

    def event(custom):
        return {"selection": {"points": [{"customdata": custom}], "point_indices": [0], "box": [], "lasso": []}}

    for name, events in [
        ("spot_click_ms", [event({"0": 2, "1": 96 * 2 * k + 2 * k}) for k in range(1, 40)]),
        ("style_click_ms", [event({"0": 1, "1": k % 20, "2": 1, "3": 10}) for k in range(1, 40)]),
    ]:
        times = []
        for e in events[:repeat]:
            at.session_state["map_chart"] = e
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
        results[name] = round(statistics.median(times) * 1000, 1)
    return results


def browser_times(model_dir: Path, repeat: int, root: Path = ROOT, click: bool = True) -> dict:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "LATENT_MODEL": str(model_dir)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    visits, clicks = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i in range(repeat + 1):  # the first visit fills the server's caches: not counted
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                for _ in range(600):
                    try:
                        page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                        break
                    except Exception:
                        time.sleep(0.2)
                link = page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Latent map")
                link.wait_for(timeout=120_000)
                page.wait_for_function(IDLE, timeout=120_000)
                t = time.perf_counter()
                link.click()
                page.locator(f"{PLOT} .scatterlayer .trace").first.wait_for(timeout=600_000)
                page.wait_for_function(IDLE, timeout=600_000)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                elapsed = time.perf_counter() - t
                if i:
                    visits.append(elapsed)
                if not click:
                    page.context.close()
                    continue
                box = page.locator(f"{PLOT} .nsewdrag").first.bounding_box()
                x, y = box["x"] + box["width"] * (0.3 + 0.05 * i), box["y"] + box["height"] * 0.1
                page.mouse.move(x, y)
                page.wait_for_timeout(300)
                t = time.perf_counter()
                page.mouse.click(x, y)
                page.get_by_text("This spot").first.wait_for(timeout=120_000)
                page.wait_for_function(IDLE, timeout=120_000)
                if i:
                    clicks.append(time.perf_counter() - t)
                page.context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "warm_visit_s": round(statistics.median(visits), 2),
        "spot_click_s": round(statistics.median(clicks), 2) if clicks else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model",
        default=os.environ.get("LATENT_MODEL", str(ROOT / "assets" / "mnist")),
        help="bundle directory (default: $LATENT_MODEL, else assets/mnist)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (median reported)")
    parser.add_argument("--skip-browser", action="store_true", help="do not measure in headless chromium")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--browser-only",
        metavar="CHECKOUT",
        nargs="?",
        const=str(ROOT),
        help="only time browser visits of the page, served from CHECKOUT (default: this one; "
        "give an older checkout to compare, which gets no spot click)",
    )
    args = parser.parse_args(argv)
    model_dir = Path(args.model).resolve()
    results = {"model": str(model_dir), "load_average_before": os.getloadavg()[0], "cpus": os.cpu_count()}
    if args.browser_only:
        root = Path(args.browser_only).resolve()
        results["browser"] = browser_times(model_dir, args.repeat, root, click=root == ROOT)
        results["load_average_after"] = os.getloadavg()[0]
        print(json.dumps(results, indent=1))
        return 0
    results["figure"] = figure_costs(model_dir, args.repeat)
    results["page"] = page_reruns(model_dir, args.repeat)
    if not args.skip_browser:
        if Path(CHROMIUM).exists():
            results["browser"] = browser_times(model_dir, args.repeat)
        else:
            print(f"(skipping the browser: {CHROMIUM} is missing)")
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
