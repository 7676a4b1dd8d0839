"""The focused heatmap as one SVG picture: what the page shows first, drawn by the browser without plotly.js.

A plotly figure needs Streamlit's 4.7 MB PlotlyChart bundle evaluated before it appears (about 1.4 s of a
2.5 s page load on a 2-core machine); this picture is markup the browser draws at once. It shows what the
interactive figure shows (figures/attention.py): the matrix as a PNG in Viridis, the DTW path, word spans,
token and time axes, the colour legend; hovering a word span or a token row shows its text and times as a
tooltip. Every text in it (token text, words, titles) is escaped, so a transcript cannot inject markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

from ..constants import SECONDS_PER_ENCODER_FRAME
from ..results import Token, WordTiming
from .attention import (
    HEATMAP_COLORSCALE,
    LEGEND_MARGIN_PX,
    MAX_DISPLAY_COLUMNS,
    PATH_COLOR,
    UNSURE_COLOR,
    bin_time,
    colour_ramp_uri,
    confidence_note,
    finite_range,
    frame_span,
    heatmap_height,
    is_unsure,
    label_margin,
    label_step,
    path_corners,
    png_uri,
)

WIDTH_PX = 560  # the picture's own width (about its column's in the wide layout); it is scaled to fit
BOTTOM_PX = 50  # room for the time axis
TEXT_COLOR = "#fafafa"  # the app's dark theme
AXIS_COLOR = "#808495"
WORD_STROKE = "rgba(255,255,255,0.85)"
FONT = 'font-family="Source Sans Pro, sans-serif"'
TICK_STEPS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between ticks: the first giving <= 10


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def time_ticks(start: float, end: float, most: int = 10) -> list[float]:
    """Round tick positions in seconds from `start` to `end`, at most `most` of them."""
    step = next((s for s in TICK_STEPS if (end - start) / s <= most - 1), TICK_STEPS[-1])
    first = math.ceil(start / step - 1e-9)
    return [round(i * step, 3) for i in range(first, math.floor(end / step + 1e-9) + 1)]


def attention_picture(matrix: np.ndarray, tokens: Sequence[Token], *, offset: float = 0.0,
                      path: tuple[np.ndarray, np.ndarray] | None = None, words: Sequence[WordTiming] = (),
                      time_range: tuple[float, float] | None = None, title: str = "",
                      value_label: str = "weight") -> str:
    """SVG markup of one window's token x time heatmap with the DTW path and word spans on top.

    Arguments as `attention_heatmap`: matrix float (tokens, frames) of 20 ms frames from `offset` seconds;
    path (text_indices, time_indices); words whose `token_indices` index the rows; time_range seconds shown.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(tokens):
        raise ValueError(f"matrix must be (tokens, frames) with {len(tokens)} rows, got shape {matrix.shape}")
    n_rows = len(tokens)
    first, last = frame_span(time_range, offset, matrix.shape[1])
    z = bin_time(matrix[:, first:last], max(1, math.ceil((last - first) / MAX_DISPLAY_COLUMNS)))  # (tokens, bins)
    low, high = finite_range(z)
    height = heatmap_height(n_rows)
    shown = list(range(0, n_rows, label_step(n_rows, height)))
    left, top = label_margin([tokens[i].text for i in shown]), 40 if title else 10
    plot_w, plot_h = WIDTH_PX - left - LEGEND_MARGIN_PX, height - top - BOTTOM_PX
    start, end = offset + first * SECONDS_PER_ENCODER_FRAME, offset + last * SECONDS_PER_ENCODER_FRAME
    x_of = lambda seconds: (seconds - start) / (end - start) * plot_w  # noqa: E731 - plot-area pixels
    y_of = lambda row: (row + 0.5) * plot_h / max(n_rows, 1)  # noqa: E731
    row_h = plot_h / max(n_rows, 1)

    parts = [f'<svg class="wv-picture" viewBox="0 0 {WIDTH_PX} {height}" width="100%" role="img" '
             f'aria-label="{_text(title or "attention heatmap")}" xmlns="http://www.w3.org/2000/svg" {FONT}>']
    if title:
        parts.append(f'<text class="wv-title" x="{left}" y="26" fill="{TEXT_COLOR}" font-size="16">{_text(title)}</text>')
    for i in shown:  # token labels
        parts.append(f'<text x="{left - 6}" y="{top + y_of(i):.1f}" fill="{TEXT_COLOR}" font-size="12" '
                     f'text-anchor="end" dominant-baseline="middle">{_text(tokens[i].text.strip() or tokens[i].text)}</text>')
    axis_y = top + plot_h
    for t in time_ticks(start, end):  # time axis
        x = left + x_of(t)
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="{AXIS_COLOR}"/>'
                     f'<text class="wv-tick" x="{x:.1f}" y="{axis_y + 18}" fill="{TEXT_COLOR}" '
                     f'font-size="12" text-anchor="middle">{t:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" fill="{TEXT_COLOR}" font-size="13" '
                 'text-anchor="middle">time (s)</text>')
    # the plot area: a nested svg clips what lies outside the zoomed time range
    parts.append(f'<svg x="{left}" y="{top}" width="{plot_w}" height="{plot_h}">')
    parts.append(f'<image href="{png_uri(z, HEATMAP_COLORSCALE, low, high)}" x="0" y="0" width="{plot_w}" '
                 f'height="{plot_h}" preserveAspectRatio="none" style="image-rendering:pixelated"/>')
    for i, token in enumerate(tokens):  # invisible rows that name their token on hover
        parts.append(f'<rect x="0" y="{i * row_h:.1f}" width="{plot_w}" height="{row_h:.1f}" fill="transparent">'
                     f'<title>#{i} {_text(repr(token.text))}</title></rect>')
    if path is not None and len(path[0]):
        rows, frames = path_corners(np.asarray(path[0]), np.asarray(path[1]))
        points = " ".join(f"{x_of(offset + (f + 0.5) * SECONDS_PER_ENCODER_FRAME):.1f},{y_of(r):.1f}"
                          for r, f in zip(rows, frames))
        parts.append(f'<polyline class="wv-path" points="{points}" fill="none" stroke="{PATH_COLOR}" '
                     'stroke-width="2"><title>DTW path</title></polyline>')
    parts += _word_spans(words, n_rows, x_of, row_h)
    parts.append("</svg>")
    parts.append(_legend(left + plot_w, top, plot_h, low, high, value_label))
    parts.append("</svg>")
    return "".join(parts)


