"""A Streamlit session without a browser: speaks the app's websocket protocol and times its deltas.

A browser session of the default page costs ~7-8 CPU-seconds of Chromium on this 2-core machine (its
renderer parses ~8 MB of Streamlit and plotly JavaScript and draws the page) against ~0.1 s of server
work once the analysis is shared; so many browsers on the server's own cores measure mostly the browsers.
This client opens a real session (the server runs the page's script exactly as for a browser) and
records when the heatmap element (its SVG picture, or its plotly figure with `interactive=1`) arrives, so
the server's side can be measured alone.
"""

from __future__ import annotations

import asyncio
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

HEATMAP_KEY = "heatmap_a"


def _is_heatmap(element) -> bool:
    """The focused heatmap: its SVG picture (a markdown element) or its plotly figure (keyed HEATMAP_KEY_chart)."""
    kind = element.WhichOneof("type")
    if kind == "markdown":
        return 'class="wv-picture"' in element.markdown.body
    return kind == "plotly_chart" and element.plotly_chart.id.endswith(f"{HEATMAP_KEY}_chart")


def _elements(msg: ForwardMsg):
    if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
        yield msg.delta.new_element


async def open_session(url: str, query: str = "", timeout_s: float = 300.0) -> dict:
    """Connect to the app at `url` (http://host:port) as a new session with `query` (e.g. "example=hello.flac");
    {"seconds": time until the heatmap element arrived or None, "errors": [texts of error/exception elements]}."""
    import websockets

    started = time.perf_counter()
    errors: list[str] = []
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with asyncio.timeout(timeout_s):
            async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
                back = BackMsg()
                back.rerun_script.query_string = query
                await ws.send(back.SerializeToString())
                while True:
                    msg = ForwardMsg()
                    msg.ParseFromString(await ws.recv())
                    for element in _elements(msg):
                        kind = element.WhichOneof("type")
                        if kind == "exception":
                            errors.append(f"{element.exception.type}: {element.exception.message}")
                        elif kind == "alert" and element.alert.format == element.alert.ERROR:
                            errors.append(element.alert.body)
                        elif _is_heatmap(element):
                            return {"seconds": time.perf_counter() - started, "errors": errors}
                    if msg.WhichOneof("type") == "script_finished":
                        return {"seconds": None, "errors": errors or ["the page finished without a heatmap"]}
    except (TimeoutError, OSError) as error:
        errors.append(f"{type(error).__name__}: {error}")
    return {"seconds": None, "errors": errors}
