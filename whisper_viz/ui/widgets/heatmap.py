"""The focused heatmap of one head set: the drawn matrix, its DTW path and word spans.

Drawn as an SVG picture (figures/picture.py: the page shows it without waiting for plotly.js) or as the
interactive plotly figure (hover values per cell, zoom and pan, PNG download).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ...figures.attention import attention_heatmap
from ...figures.picture import attention_picture
from ...results import AnalysisResult
from .aligned import AlignedView

VALUE_LABELS = {"raw": "softmax", "normalized": "z-score", "filtered": "filtered"}  # colour bar titles
CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
# Streamlit's own chart theme re-writes the whole figure JSON in the browser (about 0.2 s for a 30 s
# heatmap on a slow CPU, on every toggle); setting the few colours of the app's theme ourselves costs nothing
GRID_COLOR = "#31333f"
DARK_LAYOUT = {  # colours of the app's dark theme (.streamlit/config.toml) over plotly's default template
    "font": {"color": "#fafafa"}, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
    "xaxis": {"gridcolor": GRID_COLOR, "zerolinecolor": GRID_COLOR},
    "yaxis": {"gridcolor": GRID_COLOR, "zerolinecolor": GRID_COLOR},
}


def show(fig: go.Figure, **kwargs) -> None:
    """`st.plotly_chart` of one of our figures, styled for the app's dark theme without Streamlit's theming."""
    fig.update_layout(DARK_LAYOUT)
    st.plotly_chart(fig, theme=None, **kwargs)


def _drawing(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None, title: str) -> tuple:
    """(matrix, tokens, keyword arguments) drawing `view`'s shown window, as figure or as picture."""
    capture = result.windows[view.options.window]
    return view.matrix, capture.tokens, dict(
        offset=capture.offset, path=(view.window.text_indices, view.window.time_indices), words=view.window_words,
        time_range=zoom, title=title, value_label=VALUE_LABELS[view.options.view])


def heatmap_figure(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None,
                   title: str = "") -> go.Figure:
    """The heatmap of `view`'s shown window, zoomed to `zoom` seconds (None = whole window)."""
    matrix, tokens, drawn = _drawing(result, view, zoom, title)
    return attention_heatmap(matrix, tokens, **drawn)


def heatmap_picture(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None,
                    title: str = "") -> str:
    """SVG markup of the same heatmap as `heatmap_figure`."""
    matrix, tokens, drawn = _drawing(result, view, zoom, title)
    return attention_picture(matrix, tokens, **drawn)


def heatmap(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None, *, title: str = "",
            key: str, interactive: bool = True) -> None:
    """Draw the heatmap in the page, in a container keyed `key`: the plotly figure, or the picture."""
    with st.container(key=key):
        if interactive:
            show(heatmap_figure(result, view, zoom, title), key=f"{key}_chart", config=CHART_CONFIG)
        else:  # attention_picture escapes every text it holds
            st.markdown(f'<div class="wv-heatmap">{heatmap_picture(result, view, zoom, title)}</div>',
                        unsafe_allow_html=True)
