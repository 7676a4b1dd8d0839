"""Per-session state of the Explore page: widget keys, view options, and their mirror in the URL.

Every widget keeps its value under a key below. Values that must outlive a run in which their widget is
not drawn (Streamlit forgets those) are remembered under a shadow key. The shareable part of the state
(model, example, head sets, view options) is written to the URL's query parameters and read back once
when a session starts, so a copied link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ..alignment.options import NORMALIZATIONS, AlignmentOptions
from ..alignment.presets import PRESETS

# --- widget keys; the ones in URL_FIELDS double as query-parameter names -------------------------
SOURCE = "source"  # "example" | "upload" | "record"
EXAMPLE = "example"  # bundled example file name
MODEL = "model"  # a name of server_options.offered_models: "tiny.en", "base", "local/…"
DEVICE = "device"  # "auto" | "cpu" | "cuda"
LANGUAGE = "lang"  # "auto" or a language code
FORCED = "forced"  # bool: align a pasted transcript instead of recognising speech
TRANSCRIPT = "transcript"  # the pasted transcript
VIEW = "view"  # key of VIEWS
NORMALIZATION = "norm"
MEDFILT = "medfilt"  # median filter width, frames
POSTPROCESS = "post"  # openai-whisper's word-duration heuristics on or off
ALIGNER = "aligner"  # key of ALIGNERS: how the DTW path and word times are found
WINDOW = "window"  # index of the 30 s window shown
ZOOM = "zoom"  # (start, end) seconds shown in the heatmap
SECTION = "section"  # key of SECTIONS
HEADS_A = "heads"  # query parameter of head set A ("l:h,..." text)
HEADS_B = "heads_b"  # widget key and query parameter of head set B's text
INTERACTIVE = "interactive"  # bool: the focused heatmap as the plotly figure instead of the picture

DEFAULT_EXAMPLE = "pause7.flac"  # the two-sentence clip with a 7 s pause
SOURCES = {"example": "Example", "upload": "Upload a file", "record": "Record"}
DEFAULT_MODEL = "tiny.en"
DEVICES = {"auto": "Auto", "cpu": "CPU", "cuda": "GPU (CUDA)"}
VIEWS = {"raw": "Raw softmax", "normalized": "Normalized", "filtered": "Filtered"}
SECTIONS = {"heads": "Heads", "compare": "A/B compare", "discovery": "Discovery report", "export": "Export"}
ALIGNERS = {name: preset.label for name, preset in PRESETS.items()}
DEFAULT_MEDFILT = 7  # frames, openai-whisper's width
MEDFILT_CHOICES = (1, 3, 5, 7, 9, 11, 15)


def _choice(options) -> Callable[[str], object]:
    """Parser of a query value that must be one of `options`."""
    def parse(text: str):
        if text not in options:
            raise ValueError(text)
        return text
    return parse


def _medfilt(text: str) -> int:
    width = int(text)
    if width not in MEDFILT_CHOICES:
        raise ValueError(text)
    return width


def _flag(text: str) -> bool:
    return {"1": True, "0": False}[text]


def _zoom(text: str) -> tuple[float, float]:
    start, end = (float(v) for v in text.split("-"))
    if not 0 <= start < end:
        raise ValueError(text)
    return (start, end)


# query parameter -> (parser, default); a value equal to its default is left out of the URL
URL_FIELDS: dict[str, tuple[Callable[[str], object], object]] = {
    MODEL: (str, DEFAULT_MODEL),  # checked against the server's models by the sidebar, never used as a path
    DEVICE: (_choice(DEVICES), "auto"),
    LANGUAGE: (str, "auto"),
    SOURCE: (_choice(SOURCES), "example"),
    EXAMPLE: (str, DEFAULT_EXAMPLE),
    VIEW: (_choice(VIEWS), "filtered"),
    NORMALIZATION: (_choice(NORMALIZATIONS), "reference"),
    MEDFILT: (_medfilt, DEFAULT_MEDFILT),
    POSTPROCESS: (_flag, True),
    ALIGNER: (_choice(ALIGNERS), "reference"),
    WINDOW: (int, 0),
    ZOOM: (_zoom, None),
    SECTION: (_choice(SECTIONS), "heads"),
    HEADS_B: (str, "official"),  # the B box's text as typed (a preset name, "l:h" list or dump)
    INTERACTIVE: (_flag, False),
}
_RESTORED = "_url_restored"
_ZOOM_OWNER = "_zoom_owner"  # (audio digest, window index) the zoom was chosen on
_PENDING = "_pending_"  # prefix: head-set text from the URL, applied once the model's shape is known
_SHADOW = "_keep_"  # prefix of remembered widget values


@dataclass(frozen=True)
class ViewOptions:
    """How the focused heatmap and the word timings are computed and drawn."""

    view: str  # key of VIEWS: which matrix the heatmap shows
    normalization: str  # one of alignment.NORMALIZATIONS
    medfilt_width: int  # frames (odd)
    postprocess: bool  # word-duration heuristics (reference aligner only)
    aligner: str  # key of ALIGNERS
    window: int  # index of the 30 s window shown
    zoom: tuple[float, float] | None  # seconds shown, None = the whole window

    @property
    def alignment(self) -> AlignmentOptions:
        """Options of the DTW path and word timings (independent of the view)."""
        return AlignmentOptions(self.normalization, self.medfilt_width, self.postprocess)

    @property
    def display(self) -> AlignmentOptions:
        """Options of the matrix drawn: raw = renormalized softmax only, normalized = no median filter."""
        if self.view == "raw":
            return AlignmentOptions("none", 1, self.postprocess)
        if self.view == "normalized":
            return AlignmentOptions(self.normalization, 1, self.postprocess)
        return self.alignment


def choose(key: str, value) -> None:
    """Set widget `key` from a callback, also for runs in which the widget is not drawn."""
    st.session_state[key] = value
    st.session_state[_SHADOW + key] = value


def remember(key: str, default=None) -> None:
    """Give widget `key` its remembered (or default) value before it is drawn; call `keep` after."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(_SHADOW + key, default)


