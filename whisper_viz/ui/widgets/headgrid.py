"""Head set A: presets, the checkbox grid, the clickable mosaic of every head's thumbnail.

Head set A lives in session state as a `HeadSet` and every widget changes it through a callback, so
the page (which runs after the callbacks) always draws the set the user just chose.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ...alignment.presets import PRESETS, REFERENCE
from ...errors import HeadSetError
from ...evaluation.scoring import HeadScores
from ...figures.attention import head_mosaic
from ...heads import HeadSet, parse_heads
from ...results import AnalysisResult
from .. import state
from .aligned import Thumbnails
from .heatmap import show

HEADS_KEY = "_heads_a"  # session key of head set A
MOSAIC_KEY = "mosaic"
PASTE_KEY = "paste_heads"
TOP_K_KEY = "top_k"
DEFAULT_TOP_K = 6
# head-set buttons, then one per alignment preset other than the reference (its heads and its aligner)
PRESET_LABELS = {"official": "Official", "all": "All", "upper": "Upper", "none": "None",
                 **{name: name.capitalize() for name in PRESETS if name != REFERENCE.name}}
PRESET_HELP = {"official": "The model's alignment heads (openai-whisper's)",
               "upper": "Every head of the upper half of the layers (openai-whisper's default)",
               **{name: preset.description for name, preset in PRESETS.items() if name != REFERENCE.name}}
_FULL_RERUN = "_heads_full_rerun"


def checkbox_key(layer: int, head: int) -> str:
    return f"head_{layer}_{head}"


def current(result: AnalysisResult) -> HeadSet:
    """Head set A for `result`: from the URL once, else as the user left it, else the official heads."""
    official = HeadSet(result.alignment_heads)
    heads = st.session_state.get(HEADS_KEY)
    pending = state.pending_heads(state.HEADS_A)
    if pending is not None:
        try:
            heads = parse_heads(pending, result.shape, official=official)
        except HeadSetError as error:
            st.warning(f"Head set A from the link was ignored: {error}")
    if heads is None or heads.shape != result.shape:
        heads = official
    _set_a(heads)
    return heads


def url_text() -> str | None:
    """Set A's "l:h" text for the URL ("none" when empty), None before any analysis."""
    heads = st.session_state.get(HEADS_KEY)
    if heads is None:
        return None
    return heads.to_text() or "none"


def _grid_stale(heads: HeadSet) -> bool:
    """True when the checkboxes do not show `heads` (a preset or click changed it, or they were not drawn)."""
    for layer in range(heads.n_layers):
        for head in range(heads.n_heads):
            if st.session_state.get(checkbox_key(layer, head)) != bool(heads.mask[layer, head]):
                return True
    return False


def _sync_checkboxes(heads: HeadSet) -> None:
    for layer in range(heads.n_layers):
        for head in range(heads.n_heads):
            st.session_state[checkbox_key(layer, head)] = bool(heads.mask[layer, head])


def _set_a(heads: HeadSet) -> None:
    """Make `heads` set A; the checkboxes follow (call before they are drawn: from callbacks or `current`)."""
    st.session_state[HEADS_KEY] = heads
    if _grid_stale(heads):
        _sync_checkboxes(heads)


def apply(heads: HeadSet) -> None:
    """Make `heads` set A from a callback elsewhere on the page (a discovery report's set, say)."""
    _set_a(heads)


def _on_checkbox(layer: int, head: int) -> None:
    heads = st.session_state[HEADS_KEY]
    _set_a(heads.with_head(layer, head, bool(st.session_state[checkbox_key(layer, head)])))


def clicked_head(selection) -> tuple[int, int] | None:
    """(layer, head) of the thumbnail a plotly selection event points at, or None."""
    for point in (selection or {}).get("points", ()):
        data = point.get("customdata")
        if data is not None and len(data) == 2:
            return int(data[0]), int(data[1])
    return None


def _on_mosaic_click() -> None:
    event = st.session_state.get(MOSAIC_KEY) or {}
    pair = clicked_head(event.get("selection"))
    if pair is not None:
        _set_a(st.session_state[HEADS_KEY].toggle(*pair))


def _on_preset(name: str, result: AnalysisResult) -> None:
    if name in PRESETS:  # a named alignment preset: its heads and its aligner
        _set_a(PRESETS[name].head_set(result))
        if st.session_state.get(state.ALIGNER) != name:
            state.choose(state.ALIGNER, name)
            st.session_state[_FULL_RERUN] = True
        return
    official = result.alignment_heads
    _set_a(parse_heads(name, official.shape, official=official))


def needs_full_rerun() -> bool:
    """True once after a preset changed a view option (the aligner) that the whole page must redraw."""
    return bool(st.session_state.pop(_FULL_RERUN, False))


def _on_top_k(scores: HeadScores) -> None:
    _set_a(scores.top(int(st.session_state.get(TOP_K_KEY, DEFAULT_TOP_K))))


def _on_paste(official: np.ndarray) -> None:
    text = st.session_state.get(PASTE_KEY, "").strip()
    if not text:
        return
    try:
        _set_a(parse_heads(text, official.shape, official=official))
        st.session_state["_paste_error"] = None
    except HeadSetError as error:
        st.session_state["_paste_error"] = str(error)


def presets(result: AnalysisResult, scores: HeadScores) -> None:
    """Preset buttons, top-k by score and the paste box for set A."""
    official = result.alignment_heads
    columns = st.columns(len(PRESET_LABELS))
    for column, (name, label) in zip(columns, PRESET_LABELS.items()):
        column.button(label, key=f"preset_{name}", on_click=_on_preset, args=(name, result),
                      help=PRESET_HELP.get(name), width="stretch")
    left, right = st.columns([1, 1], vertical_alignment="bottom")
    n_heads = int(scores.score.size)
    state.remember(TOP_K_KEY, min(DEFAULT_TOP_K, n_heads))
    if st.session_state[TOP_K_KEY] > n_heads:
        st.session_state[TOP_K_KEY] = n_heads
    left.number_input("k", min_value=1, max_value=n_heads, key=TOP_K_KEY)
    right.button("Top k by score", key="preset_top_k", on_click=_on_top_k, args=(scores,), width="stretch")
    st.text_input("Paste a base85 dump or a layer:head list", key=PASTE_KEY, on_change=_on_paste,
                  args=(official,), placeholder="e.g. 3:1,3:4 or ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00")
    if st.session_state.get("_paste_error"):
        st.error(st.session_state["_paste_error"])


def checkbox_grid(heads: HeadSet) -> None:
    """One checkbox per (layer, head): a row per layer, a column per head; each toggles that head in set A."""
    header = st.columns(heads.n_heads + 1, gap="small")
    for head, column in enumerate(header[1:]):
        column.caption(f"h{head}")
    for layer in range(heads.n_layers):
        columns = st.columns(heads.n_heads + 1, gap="small", vertical_alignment="center")
        columns[0].caption(f"L{layer}")
        for head, column in enumerate(columns[1:]):
            column.checkbox(f"{layer}:{head}", key=checkbox_key(layer, head), on_change=_on_checkbox,
                            args=(layer, head), label_visibility="collapsed")


def mosaic(thumbs: Thumbnails, heads: HeadSet, scores: HeadScores) -> go.Figure:
    """Every head's thumbnail with its score; clicking one toggles it in set A. Returns the figure."""
    fig = head_mosaic(thumbs.images, heads.mask, scores.score, png=thumbs.png)
    show(fig, key=MOSAIC_KEY, on_select=_on_mosaic_click, selection_mode="points",
                    config={"displayModeBar": False})
    return fig
