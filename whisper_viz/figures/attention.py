"""Plotly figures of cross-attention: the token x time heatmap with its DTW path, and the head mosaic.

Figures take plain arrays (what to draw) and never compute attention, alignment or scores. Large
matrices are averaged into time bins before drawing so a figure stays small (a 30 s clip with `base`
is well under 2 MB of JSON); hover then shows the bin's mean weight and says how many frames it holds.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Sequence

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go

from ..alignment.confidence import UNSURE_BELOW
from ..constants import SECONDS_PER_ENCODER_FRAME
from ..results import Token, WordTiming

MAX_DISPLAY_COLUMNS = 600  # time bins drawn in the focused heatmap; more frames are averaged into bins
MIN_DISPLAY_COLUMNS = 200  # ... and at least this many (fewer only when the window has fewer frames)
MAX_HOVER_CELLS = 60_000  # cells with hover text in one heatmap: long token lists get wider time bins
LEGEND_MARGIN_PX = 70  # right margin holding the colour legend
THUMB_ROWS = 24  # token bins in one head thumbnail
THUMB_COLUMNS = 64  # time bins in one head thumbnail
THUMB_GAP = 3  # empty cells between thumbnails in the mosaic
HEATMAP_COLORSCALE = "Viridis"
MOSAIC_COLORSCALE = "Magma"
PATH_COLOR = "#ff4b4b"  # DTW path (Streamlit red: readable on Viridis)
WORD_COLOR = "rgba(255, 255, 255, 0.85)"  # word-span outlines
UNSURE_COLOR = "#ffa94d"  # centre marker of a word the aligner is unsure of (confidence under UNSURE_BELOW)
SELECTED_COLOR = "#ff4b4b"  # outline of heads in the current set
ROW_HEIGHT_PX = 14  # heatmap height per token row, within the bounds below
MIN_HEATMAP_HEIGHT_PX = 320
MAX_HEATMAP_HEIGHT_PX = 1000
MIN_LABEL_PX = 11  # token labels closer than this are thinned out (hover still names every row)
LABEL_CHAR_PX = 7  # width of one character of a tick label (12 px font), for margins fixed in advance
MAX_LABEL_MARGIN_PX = 160
THUMB_HEIGHT_PX = 56  # height of one thumbnail in the mosaic
THUMB_LABEL_PX = 18  # room under each thumbnail for its "layer:head · score" label
RASTER_ROW_PX = 8  # pixels per token row in `matrix_png`
RASTER_FRAME_PX = 2  # pixels per 20 ms frame in `matrix_png`


def bin_time(matrix: np.ndarray, factor: int) -> np.ndarray:
    """Mean of every `factor` consecutive frames along the last axis; the last bin may hold fewer frames."""
    if factor <= 1:
        return np.asarray(matrix, dtype=np.float32)
    x = np.asarray(matrix, dtype=np.float32)
    starts = np.arange(0, x.shape[-1], factor)
    counts = np.diff(np.append(starts, x.shape[-1])).astype(np.float32)  # (bins,)
    return np.add.reduceat(x, starts, axis=-1) / counts


def downsample(matrix: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Block means of the last two axes of `matrix` (..., tokens, frames) to at most (rows, columns)."""
    x = np.asarray(matrix, dtype=np.float32)
    row_factor = max(1, math.ceil(x.shape[-2] / rows))
    x = np.swapaxes(bin_time(np.swapaxes(x, -1, -2), row_factor), -1, -2)  # bin the token axis
    return bin_time(x, max(1, math.ceil(x.shape[-1] / columns)))


def token_labels(tokens: Sequence[Token]) -> list[str]:
    """Unique y-axis categories "#i ' text'" (repeated tokens such as ' the' must not merge rows)."""
    return [f"#{i} {t.text!r}" for i, t in enumerate(tokens)]


