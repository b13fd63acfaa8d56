"""A browser-less Streamlit client: one session spoken over the frontend's own websocket protocol.

`StreamlitSession` connects to `/_stcore/stream` and sends `BackMsg.rerun_script` with a
`ClientState` (query string, page by hash or URL name, widget states) exactly as streamlit 1.67's
frontend does; it reads `ForwardMsg`s until the run's `script_finished`. It keeps what a browser
keeps between runs, so the server does the same work as for a real visitor:

- the widget states of the current page (a browser resends every widget's value on each rerun;
  a page switch keeps none of the old page's widgets), triggers (buttons) sent once;
- fragments: a widget drawn inside an `st.fragment` reruns only that fragment (the rerun request
  names its `fragment_id`, as the frontend's); the page's other elements stay as they were;
- the forward-message cache: big `new_element` deltas marked `cacheable` are remembered, their
  hashes go back in `cached_message_hashes`, and the server answers with `ref_hash` references,
  which are resolved here from the cache (entries expire after `max_cached_message_age` runs);
- media: image URLs in the deltas can be fetched over HTTP like a browser's <img> (`fetch_media`).

Only the standard library, `websockets` (a streamlit dependency) and streamlit's protobufs.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINAL_STATUSES = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
WIDGET_KINDS = {
    "slider",
    "selectbox",
    "radio",
    "button",
    "button_group",
    "bidi_component",
    "plotly_chart",
    "checkbox",
    "file_uploader",
    "text_input",
    "number_input",
    "multiselect",
    "toggle",
}


class ProtocolError(RuntimeError):
    """The server did something a browser would not survive (closed, timed out, a cache miss)."""


@dataclass
class Element:
    """One `new_element` delta of a run: its kind ("markdown", "slider"...) and its proto message."""

    kind: str
    proto: Any
    msg_hash: str  # the ForwardMsg's hash: equal for equal content (the figure cache keys on it)
    fragment_id: str = ""  # the fragment that drew it ("" outside any fragment)

    @property
    def widget_id(self) -> str:
        return getattr(self.proto, "id", "") if self.kind in WIDGET_KINDS else ""


@dataclass
class RunResult:
    """What one rerun sent back, in order, and how long the client waited for it."""

    elements: list[Element] = field(default_factory=list)
    status: int | None = None
    t_sent: float = 0.0  # time.monotonic() when the rerun request went out
    t_done: float = 0.0  # ... and when its script_finished arrived
    n_msgs: int = 0
    n_bytes: int = 0
    page_not_found: bool = False

    @property
    def client_ms(self) -> float:
        return (self.t_done - self.t_sent) * 1000

    def of_kind(self, kind: str) -> list[Element]:
        return [e for e in self.elements if e.kind == kind]

    def texts(self) -> list[str]:
        """Every piece of text shown: headings, markdown and captions, metric labels and values, alerts."""
        out = []
        for e in self.elements:
            if e.kind in ("heading", "markdown", "alert"):
                out.append(e.proto.body)
            elif e.kind == "metric":
                out.extend([e.proto.label, e.proto.body])
        return out

    def headings(self) -> list[str]:
        return [e.proto.body for e in self.of_kind("heading")]

    def exceptions(self) -> list[str]:
        return [f"{e.proto.type}: {e.proto.message}" for e in self.of_kind("exception")]

    def error_alerts(self) -> list[str]:
        from streamlit.proto.Alert_pb2 import Alert

        return [e.proto.body for e in self.of_kind("alert") if e.proto.format == Alert.ERROR]

    def image_urls(self) -> list[str]:
        return [img.url for e in self.of_kind("imgs") for img in e.proto.imgs]

    def widget(self, key: str) -> Element | None:
        """The widget whose user key is `key` (streamlit ids end with '-<key>')."""
        for e in self.elements:
            if e.widget_id.endswith("-" + key):
                return e
        return None


class StreamlitSession:
    """One visitor: a websocket session that reruns pages and sets widgets the way the frontend does."""

    def __init__(self, base_url: str, *, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session_id: str | None = None
        self.pages: dict[str, tuple[str, str]] = {}  # url path ("" = home) -> (page_script_hash, title)
        self.page_hash = ""  # the page shown now
        self.widget_states: dict[str, WidgetState] = {}  # widget id -> value, for the page shown now
        self.last: RunResult | None = None
        self.fetched_media: set[str] = set()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._cache: dict[str, list] = {}  # hash -> [ForwardMsg, run count when last used]
        self._runs = 0
        self._max_age = 2

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        url = "ws" + self.base_url[len("http") :] + "_stcore/stream"
        self._ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            max_size=None,
            proxy=None,
            compression=None,
            ping_interval=None,
            open_timeout=self.timeout,
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._queue.put_nowait((msg, len(data)))
        except websockets.ConnectionClosed as exc:
            self._queue.put_nowait((exc, 0))
        else:
            self._queue.put_nowait((ProtocolError("the server closed the websocket"), 0))

    # ------------------------------------------------------------------ runs

    async def open(self, page: str = "", *, query_string: str = "") -> RunResult:
        """The first request of a fresh tab: the page comes from the URL path (`page` = "draw", or "")."""
        return await self._rerun(page_name=page, page_hash="", query_string=query_string)

    async def switch_page(self, page: str) -> RunResult:
        """A click on a page in the navigation (`page` = its URL path, "" for the home page)."""
        page_hash = self.pages[page][0]
        if page_hash != self.page_hash:
            self.widget_states = {}  # the old page's widgets are gone; the sidebar's keep their server value
        return await self._rerun(page_hash=page_hash)

    async def set_widget(self, key: str, **value) -> RunResult:
        """Change a widget of the current page (e.g. `set_widget("morph_t", double_array_value=[0.3])`).
        A widget inside a fragment reruns only its fragment, as in a browser."""
        state = self._state_for(key, value)
        self.widget_states[state.id] = state
        return await self._rerun(page_hash=self.page_hash, fragment_id=self._fragment_of(key))

    async def click(self, key: str) -> RunResult:
        """Press a button of the current page (a trigger: sent once, then forgotten)."""
        trigger = self._state_for(key, {"trigger_value": True})
        return await self._rerun(page_hash=self.page_hash, extra=[trigger], fragment_id=self._fragment_of(key))

    def _fragment_of(self, key: str) -> str:
        element = self.last.widget(key) if self.last else None
        return element.fragment_id if element is not None else ""

    def _state_for(self, key: str, value: dict) -> WidgetState:
        element = self.last.widget(key) if self.last else None
        if element is None:
            raise ProtocolError(f"no widget with key {key!r} on this page")
        state = WidgetState(id=element.widget_id)
        for name, v in value.items():
            if name.endswith("array_value"):
                getattr(state, name).data.extend(v)
            else:
                setattr(state, name, v)
        return state

    async def _rerun(
        self,
        *,
        page_hash: str = "",
        page_name: str = "",
        query_string: str = "",
        extra: list[WidgetState] = (),
        fragment_id: str = "",
    ) -> RunResult:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = query_string
        cs.page_script_hash = page_hash
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        cs.widget_states.widgets.extend([*self.widget_states.values(), *extra])
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        cs.context_info.url = self.base_url + page_name
        result = RunResult(t_sent=time.monotonic())
        await self._ws.send(back.SerializeToString())
        await self._collect(result)
        if fragment_id and self.last is not None:  # the page keeps what lies outside the fragment
            kept = [e for e in self.last.elements if e.fragment_id != fragment_id]
            self.last = RunResult(
                elements=kept + result.elements, status=result.status, t_sent=result.t_sent, t_done=result.t_done
            )
        else:
            self.last = result
        # what the browser keeps: the states of widgets still on the page
        present = {e.widget_id for e in self.last.elements if e.widget_id}
        self.widget_states = {k: v for k, v in self.widget_states.items() if k in present}
        return result

    async def _collect(self, result: RunResult) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                item, size = await asyncio.wait_for(self._queue.get(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from None
            if isinstance(item, Exception):
                raise ProtocolError(f"connection lost: {item}")
            msg = self._resolve(item)
            result.n_msgs += 1
            result.n_bytes += size
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.page_hash = msg.new_session.page_script_hash
                self._max_age = msg.new_session.config.max_cached_message_age or self._max_age
            elif kind == "navigation":
                self.pages = {p.url_pathname: (p.page_script_hash, p.page_name) for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                result.page_not_found = True
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                ek = el.WhichOneof("type")
                result.elements.append(Element(ek, getattr(el, ek), msg.hash, msg.delta.fragment_id))
            elif kind == "script_finished" and msg.script_finished in FINAL_STATUSES:
                result.status = msg.script_finished
                result.t_done = time.monotonic()
                self._age_cache()
                return

    def _resolve(self, msg: ForwardMsg) -> ForwardMsg:
        """A reference message becomes the cached message it points to (as the frontend does)."""
        if msg.WhichOneof("type") == "ref_hash":
            entry = self._cache.get(msg.ref_hash)
            if entry is None:
                raise ProtocolError(f"the server referred to a message this client never cached ({msg.ref_hash})")
            entry[1] = self._runs
            return entry[0]
        if msg.metadata.cacheable:
            self._cache[msg.hash] = [msg, self._runs]
        return msg

    def _age_cache(self) -> None:
        self._runs += 1
        self._cache = {h: e for h, e in self._cache.items() if self._runs - e[1] <= self._max_age}

    # ------------------------------------------------------------------ media

    async def fetch_media(self, urls) -> list[tuple[str, int]]:
        """GET each image URL not fetched before (a browser caches them); returns (url, status) of failures."""
        failures = []
        for url in urls:
            if url in self.fetched_media or not url.startswith("/"):
                continue
            self.fetched_media.add(url)
            status = await http_get_status(self.base_url, url)
            if status != 200:
                failures.append((url, status))
        return failures


async def http_get_status(base_url: str, path: str, timeout: float = 30.0) -> int:
    """The HTTP status of GET base_url + path (one connection, body read and dropped)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def plotly_spec(element: Element) -> dict:
    return json.loads(element.proto.spec)
