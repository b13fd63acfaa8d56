"""The browser-side page benchmark (benchmarks/page_visits.py) visits every page to its last chart
and times the Morph slider's settling after 20 arrow presses."""

from __future__ import annotations

import math
import sys
from concurrent.futures import ThreadPoolExecutor

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import page_visits  # noqa: E402


def test_every_page_is_timed_from_click_to_last_chart_for_cold_and_warm_visitors(tiny_bundle):
    # A thread of its own: the session's Playwright fixtures keep an asyncio loop running in this one,
    # where the benchmark's sync_playwright() refuses to start.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(page_visits.measure, tiny_bundle, 1, 0.0, 90.0).result()
    for column in ("cold_s", "warm_median_s"):
        assert set(result[column]) == set(page_visits.PAGES)
        assert all(math.isfinite(t) and 0 < t < 90 for t in result[column].values()), result[column]
    assert len(result["slider_settle_s"]) == 1 and 0 < result["slider_settle_s"][0] < 90