def _word_spans(words: Sequence[WordTiming], n_rows: int, x_of, row_h: float) -> list[str]:
    """A dotted outline per word over its token rows and time span, its text and times as a tooltip; words
    the aligner is unsure of get an orange marker."""
    parts = []
    for word in words:
        rows = [i for i in word.token_indices if 0 <= i < n_rows]
        if not rows:
            continue
        x0, x1 = x_of(word.start), x_of(word.end)
        y0, y1 = min(rows) * row_h, (max(rows) + 1) * row_h
        unsure, note = is_unsure(word), confidence_note(word)
        sure = f" · {note}" if note else ""
        tip = f"{_text(word.word.strip())} · {word.start:.2f}–{word.end:.2f} s{sure}"
        parts.append(f'<rect class="wv-word" x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{y1 - y0:.1f}" fill="transparent" stroke="{WORD_STROKE}" stroke-width="1" '
                     f'stroke-dasharray="2,2"><title>{tip}</title></rect>')
        if unsure:
            parts.append(f'<circle cx="{(x0 + x1) / 2:.1f}" cy="{y0:.1f}" r="3" fill="{UNSURE_COLOR}">'
                         f'<title>{tip}</title></circle>')
    return parts


def _legend(x: float, top: float, plot_h: float, low: float, high: float, value_label: str) -> str:
    """The colour bar right of the plot: the gradient, the value label and both end values."""
    bar_top, bar_h = top + 0.1 * plot_h, 0.8 * plot_h
    return (f'<image href="{colour_ramp_uri(HEATMAP_COLORSCALE)}" x="{x + 12:.1f}" y="{bar_top:.1f}" width="12" '
            f'height="{bar_h:.1f}" preserveAspectRatio="none"/>'
            f'<text x="{x + 8:.1f}" y="{bar_top - 18:.1f}" fill="{TEXT_COLOR}" font-size="11">{_text(value_label)}</text>'
            f'<text x="{x + 8:.1f}" y="{bar_top - 5:.1f}" fill="{TEXT_COLOR}" font-size="11">{high:.3g}</text>'
            f'<text x="{x + 8:.1f}" y="{bar_top + bar_h + 13:.1f}" fill="{TEXT_COLOR}" font-size="11">{low:.3g}</text>')
