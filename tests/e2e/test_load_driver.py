"""The load benchmark's driver against a live server (benchmarks/load_bench.py): one session for a few
seconds, after its warm-up visit to every page, gets real answers and the server's timings."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import load_bench  # noqa: E402


def test_one_session_without_a_browser_gets_real_answers_and_is_timed_inside_the_server(tiny_bundle):
    args = load_bench.parse_args(
        ["--sessions", "1", "--duration", "3", "--think", "0.1", "0.3", "--model", str(tiny_bundle)]
    )
    run = load_bench.bench(args)["runs"][0]
    # every check passed: titles, the drawing's own answer, a new morph frame, the clicked item's panel,
    # no exception or error box, every image served, each request matched with the server's record (whose
    # interval lies inside the client's round trip)
    assert run["problems"] == [] and run["server_log_errors"] == []
    visits = run["first_visits"]
    assert {v["page"] for v in visits if v["kind"] == "open page"} == set(load_bench.PAGE_TITLES) - {""}
    assert [v["kind"] for v in visits].count("draw") == 2 and [v["kind"] for v in visits].count("map click") == 3
    assert {"clear canvas", "morph slider"} <= {v["kind"] for v in visits}
    assert all(v["server_ms"] > 0 for v in visits)
    measured = run["interactions"]["all"]
    assert measured["server_ms"]["n"] >= 1 and 0 < measured["server_ms"]["p50"] <= measured["server_ms"]["max"]
    assert run["rss_mb"]["warm_idle"] > run["rss_mb"]["start"] > 0
