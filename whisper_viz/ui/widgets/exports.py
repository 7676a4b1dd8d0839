"""Downloads: word timings, the head set, the raw attention and the figures.

Files that take time to make (NPZ, PNG, HTML) are made only when their button is clicked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ...errors import FigureExportError
from ...export.attention import attention_npz
from ...export.words import EXPORT_FORMATS, export_words, heads_record
from ...figures.attention import matrix_png, mosaic_image
from ...figures.render import figure_html, figure_png
from ...results import AnalysisResult
from .aligned import AlignedView

MIME_TYPES = {"json": "application/json", "csv": "text/csv", "srt": "application/x-subrip", "vtt": "text/vtt",
              "npz": "application/octet-stream", "png": "image/png", "html": "text/html"}


def _download(column, label: str, data, file_name: str, key: str) -> None:
    column.download_button(label, data=data, file_name=file_name, mime=MIME_TYPES[file_name.rsplit(".", 1)[1]],
                           key=key, on_click="ignore", width="stretch")


def _png(fig: go.Figure, fallback: Callable[[], bytes]) -> Callable[[], bytes]:
    """A deferred PNG: kaleido's rendering of `fig`, or a plain raster when no browser is available."""
    def make() -> bytes:
        try:
            return figure_png(fig)
        except FigureExportError:
            return fallback()
    return make


def exports(result: AnalysisResult, view: AlignedView, audio_name: str, heatmap_fig: go.Figure,
            mosaic_fig: go.Figure, thumbnails: np.ndarray) -> None:
    """The export section for set A's aligned view and the figures on the page."""
    stem = Path(audio_name).stem or "audio"
    st.subheader("Word timings")
    st.caption(f"{len(view.words)} words aligned with head set A ({len(view.heads)} heads).")
    for column, fmt in zip(st.columns(len(EXPORT_FORMATS)), EXPORT_FORMATS):
        _download(column, fmt.upper() if fmt != "vtt" else "WebVTT", export_words(view.words, fmt),
                  f"{stem}_words.{fmt}", f"dl_words_{fmt}")

    st.subheader("Head set A")
    record = heads_record(view.heads.mask)
    left, right = st.columns(2)
    left.caption("base85 dump (openai-whisper `_ALIGNMENT_HEADS` format)")
    left.code(record["base85"], language=None)
    right.caption("layer:head list")
    right.code(view.heads.to_text() or "(empty)", language=None)
    _download(st, "Head set (JSON)", json.dumps(record, indent=2), f"{stem}_heads.json", "dl_heads")

    st.subheader("Raw attention and figures")
    columns = st.columns(5)
    _download(columns[0], "Attention (NPZ)", lambda: attention_npz(result), f"{stem}_attention.npz", "dl_npz")
    path = (view.window.text_indices, view.window.time_indices)
    _download(columns[1], "Heatmap (PNG)", _png(heatmap_fig, lambda: matrix_png(view.matrix, path)),
              f"{stem}_heatmap.png", "dl_heatmap_png")
    _download(columns[2], "Heatmap (HTML)", lambda: figure_html(heatmap_fig), f"{stem}_heatmap.html",
              "dl_heatmap_html")
    _download(columns[3], "Head grid (PNG)", _png(mosaic_fig, lambda: matrix_png(mosaic_image(thumbnails))),
              f"{stem}_heads.png", "dl_mosaic_png")
    _download(columns[4], "Head grid (HTML)", lambda: figure_html(mosaic_fig), f"{stem}_heads.html",
              "dl_mosaic_html")
    st.caption("PNG export renders the figure in headless Chromium (kaleido); without a browser it saves a plain "
               "raster of the same data.")