def attention_heatmap(matrix: np.ndarray, tokens: Sequence[Token], *, offset: float = 0.0,
                      path: tuple[np.ndarray, np.ndarray] | None = None, words: Sequence[WordTiming] = (),
                      time_range: tuple[float, float] | None = None, title: str = "",
                      value_label: str = "weight", max_columns: int = MAX_DISPLAY_COLUMNS) -> go.Figure:
    """Token x time heatmap of one window, with the DTW path and word spans on top.

    matrix: float (tokens, frames) for `tokens` (rows) and 20 ms encoder frames starting at `offset`
    seconds. path: (text_indices, time_indices) of the DTW path in the matrix's rows and frames.
    words: word timings whose `token_indices` index the matrix's rows. time_range: (start, end) seconds
    to show; only that part of the matrix is drawn, so zooming in shows finer time bins.

    The matrix is drawn as a PNG image trace on numeric axes (row i at y = i) with its colour legend
    beside it: plotly draws that in about a third of the time of a heatmap trace on a category axis
    (23 vs 65 ms for a 30 s window in Chromium), which is most of what a head toggle waits for. Hover
    shows each cell's token text, time and weight, through an invisible heatmap trace of the same cells.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(tokens):
        raise ValueError(f"matrix must be (tokens, frames) with {len(tokens)} rows, got shape {matrix.shape}")
    first, last = frame_span(time_range, offset, matrix.shape[1])
    columns = min(max_columns, max(MIN_DISPLAY_COLUMNS, MAX_HOVER_CELLS // max(1, len(tokens))))
    factor = max(1, math.ceil((last - first) / columns))
    z = bin_time(matrix[:, first:last], factor)  # (tokens, bins)
    labels = token_labels(tokens)
    bin_seconds = factor * SECONDS_PER_ENCODER_FRAME
    binned = f" (mean of {factor} frames)" if factor > 1 else ""
    low, high = finite_range(z)
    x0 = offset + first * SECONDS_PER_ENCODER_FRAME + bin_seconds / 2  # centre of the first time bin
    traces = [dict(type="image", source=png_uri(z, HEATMAP_COLORSCALE, low, high), name="attention",
                   x0=x0, dx=bin_seconds, y0=0, dy=1, hoverinfo="skip")]
    # one line trace draws every word outline (plotly shapes cost ~1 ms each to draw)
    if path is not None and len(path[0]):
        rows, frames = path_corners(np.asarray(path[0]), np.asarray(path[1]))
        seconds = offset + (frames + 0.5) * SECONDS_PER_ENCODER_FRAME
        traces.append(dict(type="scatter", x=seconds, y=rows, mode="lines", line=dict(color=PATH_COLOR, width=2),
                           name="DTW path", hovertext=[f"{labels[r]} at {t:.2f} s" for r, t in zip(rows, seconds)],
                           hovertemplate="token %{hovertext}<extra>DTW path</extra>"))
    traces += _word_spans(words, len(tokens))
    # Hover comes from an invisible heatmap of the same cells (the image trace cannot name its row):
    # its %{y} is the y axis's label of the row, the token's text (ticktext, or labelalias where the
    # labels are thinned out); weights travel as a typed array. zsmooth "fast" draws it as one pixel per
    # cell, scaled up (blurred, which opacity 0 hides): in the app a toggle then waits ~10 ms more than
    # without it, instead of ~60 ms for plotly's brick-by-brick drawing. The visible image stays crisp.
    traces.append(dict(type="heatmap", z=z, x0=x0, dx=bin_seconds, y0=0, dy=1, opacity=0, showscale=False,
                       zsmooth="fast", name="cells", hoverongaps=False,
                       hovertemplate=f"<b>%{{y}}</b><br>time %{{x:.2f}} s<br>{value_label} %{{z:.4g}}{binned}"
                                     "<extra></extra>"))
    height = heatmap_height(len(tokens))
    step = label_step(len(tokens), height)
    shown = list(range(0, len(tokens), step))
    layout = dict(
        title=dict(text=title) if title else None, height=height, showlegend=False,
        # fixed margins: automargin measures every label and redraws the figure, on every head toggle
        margin=dict(l=label_margin([tokens[i].text for i in shown]), r=LEGEND_MARGIN_PX, t=40 if title else 10, b=50),
        xaxis=dict(title=dict(text="time (s)"), range=[offset + first * SECONDS_PER_ENCODER_FRAME,
                                                        offset + last * SECONDS_PER_ENCODER_FRAME],
                   showgrid=False, zeroline=False),
        yaxis=dict(tickmode="array", tickvals=shown, ticktext=[tokens[i].text for i in shown],
                   # rows without a tick (thinned out) still get their token's text as hover label
                   labelalias={str(i): token.text for i, token in enumerate(tokens) if i % step}, hoverformat="d",
                   range=[len(tokens) - 0.5, -0.5], showgrid=False, zeroline=False,
                   scaleanchor=False,  # an image trace would otherwise keep its pixels square
                   # on hover, a line across the hovered row leads to its label
                   showspikes=True, spikemode="across", spikesnap="cursor", spikethickness=1, spikedash="dot"),
        **_colour_legend(HEATMAP_COLORSCALE, low, high, value_label))
    return _figure(traces, layout)


def finite_range(z: np.ndarray) -> tuple[float, float]:
    """(min, max) of the finite values of z; (0, 1) when there are none."""
    finite = z[np.isfinite(z)]
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)


def png_uri(image: np.ndarray, colorscale: str, low: float, high: float) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_bytes(image, colorscale, value_range=(low, high))).decode()


@functools.lru_cache(maxsize=16)
def colour_ramp_uri(colorscale: str) -> str:
    """PNG data URI of `colorscale` as a vertical bar, high values at the top."""
    return png_uri(np.linspace(1.0, 0.0, 128, dtype=np.float32)[:, None], colorscale, 0.0, 1.0)  # (128, 1)


def _colour_legend(colorscale: str, low: float, high: float, value_label: str) -> dict:
    """Layout entries drawing a colour bar right of the plot: a gradient image and its end values.

    (A plotly colour bar costs about 20 ms more to draw on every head toggle.)
    """
    bar = dict(source=colour_ramp_uri(colorscale), xref="paper", yref="paper", x=1.02, y=0.9,
               sizex=0.02, sizey=0.8, sizing="stretch", xanchor="left", yanchor="top", layer="above")
    note = dict(xref="paper", yref="paper", x=1.02, showarrow=False, xanchor="left", font=dict(size=11))
    return dict(images=[bar], annotations=[
        {**note, "y": 0.92, "yanchor": "bottom", "text": f"{value_label}<br>{high:.3g}"},
        {**note, "y": 0.08, "yanchor": "top", "text": f"{low:.3g}"}])


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts without plotly's per-property validation (over 100 ms a figure);
    tests/test_figures.py validates every figure kind instead."""
    return go.Figure(dict(data=traces, layout=layout), _validate=False)


