"""Long work in a log or a pipe says how far it is now and then; quick work stays silent."""

from __future__ import annotations

import io

from latent.progress import LogProgress, progress_bar


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_long_loop_in_a_log_prints_a_line_now_and_then_and_one_at_the_end():
    stream, clock = io.StringIO(), Clock()
    bar = LogProgress(range(10), desc="generating", unit="kind", every=30, stream=stream, clock=clock)
    for i in bar:
        clock.now += 12.0  # each kind takes 12 s: a line after the 3rd, 6th and 9th, and one at the end
        if i == 4:
            bar.set_postfix(loss="0.1234")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "generating: 3/10 kind, 36 s"
    assert lines[1] == "generating: 6/10 kind, loss=0.1234, 1 min 12 s"
    assert lines[-1] == "generating: 10/10 kind, loss=0.1234, 2 min 0 s (done)"
    assert len(lines) == 4


def test_quick_work_prints_nothing_and_a_counted_bar_counts_updates():
    stream, clock = io.StringIO(), Clock()
    for _ in LogProgress(range(100), desc="quick", stream=stream, clock=clock):
        clock.now += 0.01
    with LogProgress(total=4, desc="mixtures", unit="class", every=1, stream=stream, clock=clock) as bar:
        for _ in range(4):
            clock.now += 0.6
            bar.update(1)
    assert stream.getvalue().splitlines() == [
        "mixtures: 2/4 class, 1 s",
        "mixtures: 4/4 class, 2 s",
        "mixtures: 4/4 class, 2 s (done)",
    ]


def test_progress_bar_writes_lines_to_a_pipe_and_nothing_when_disabled():
    stream = io.StringIO()  # not a terminal
    assert list(progress_bar(range(3), desc="reading", every=0.0, stream=stream)) == [0, 1, 2]
    assert stream.getvalue().splitlines()[0].startswith("reading: 1/3 it")
    quiet = io.StringIO()
    assert list(progress_bar(range(3), desc="reading", every=0.0, stream=quiet, enabled=False)) == [0, 1, 2]
    assert quiet.getvalue() == ""
