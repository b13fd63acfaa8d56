"""The load benchmark's own checks (benchmarks/load_bench.py) catch what they are there to catch.

The driver itself runs against a live server in tests/e2e/test_load_driver.py."""

from __future__ import annotations

import sys

from streamlit.proto.Markdown_pb2 import Markdown

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import load_bench  # noqa: E402
from st_client import Element, RunResult  # noqa: E402


def _page_saying(*texts: str) -> RunResult:
    return RunResult(elements=[Element("markdown", Markdown(body=t), "") for t in texts])


def test_the_draw_answer_is_read_from_the_result_box():
    shown = _page_saying("Draw a digit", "### It's a **7**  \n98% sure · log-likelihood -12.34 ≥ threshold -37.39")
    assert load_bench.shown_answer(shown) == ("7", -12.34)
    refused = _page_saying("### none of these  \nBest guess would be 3, but its log-likelihood -80.10 is below the "
                           "threshold -37.39.")
    assert load_bench.shown_answer(refused) == ("none", -80.1)
    assert load_bench.shown_answer(_page_saying("Draw a digit on the canvas")) is None


def test_a_session_shown_another_drawing_s_answer_is_a_problem():
    mine = load_bench.Drawing("7", "{}", expected_name="7", expected_score=-12.34)
    assert load_bench.answer_problems(("7", -12.34), mine) == []
    assert load_bench.answer_problems(("7", -12.35), mine) == []  # rounding to 2 decimals
    assert load_bench.answer_problems(("7", -15.02), mine)  # another 7: not this session's drawing
    assert load_bench.answer_problems(("1", -12.34), mine)
    assert load_bench.answer_problems(None, mine)


def test_a_request_the_server_logged_outside_the_client_s_round_trip_is_a_problem():
    visitor = load_bench.Visitor(0, "http://x/", [], deadline=0.0)
    visitor.session_id = "s"
    visitor.actions = [load_bench.Action("draw", "draw", client_ms=100.0, sent=10.0)]
    record = {"recv": 10.01, "start": 10.02, "end": 10.05, "finished": 10.09, "cpu": 0.02, "bytes": 1000}
    problems = []
    rows = load_bench.match([visitor], {"s": [record]}, problems)
    assert problems == [] and round(rows[0]["server_ms"]) == 80 and round(rows[0]["wait_ms"]) == 10
    load_bench.match([visitor], {"s": [{**record, "finished": 10.2}]}, problems)
    assert len(problems) == 1
    load_bench.match([visitor], {"s": []}, problems)  # a request the server never finished
    assert len(problems) == 2