def label_margin(labels: Sequence[str]) -> int:
    """Left margin in CSS pixels that fits the longest of `labels` as y-axis ticks."""
    longest = max((len(label.strip()) for label in labels), default=0)
    return int(min(MAX_LABEL_MARGIN_PX, 16 + LABEL_CHAR_PX * longest))


def label_step(n_tokens: int, height: int) -> int:
    """Every how many token rows a label is drawn in a heatmap `height` pixels high (closer ones would overlap)."""
    return max(1, math.ceil(n_tokens * MIN_LABEL_PX / (height - 80)))


def is_unsure(word: WordTiming) -> bool:
    """Whether the aligner rated `word` under UNSURE_BELOW (words without a confidence are not)."""
    return word.confidence is not None and word.confidence < UNSURE_BELOW


def confidence_note(word: WordTiming) -> str:
    """"confidence 0.42 (unsure)" for a word's hover text; '' when the aligner gave it no confidence."""
    if word.confidence is None:
        return ""
    return f"confidence {word.confidence:.2f}" + (" (unsure)" if is_unsure(word) else "")


def heatmap_height(n_tokens: int) -> int:
    """Figure height in CSS pixels for a heatmap of `n_tokens` rows."""
    return int(min(MAX_HEATMAP_HEIGHT_PX, max(MIN_HEATMAP_HEIGHT_PX, 80 + ROW_HEIGHT_PX * n_tokens)))


