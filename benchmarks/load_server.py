"""`streamlit run` with timing hooks: what the load benchmark measures, measured inside the server.

    LOAD_BENCH_LOG=times.jsonl python benchmarks/load_server.py app.py --server.port 8600 -- --model assets/mnist

Everything after the script name is what `streamlit run` takes. The hooks only time; they change no
behaviour. One JSON line per finished script run is appended to $LOAD_BENCH_LOG:

    {"sid": session id, "seq": n-th rerun request of that session (0, 1, ...),
     "recv": when the rerun BackMsg reached the server (parsed, handed to the runtime),
     "start" / "end": when the script thread began / finished the run, "cpu": its CPU seconds,
     "last_delta": when the run's last delta was handed to the socket,
     "finished": when its script_finished was handed to the socket (every message before it has been sent),
     "msgs", "bytes": what the run sent, "serialize": seconds spent serialising them on the event loop}

and one line {"sid", "after_script": seconds} per script thread for the work it does after the run
(media file cleanup, and the full garbage collection of `runner.postScriptGC`), which holds the GIL
while other sessions' runs wait.

Times are `time.monotonic()` seconds (CLOCK_MONOTONIC: comparable with the client's clock on the same
machine). The server time of an interaction is `finished - recv`: from the request reaching the
server to the last message of its answer leaving it, queueing included.

With $LOAD_BENCH_PROFILE=DIR, every script run is profiled with cProfile (one profile per script thread,
merged) and so is the event loop thread; `DIR/script.pstats` and `DIR/loop.pstats` are written at exit.
SIGUSR1 clears both profiles (the benchmark sends it when its warm-up visit is over).
"""

from __future__ import annotations

import atexit
import collections
import cProfile
import json
import os
import signal
import sys
import threading
import time

LOG_PATH = os.environ.get("LOAD_BENCH_LOG")
PROFILE_DIR = os.environ.get("LOAD_BENCH_PROFILE")


class _Recorder:
    """Per-session bookkeeping, shared by the event loop thread and the script threads."""

    def __init__(self, path: str | None):
        self._file = open(path, "a", buffering=1) if path else None
        self._lock = threading.Lock()
        self.pending: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.seq: dict[str, int] = collections.defaultdict(int)
        self.scripts: dict[str, list] = collections.defaultdict(list)
        self.sent: dict[str, dict] = collections.defaultdict(
            lambda: {"msgs": 0, "bytes": 0, "serialize": 0.0, "last_delta": None}
        )

    def received(self, sid: str) -> None:
        self.pending[sid].append({"seq": self.seq[sid], "recv": time.monotonic()})
        self.seq[sid] += 1

    def script_ran(self, sid: str, start: float, end: float, cpu: float) -> None:
        with self._lock:
            self.scripts[sid].append((start, end, cpu))

    def after_script(self, sid: str, seconds: float) -> None:
        """Time the script thread spent after the run's end (media cleanup, `runner.postScriptGC`)."""
        self._write({"sid": sid, "after_script": seconds})

    def finished(self, sid: str, t: float, status: int) -> None:
        if not self.pending[sid]:
            return  # a run nobody asked for (none is expected in this app)
        request = self.pending[sid].popleft()
        with self._lock:
            scripts, self.scripts[sid] = self.scripts[sid], []
        sent = self.sent.pop(sid)
        record = {
            "sid": sid,
            **request,
            "start": scripts[0][0] if scripts else None,
            "end": scripts[-1][1] if scripts else None,
            "cpu": sum(s[2] for s in scripts),
            "runs": len(scripts),
            "finished": t,
            "status": status,
            **sent,
        }
        self._write(record)

    def _write(self, record: dict) -> None:
        if self._file:
            line = json.dumps(record) + "\n"
            with self._lock:
                self._file.write(line)


