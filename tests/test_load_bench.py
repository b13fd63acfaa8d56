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
    shown = _page_saying("Draw a digit", "### It's a **7**  \n98% sure · passes all 3 tests")
    assert load_bench.shown_answer(shown) == ("7", 98.0)
    refused = _page_saying("### none of these  \nReason: **unlikely latent code**. Its best guess would have been 3.")
    assert load_bench.shown_answer(refused) == ("none", -1.0)
    assert load_bench.shown_answer(_page_saying("Draw a digit on the canvas")) is None


def test_a_session_shown_another_drawing_s_answer_is_a_problem():
    mine = load_bench.Drawing("7", "{}", expected_name="7", expected_score=98)
    assert load_bench.answer_problems(("7", 98.0), mine) == []
    assert load_bench.answer_problems(("7", 99.0), mine) == []  # rounding to whole percent
    assert load_bench.answer_problems(("7", 71.0), mine)  # another 7: not this session's drawing
    assert load_bench.answer_problems(("1", 98.0), mine)
    assert load_bench.answer_problems(None, mine)
    refused = load_bench.Drawing("7", "{}", expected_name="none", expected_score=40)
    assert load_bench.answer_problems(("none", -1.0), refused) == []


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