def frame_span(time_range, offset: float, n_frames: int) -> tuple[int, int]:
    """First and one-past-last frame inside `time_range` seconds (the whole window when None)."""
    if time_range is None:
        return 0, n_frames
    start, end = time_range
    first = int(np.clip(math.floor((start - offset) / SECONDS_PER_ENCODER_FRAME), 0, n_frames - 1))
    last = int(np.clip(math.ceil((end - offset) / SECONDS_PER_ENCODER_FRAME), first + 1, n_frames))
    return first, last


def path_corners(text_indices: np.ndarray, time_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's points where it changes direction: the same line with far fewer points."""
    if len(text_indices) <= 2:
        return text_indices, time_indices
    steps = np.stack([np.diff(text_indices), np.diff(time_indices)], axis=1)  # (n - 1, 2)
    turns = np.flatnonzero((steps[1:] != steps[:-1]).any(axis=1)) + 1
    keep = np.concatenate([[0], turns, [len(text_indices) - 1]])
    return text_indices[keep], time_indices[keep]


def _word_spans(words: Sequence[WordTiming], n_rows: int) -> list[dict]:
    """Traces on the token axis (row i at y = i): every word's outline over its token rows and time span
    (one dotted line, rectangles separated by gaps) and a hover marker at each word's centre."""
    xs, ys, centres_x, centres_y, hover, colours = [], [], [], [], [], []
    for word in words:
        rows = [i for i in word.token_indices if 0 <= i < n_rows]
        if not rows:
            continue
        top, bottom = min(rows) - 0.5, max(rows) + 0.5
        xs += [word.start, word.end, word.end, word.start, word.start, None]
        ys += [top, top, bottom, bottom, top, None]
        centres_x.append((word.start + word.end) / 2)
        centres_y.append(min(rows))
        unsure, note = is_unsure(word), confidence_note(word)
        sure = f"<br>{note}" if note else ""
        hover.append(f"{word.word.strip()}<br>{word.start:.2f}–{word.end:.2f} s{sure}")
        colours.append(UNSURE_COLOR if unsure else WORD_COLOR)
    if not centres_x:
        return []
    return [dict(type="scatter", x=xs, y=ys, mode="lines", hoverinfo="skip", name="word spans",
                 line=dict(color=WORD_COLOR, width=1, dash="dot")),
            dict(type="scatter", x=centres_x, y=centres_y, mode="markers", name="words",
                 marker=dict(size=5, color=colours), hovertext=hover, hoverinfo="text")]


def head_mosaic(thumbnails: np.ndarray, selected: np.ndarray, scores: np.ndarray | None = None,
                png: bytes | None = None) -> go.Figure:
    """Every head's thumbnail in one figure: rows are decoder layers, columns are heads.

    thumbnails: float (layers, heads, rows, columns), e.g. from `downsample`, drawn as one small PNG
    (`png`, from `mosaic_png`, when the caller keeps it between calls). selected: bool (layers, heads),
    outlined. scores: float (layers, heads) shown under each thumbnail. Each thumbnail's centre carries
    a clickable marker whose customdata is [layer, head].
    """
    n_layers, n_heads, rows, columns = thumbnails.shape
    label_rows = _label_rows(rows)
    cell_h, cell_w = rows + label_rows, columns + THUMB_GAP
    png = mosaic_png(thumbnails) if png is None else png
    picture = dict(source="data:image/png;base64," + base64.b64encode(png).decode("ascii"), xref="x", yref="y",
                   x=0, y=0, sizex=n_heads * cell_w, sizey=n_layers * cell_h, sizing="stretch",
                   xanchor="left", yanchor="top", layer="below")
    centres_x, centres_y, custom, hover, labels, outline_x, outline_y = [], [], [], [], [], [], []
    for layer in range(n_layers):
        for head in range(n_heads):
            x0, y0 = head * cell_w, layer * cell_h  # the thumbnail's top-left cell
            on = bool(selected[layer, head])
            score = "" if scores is None else f" · {scores[layer, head]:.2f}"
            centres_x.append(x0 + columns / 2)
            centres_y.append(y0 + rows / 2)
            custom.append([layer, head])
            hover.append(f"layer {layer}, head {head}: {'on' if on else 'off'}{score}<br>click to toggle")
            labels.append(f"<b>{layer}:{head}{score}</b>" if on else f"{layer}:{head}{score}")
            if on:  # one line trace outlines every selected head (plotly shapes cost ~1 ms each to draw)
                left, right, top, bottom = x0 - 1, x0 + columns + 1, y0 - 1, y0 + rows + 1
                outline_x += [left, right, right, left, left, None]
                outline_y += [top, top, bottom, bottom, top, None]
    traces = [
        dict(type="scatter", x=outline_x, y=outline_y, mode="lines", line=dict(color=SELECTED_COLOR, width=3),
             hoverinfo="skip", name="selected"),
        dict(type="scatter", x=centres_x, y=[y + rows / 2 + 1 for y in centres_y], mode="text", text=labels,
             textposition="bottom center", textfont=dict(size=10), hoverinfo="skip", name="labels"),
        dict(type="scatter", x=centres_x, y=centres_y, customdata=custom, hovertext=hover, hoverinfo="text",
             mode="markers", name="heads", marker=dict(symbol="square", size=THUMB_HEIGHT_PX - 8,
                                                        color="rgba(0,0,0,0)")),
    ]
    layout = dict(
        images=[picture], showlegend=False, dragmode=False,
        clickmode="event+select", height=n_layers * (THUMB_HEIGHT_PX + THUMB_LABEL_PX) + 40,
        margin=dict(l=40, r=10, t=30, b=10),
        xaxis=dict(tickmode="array", tickvals=[h * cell_w + columns / 2 for h in range(n_heads)],
                   ticktext=[f"head {h}" for h in range(n_heads)], side="top", showgrid=False, zeroline=False,
                   range=[-THUMB_GAP, n_heads * cell_w], fixedrange=True),
        yaxis=dict(tickmode="array", tickvals=[layer * cell_h + rows / 2 for layer in range(n_layers)],
                   ticktext=[f"L{layer}" for layer in range(n_layers)], range=[n_layers * cell_h, -THUMB_GAP],
                   showgrid=False, zeroline=False, fixedrange=True))
    return _figure(traces, layout)


def _label_rows(rows: int) -> int:
    """Cells left under each thumbnail for its label."""
    return max(THUMB_GAP, math.ceil(rows * THUMB_LABEL_PX / THUMB_HEIGHT_PX))


def mosaic_png(thumbnails: np.ndarray) -> bytes:
    """The mosaic's picture: every thumbnail in Magma, the gaps transparent."""
    return _png_bytes(mosaic_image(thumbnails, _label_rows(thumbnails.shape[2])), MOSAIC_COLORSCALE)


def mosaic_image(thumbnails: np.ndarray, row_gap: int = THUMB_GAP) -> np.ndarray:
    """float32 (layers * (rows + row_gap), heads * (columns + THUMB_GAP)) tiling of (layers, heads, rows,
    columns) thumbnails, each scaled to its own maximum (0..1); gaps are NaN."""
    n_layers, n_heads, rows, columns = thumbnails.shape
    peak = thumbnails.max(axis=(2, 3), keepdims=True)
    scaled = np.where(peak > 0, thumbnails / np.where(peak > 0, peak, 1), 0)
    cell_h, cell_w = rows + row_gap, columns + THUMB_GAP
    image = np.full((n_layers * cell_h, n_heads * cell_w), np.nan, np.float32)
    for layer in range(n_layers):
        for head in range(n_heads):
            image[layer * cell_h: layer * cell_h + rows, head * cell_w: head * cell_w + columns] = scaled[layer, head]
    return image


def word_shift_figure(words_a: Sequence[WordTiming], words_b: Sequence[WordTiming],
                      names: tuple[str, str] = ("A", "B")) -> go.Figure:
    """Per-word start and end differences (B - A, milliseconds) of two alignments of the same words."""
    labels = [f"{i} {a.word.strip()}" for i, a in enumerate(words_a)]
    start = [1000 * (b.start - a.start) for a, b in zip(words_a, words_b)]
    end = [1000 * (b.end - a.end) for a, b in zip(words_a, words_b)]
    traces = [dict(type="bar", x=labels, y=start, name="start"), dict(type="bar", x=labels, y=end, name="end")]
    # room for the axis title, the tick values and the slanted word labels (fixed margins clip them)
    return _figure(traces, dict(barmode="group", height=320, margin=dict(l=70, r=10, t=30, b=90),
                                yaxis=dict(title=dict(text=f"{names[1]} − {names[0]} (ms)"), zeroline=True),
                                legend=dict(orientation="h", y=1.12), xaxis=dict(type="category", tickangle=-45)))


@functools.lru_cache(maxsize=16)
def _colour_table(colorscale: str) -> np.ndarray:
    """uint8 (256, 3): `colorscale` sampled at 256 levels (plotly takes ~10 ms; heatmaps redraw on every toggle)."""
    table = np.array([pcolors.unlabel_rgb(c) for c in pcolors.sample_colorscale(colorscale, 256)], np.uint8)
    table.flags.writeable = False
    return table


def _png_bytes(image: np.ndarray, colorscale: str, row_px: int = 1, column_px: int = 1,
               path_points: list[tuple[float, float]] | None = None,
               value_range: tuple[float, float] | None = None) -> bytes:
    """PNG of a float (rows, columns) image coloured with `colorscale` over `value_range` (default: its own
    range); NaN is transparent. Each cell becomes row_px x column_px pixels; path_points (x, y pixels)
    are drawn as a line.
    """
    from PIL import Image, ImageDraw  # noqa: PLC0415 - Pillow comes with Streamlit; only PNGs need it

    x = np.asarray(image, dtype=np.float32)
    finite = np.isfinite(x)
    low, high = finite_range(x) if value_range is None else value_range
    scaled = (np.where(finite, x, low) - low) / (high - low if high > low else 1.0)
    levels = np.rint(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)
    lut = _colour_table(colorscale)  # (256, 3)
    rgba = np.dstack([lut[levels], np.where(finite, 255, 0).astype(np.uint8)])  # (rows, columns, 4)
    rgba = np.repeat(np.repeat(rgba, row_px, axis=0), column_px, axis=1)
    picture = Image.fromarray(rgba, "RGBA")
    if path_points:
        ImageDraw.Draw(picture).line(path_points, fill=PATH_COLOR, width=2)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)  # fast: heatmaps are re-encoded on every toggle
    return buffer.getvalue()


def matrix_png(matrix: np.ndarray, path: tuple[np.ndarray, np.ndarray] | None = None) -> bytes:
    """A plain PNG raster of a (tokens, frames) matrix in Viridis with its DTW path, without kaleido.

    Each token row is RASTER_ROW_PX pixels high and each frame RASTER_FRAME_PX pixels wide; no axes.
    """
    points = None
    if path is not None and len(path[0]):
        rows, frames = path_corners(np.asarray(path[0]), np.asarray(path[1]))
        points = [((f + 0.5) * RASTER_FRAME_PX, (r + 0.5) * RASTER_ROW_PX) for r, f in zip(rows, frames)]
    return _png_bytes(matrix, HEATMAP_COLORSCALE, RASTER_ROW_PX, RASTER_FRAME_PX, points)
