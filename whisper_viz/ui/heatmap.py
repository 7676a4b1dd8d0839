"""The focused heatmap of one head set: the drawn matrix, its DTW path and word spans."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ..figures import attention_heatmap
from ..results import AnalysisResult
from .aligned import AlignedView

VALUE_LABELS = {"raw": "softmax", "normalized": "z-score", "filtered": "filtered"}  # colour bar titles
CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def heatmap_figure(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None,
                   title: str = "") -> go.Figure:
    """The heatmap of `view`'s shown window, zoomed to `zoom` seconds (None = whole window)."""
    capture = result.windows[view.options.window]
    return attention_heatmap(view.matrix, capture.tokens, offset=capture.offset,
                             path=(view.window.text_indices, view.window.time_indices), words=view.window_words,
                             time_range=zoom, title=title, value_label=VALUE_LABELS[view.options.view])


def heatmap(result: AnalysisResult, view: AlignedView, zoom: tuple[float, float] | None, *, title: str = "",
            key: str) -> go.Figure:
    """Draw the heatmap in the page; returns the figure."""
    fig = heatmap_figure(result, view, zoom, title)
    st.plotly_chart(fig, key=key, config=CHART_CONFIG)
    return fig
