"""Plotly figures of the silence lab and the teaching page; no Streamlit, no model runs.

Figures take plain arrays (what to draw). The two small computations here exist only to draw:
`accumulated_cost` (the DTW table the teaching page steps through) and `with_gap` (an original
matrix stretched onto a variant's time axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..constants import FRAMES_PER_SECOND, SECONDS_PER_ENCODER_FRAME
from ..results import Token, WordTiming
from .attention import HEATMAP_COLORSCALE, PATH_COLOR, bin_time, heatmap_height

EXPECTED_PATH_COLOR = "rgba(255, 255, 255, 0.9)"  # the original's path moved by the inserted silence
INSERT_COLOR = "rgba(255, 75, 75, 0.18)"  # shading of inserted silence
WAVEFORM_POINTS = 1500  # envelope columns drawn for a clip
MAX_COLUMNS = 600  # time bins per heatmap in the stacked view
LINE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
# Magma (silence black, loud bands light) spelled as rgb(): Streamlit's chart theme rewrites the hex colours
# #000001-#000020 (its palette placeholders) in any figure, and Magma's darkest hex colour is #000004
MEL_COLORSCALE = pcolors.make_colorscale(pcolors.convert_colors_to_same_type(pcolors.sequential.Magma, "rgb")[0])


def with_gap(matrix: np.ndarray, points: Sequence[float], duration: float) -> np.ndarray:
    """float32 (rows, frames + inserted): `matrix` (rows, frames of 20 ms) with NaN columns of
    `duration` seconds at each point (seconds), so it lines up with a variant that has the silence."""
    gap = int(round(duration / SECONDS_PER_ENCODER_FRAME))
    cuts = sorted(int(round(p / SECONDS_PER_ENCODER_FRAME)) for p in points)
    pieces, previous = [], 0
    for cut in cuts:
        cut = min(cut, matrix.shape[1])
        pieces += [matrix[:, previous:cut], np.full((matrix.shape[0], gap), np.nan, np.float32)]
        previous = cut
    pieces.append(matrix[:, previous:])
    return np.concatenate(pieces, axis=1).astype(np.float32)


def _heatmap_trace(z: np.ndarray, factor: int, show_scale: bool) -> go.Heatmap:
    bin_seconds = factor * SECONDS_PER_ENCODER_FRAME
    return go.Heatmap(z=bin_time(z, factor), x0=bin_seconds / 2, dx=bin_seconds, colorscale=HEATMAP_COLORSCALE,
                      showscale=show_scale, colorbar=dict(thickness=10, len=0.45),
                      hovertemplate="row %{y}<br>%{x:.2f} s<br>%{z:.3f}<extra></extra>")


def _path_xy(text_indices, time_indices, shift=lambda t: t) -> tuple[list[float], list[int]]:
    times = [shift((f + 0.5) * SECONDS_PER_ENCODER_FRAME) for f in np.asarray(time_indices)]
    return times, [int(r) for r in text_indices]


def stacked_heatmaps(original: np.ndarray, original_path, variant: np.ndarray, variant_path,
                     tokens: Sequence[Token], points: Sequence[float], duration: float,
                     title: str = "") -> go.Figure:
    """Original (top) and variant (bottom) matrices (tokens, frames) on the variant's time axis.

    The original gets a blank gap where silence was inserted, so a well-aligned word sits at the
    same x in both. The bottom panel shows the variant's DTW path (red) and the original's path
    moved by the silence (white, dashed): where they part, the silence moved the alignment.
    Paths are (text_indices, time_indices) in frames of their own matrix.
    """
    stretched = with_gap(np.asarray(original, np.float32), points, duration)
    n_frames = max(stretched.shape[1], variant.shape[1])
    factor = max(1, int(np.ceil(n_frames / MAX_COLUMNS)))
    labels = [t.text for t in tokens]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("original (blank = where the silence goes)",
                                        f"with {duration:g} s of silence"))
    fig.add_trace(_heatmap_trace(stretched, factor, True), row=1, col=1)
    fig.add_trace(_heatmap_trace(np.asarray(variant, np.float32), factor, False), row=2, col=1)

    def moved(t: float) -> float:
        return t + duration * sum(p <= t for p in points)

    x, y = _path_xy(*original_path, shift=moved)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=PATH_COLOR, width=2), name="original path",
                             hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=EXPECTED_PATH_COLOR, width=2, dash="dash"),
                             name="original path, moved", hoverinfo="skip"), row=2, col=1)
    x, y = _path_xy(*variant_path)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=PATH_COLOR, width=2), name="variant path",
                             hoverinfo="skip"), row=2, col=1)
    for row in (1, 2):
        fig.update_yaxes(tickmode="array", tickvals=list(range(len(labels))), ticktext=labels,
                         range=[len(labels) - 0.5, -0.5], row=row, col=1)
    for p in points:
        fig.add_vrect(x0=moved(p) - duration, x1=moved(p), fillcolor=INSERT_COLOR, line_width=0, row=2, col=1)
    fig.update_xaxes(title_text="time in the variant (s)", row=2, col=1)
    fig.update_layout(height=2 * heatmap_height(len(tokens)) - 40, margin=dict(l=10, r=10, t=90, b=40),
                      title=dict(text=title) if title else None,
                      legend=dict(orientation="h", x=0, y=0.99, yanchor="top", yref="container"))
    return fig


def shift_error_figure(durations: Sequence[float], errors: dict[str, Sequence[float]],
                       worst: dict[str, Sequence[float]] | None = None, limit: float | None = None) -> go.Figure:
    """Mean absolute shift error (ms) against inserted silence (s), one line per head set;
    dotted lines for the worst word when `worst` is given, a red band above `limit` seconds."""
    fig = go.Figure()
    for i, (label, values) in enumerate(errors.items()):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        fig.add_trace(go.Scatter(x=list(durations), y=[1000 * v for v in values], mode="lines+markers",
                                 name=f"{label} · mean", line=dict(color=color)))
        if worst and label in worst:
            fig.add_trace(go.Scatter(x=list(durations), y=[1000 * v for v in worst[label]], mode="lines+markers",
                                     name=f"{label} · worst word", line=dict(color=color, dash="dot")))
    if limit is not None:
        fig.add_hline(y=1000 * limit, line=dict(color=PATH_COLOR, dash="dash"),
                      annotation_text=f"{limit:g} s", annotation_position="top left")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=40), legend=dict(orientation="h", y=1.15),
                      xaxis=dict(title=dict(text="inserted silence (s)")),
                      yaxis=dict(title=dict(text="|measured − expected shift| (ms)"), rangemode="tozero"))
    return fig


def waveform_figure(audio: np.ndarray, sample_rate: int, words: Sequence[WordTiming] = (),
                    points: Sequence[float] = (), height: int = 200) -> go.Figure:
    """Min/max envelope of `audio` (samples,) with word spans; click a point to pick a time.

    Points (seconds) are drawn as red lines. The envelope trace's points carry their time as x,
    so a click selection gives seconds directly.
    """
    audio = np.asarray(audio, np.float32)
    n = max(1, min(WAVEFORM_POINTS, len(audio)))
    edges = np.linspace(0, len(audio), n + 1).astype(int)
    top = np.array([audio[a:b].max() if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])])
    times = (edges[:-1] + edges[1:]) / 2 / sample_rate
    fig = go.Figure(go.Scatter(x=times, y=top, mode="lines", fill="tozeroy", line=dict(width=1, color="#4c78a8"),
                               name="waveform", hovertemplate="%{x:.2f} s<extra>click to insert here</extra>"))
    peak = float(np.abs(audio).max()) if len(audio) else 1.0
    for i, w in enumerate(words):
        fig.add_vrect(x0=w.start, x1=w.end, fillcolor="rgba(120,120,120,0.12)", line_width=0)
        fig.add_annotation(x=(w.start + w.end) / 2, y=peak * (1.05 if i % 2 else 1.25), text=f"{i + 1}·{w.word.strip()}",
                           showarrow=False, font=dict(size=10))
    for p in points:
        fig.add_vline(x=p, line=dict(color=PATH_COLOR, width=2))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=30), showlegend=False,
                      xaxis=dict(title=dict(text="time (s)")), yaxis=dict(visible=False, range=[0, peak * 1.4]),
                      clickmode="event+select")
    return fig


def accumulated_cost(cost: np.ndarray) -> np.ndarray:
    """float64 (tokens, frames): cheapest total cost of any monotonic path from (0, 0) to each cell.

    The table DTW fills (steps: diagonal, down a token, right a frame); for teaching, not speed.
    """
    cost = np.asarray(cost, np.float64)
    n_rows, n_cols = cost.shape
    total = np.full((n_rows + 1, n_cols + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, n_rows + 1):
        for j in range(1, n_cols + 1):
            total[i, j] = cost[i - 1, j - 1] + min(total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
    return total[1:, 1:]


def dtw_steps_figure(table: np.ndarray, path: tuple[np.ndarray, np.ndarray], step: int,
                     labels: Sequence[str], title: str = "") -> go.Figure:
    """A (tokens, frames) table with the first `step` steps of the path drawn and the current cell marked."""
    rows, frames = np.asarray(path[0])[:step], np.asarray(path[1])[:step]
    fig = go.Figure(go.Heatmap(z=table, colorscale="Cividis", colorbar=dict(thickness=10),
                               hovertemplate="token %{y}<br>frame %{x}<br>%{z:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=frames, y=rows, mode="lines", line=dict(color=PATH_COLOR, width=3), hoverinfo="skip"))
    if len(rows):
        fig.add_trace(go.Scatter(x=[frames[-1]], y=[rows[-1]], mode="markers", hoverinfo="skip",
                                 marker=dict(color=PATH_COLOR, size=12, line=dict(color="white", width=2))))
    fig.update_layout(height=heatmap_height(len(labels)), margin=dict(l=10, r=10, t=40 if title else 10, b=40),
                      showlegend=False, title=dict(text=title) if title else None,
                      xaxis=dict(title=dict(text="encoder frame (20 ms)")),
                      yaxis=dict(tickmode="array", tickvals=list(range(len(labels))), ticktext=list(labels),
                                 range=[len(labels) - 0.5, -0.5]))
    return fig


def mask_figure(mask: np.ndarray, title: str = "") -> go.Figure:
    """A bool (layers, heads) head mask as a grid of on/off cells."""
    mask = np.asarray(mask, bool)
    fig = go.Figure(go.Heatmap(z=mask.astype(int), colorscale=[[0, "#e8e8e8"], [1, PATH_COLOR]], showscale=False,
                               xgap=2, ygap=2, text=np.where(mask, "1", "0"), texttemplate="%{text}",
                               hovertemplate="layer %{y}, head %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=60 + 34 * mask.shape[0], margin=dict(l=10, r=10, t=30 if title else 10, b=30),
                      title=dict(text=title) if title else None,
                      xaxis=dict(title=dict(text="head"), dtick=1), yaxis=dict(title=dict(text="layer"), dtick=1,
                                                                             autorange="reversed"))
    return fig


def mel_figure(mel: np.ndarray, frames_per_second: int = FRAMES_PER_SECOND) -> go.Figure:
    """A log-mel spectrogram (mels, frames of 10 ms), quiet dark and loud light; every 2 mel frames make one
    encoder frame."""
    mel = np.asarray(mel, np.float32)
    factor = max(1, int(np.ceil(mel.shape[1] / MAX_COLUMNS)))
    bin_seconds = factor / frames_per_second
    fig = go.Figure(go.Heatmap(z=bin_time(mel, factor), x0=bin_seconds / 2, dx=bin_seconds, colorscale=MEL_COLORSCALE,
                               colorbar=dict(thickness=10), hovertemplate="%{x:.2f} s, mel %{y}<extra></extra>"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=10, b=40),
                      xaxis=dict(title=dict(text="time (s)")), yaxis=dict(title=dict(text="mel bin")))
    return fig