def keep(key: str):
    """Remember widget `key`'s current value for runs in which the widget is not drawn; returns it."""
    value = st.session_state.get(key)
    st.session_state[_SHADOW + key] = value
    return value


def restore_from_url() -> None:
    """Once per session: copy valid query parameters into the widgets' state (invalid ones are ignored)."""
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    params = st.query_params
    for name, (parse, _) in URL_FIELDS.items():
        if name in params:
            try:
                value = parse(params[name])
            except (ValueError, KeyError, TypeError):
                continue
            st.session_state[name] = value
            st.session_state[_SHADOW + name] = value
    if HEADS_A in params:
        st.session_state[_PENDING + HEADS_A] = params[HEADS_A]


def pending_heads(name: str) -> str | None:
    """Head-set text the URL gave for `name` (HEADS_A), handed out once."""
    return st.session_state.pop(_PENDING + name, None)


def publish_to_url(values: dict[str, object]) -> None:
    """Write the shareable state to the query parameters; `values` overrides what the widgets hold
    (head-set texts, the effective zoom)."""
    wanted: dict[str, str] = {}
    for name, (_, default) in URL_FIELDS.items():
        value = values[name] if name in values else st.session_state.get(name, st.session_state.get(_SHADOW + name, default))
        if value is None or value == default:
            continue
        if name == ZOOM:
            wanted[name] = f"{value[0]:.2f}-{value[1]:.2f}"
        elif isinstance(value, bool):
            wanted[name] = "1" if value else "0"
        else:
            wanted[name] = str(value)
    wanted.update({name: str(text) for name, text in values.items() if name not in URL_FIELDS and text is not None})
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def zoom_bounds(offset: float, duration: float) -> tuple[float, float]:
    """The zoom slider's range for a window starting at `offset` and lasting `duration` seconds."""
    return round(offset, 1), round(offset + duration, 1)


def fit_zoom(owner: tuple, bounds: tuple[float, float]) -> None:
    """Before the zoom slider is drawn: show the whole window `bounds` (seconds) when the zoom was chosen on
    another clip or window (`owner` names the shown one), or does not fit; else keep the zoom as it is.

    A zoom from a shared link has no owner yet and is kept when it fits the first clip shown.
    """
    zoom = st.session_state.get(ZOOM)
    previous = st.session_state.get(_ZOOM_OWNER)
    if not zoom or previous not in (None, owner) or not bounds[0] <= zoom[0] < zoom[1] <= bounds[1]:
        st.session_state[ZOOM] = tuple(bounds)
    st.session_state[_ZOOM_OWNER] = owner


def view_options(bounds: tuple[float, float]) -> ViewOptions:
    """The ViewOptions held by the view widgets; `bounds` is the shown window's zoom range."""
    zoom = st.session_state.get(ZOOM)
    if zoom is not None and (tuple(zoom) == tuple(bounds) or not bounds[0] <= zoom[0] < zoom[1] <= bounds[1]):
        zoom = None  # the whole window
    return ViewOptions(st.session_state.get(VIEW, "filtered"), st.session_state.get(NORMALIZATION, "reference"),
                       int(st.session_state.get(MEDFILT, DEFAULT_MEDFILT)),
                       bool(st.session_state.get(POSTPROCESS, True)), st.session_state.get(ALIGNER, "reference"),
                       int(st.session_state.get(WINDOW, 0)),
                       None if zoom is None else tuple(zoom))
