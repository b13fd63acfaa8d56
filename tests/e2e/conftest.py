"""Real-browser tests: one `streamlit run app.py` per session, driven by Playwright + Debian's chromium.

The server runs against the session's tiny digits bundle (LATENT_MODEL) on a free localhost port.
Chromium is the system one (/usr/bin/chromium, `apt-get install chromium`); `playwright install`
is never needed. Screenshots of every page go to screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

# the benchmarks start their server and browser the same way
from bench_app import CHROMIUM, CHROMIUM_ARGS, wait_healthy  # noqa: E402

SCREENSHOTS = ROOT / "screenshots"
STARTUP_TIMEOUT = 60  # seconds for the server to answer its health check

# What a page may log without it being a bug: opening a sub-page URL directly makes the frontend probe
# /<page>/_stcore/health and /<page>/_stcore/host-config first (404), then the right URLs: Streamlit's
# own open bug, https://github.com/streamlit/streamlit/issues/7074 (the page then loads normally).
# And when a rerun replaces an image while the browser is still fetching the old one, streamlit has
# already dropped that media file: a 404 for /media/<hash>.jpg|png, after which the new image loads.
HARMLESS_PROBES = ("/_stcore/health", "/_stcore/host-config")
LOCAL_404 = "404 (Not Found) (http://127.0.0.1"
IMAGE_SOURCE_ERROR = "Image source error - http://127.0.0.1"  # the same dropped media file, as st.image logs it


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` to run the browser tests")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_model(tiny_bundle) -> Path:
    """The session's tiny digits bundle: small and quick to draw. (The shipped MNIST bundle's reading
    of drawn digits is checked without a browser in tests/test_shipped.py.)"""
    return tiny_bundle


@pytest.fixture(scope="session")
def app_url(e2e_model, tmp_path_factory):
    """Start the dashboard once for the session; yields its base URL ("http://127.0.0.1:PORT/")."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {**os.environ, "LATENT_MODEL": str(e2e_model)}
    cmd = [
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
    ]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        with open(log_path, "rb") as log:
            wait_healthy(url, proc, log, time.perf_counter(), STARTUP_TIMEOUT)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture()
def console(page):
    """Console errors and uncaught page errors seen by `page`, minus the known harmless ones."""
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))

    def real() -> list[str]:
        return [
            e
            for e in errors
            if not any(h in e for h in HARMLESS_PROBES)
            and not ((LOCAL_404 in e or IMAGE_SOURCE_ERROR in e) and "/media/" in e)
        ]

    return real