def install(recorder: _Recorder) -> None:
    """Wrap the runtime's entry and exit points with timers (no behaviour changes)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.runtime import Runtime
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.web.server.starlette.starlette_websocket import StarletteSessionClient

    final = {
        ForwardMsg.FINISHED_SUCCESSFULLY,
        ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
        ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    }

    connect_session, handle_backmsg = Runtime.connect_session, Runtime.handle_backmsg

    def connect_session_timed(self, client, *args, **kwargs):
        sid = connect_session(self, client, *args, **kwargs)
        client._lb_sid = sid
        return sid

    def handle_backmsg_timed(self, session_id, msg, *args, **kwargs):
        if msg.WhichOneof("type") == "rerun_script":
            recorder.received(session_id)
        return handle_backmsg(self, session_id, msg, *args, **kwargs)

    Runtime.connect_session, Runtime.handle_backmsg = connect_session_timed, handle_backmsg_timed

    run_script, on_finished = ScriptRunner._run_script, ScriptRunner._on_script_finished
    script_stats = [None]
    local = threading.local()

    def run_script_timed(self, rerun_data):
        local.start, local.cpu = time.monotonic(), time.thread_time()
        profiler = cProfile.Profile() if PROFILE_DIR else None
        if profiler:
            profiler.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            if profiler:
                profiler.disable()
                _merge(script_stats, profiler)
            recorder.after_script(self._session_id, time.monotonic() - local.end)

    def on_finished_timed(self, *args, **kwargs):
        # before the original: it emits the event that sends script_finished
        local.end = time.monotonic()
        recorder.script_ran(self._session_id, local.start, local.end, time.thread_time() - local.cpu)
        return on_finished(self, *args, **kwargs)

    ScriptRunner._run_script, ScriptRunner._on_script_finished = run_script_timed, on_finished_timed

    init, write = StarletteSessionClient.__init__, StarletteSessionClient.write_forward_msg

    def init_timed(self, websocket):
        init(self, websocket)
        self._lb_kinds = collections.deque()
        self._websocket = _TimedSocket(websocket, self, recorder, final)

    def write_timed(self, msg):
        t = time.perf_counter()
        write(self, msg)
        sid = getattr(self, "_lb_sid", None)
        if sid is not None:
            recorder.sent[sid]["serialize"] += time.perf_counter() - t
        kind = msg.WhichOneof("type")
        self._lb_kinds.append((kind, msg.script_finished if kind == "script_finished" else None))

    StarletteSessionClient.__init__, StarletteSessionClient.write_forward_msg = init_timed, write_timed

    if PROFILE_DIR:
        os.makedirs(PROFILE_DIR, exist_ok=True)
        loop_profiler = cProfile.Profile()
        loop_profiler.enable()

        def dump():
            loop_profiler.disable()
            loop_profiler.dump_stats(os.path.join(PROFILE_DIR, "loop.pstats"))
            if script_stats[0] is not None:
                script_stats[0].dump_stats(os.path.join(PROFILE_DIR, "script.pstats"))

        atexit.register(dump)

        def reset(signum, frame):  # the benchmark's warm-up is over: profile only what follows
            with _merge_lock:
                script_stats[0] = None
            loop_profiler.clear()

        signal.signal(signal.SIGUSR1, reset)


_merge_lock = threading.Lock()


def _merge(holder: list, profiler: cProfile.Profile) -> None:
    import pstats

    with _merge_lock:
        if holder[0] is None:
            holder[0] = pstats.Stats(profiler)
        else:
            holder[0].add(profiler)


class _TimedSocket:
    """The session's websocket, with each sent message's time noted (sends happen in enqueue order)."""

    def __init__(self, websocket, client, recorder: _Recorder, final: set):
        self._websocket, self._client, self._recorder, self._final = websocket, client, recorder, final

    async def send_bytes(self, payload: bytes) -> None:
        t = time.monotonic()  # handed to the socket (earlier messages have all been sent: sends are in order)
        await self._websocket.send_bytes(payload)
        kind, status = self._client._lb_kinds.popleft() if self._client._lb_kinds else (None, None)
        sid = getattr(self._client, "_lb_sid", None)
        if sid is None:
            return
        sent = self._recorder.sent[sid]
        sent["msgs"] += 1
        sent["bytes"] += len(payload)
        if kind == "delta":
            sent["last_delta"] = t
        elif kind == "script_finished" and status in self._final:
            self._recorder.finished(sid, t, status)

    def __getattr__(self, name):
        return getattr(self._websocket, name)


def main() -> None:
    install(_Recorder(LOG_PATH))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
