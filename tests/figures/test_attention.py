"""Figures: shapes of what is drawn, traces, validity under plotly's own checks, and payload size."""

import base64
import io

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
import pytest

from whisper_viz.figures import attention as figures
from whisper_viz.figures.render import figure_json
from whisper_viz.results import Token, WordTiming

MAX_PAYLOAD_BYTES = 2 * 1024 * 1024  # the bound for one figure of a 30 s clip


def _tokens(n: int) -> tuple[Token, ...]:
    words = [" the", " cat", " sat", " on", " the", " mat"]  # repeated " the" must keep its own row
    text = [Token(i, words[i % len(words)], words[i % len(words)].encode(), 0.9) for i in range(n - 1)]
    return (*text, Token(50256, "<|endoftext|>", b"", 0.9, special=True))


def _diagonal(n_tokens: int, n_frames: int, seed: int = 0) -> np.ndarray:
    """float32 (tokens, frames): noise with a bright diagonal, like an alignment head."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_tokens, n_frames), dtype=np.float32) * 0.1
    x[np.arange(n_tokens), np.linspace(0, n_frames - 1, n_tokens).astype(int)] = 1.0
    return x


def _words(n_tokens: int, seconds: float) -> tuple[WordTiming, ...]:
    step = seconds / (n_tokens - 1)
    return tuple(WordTiming(f" w{i}", i * step, (i + 1) * step, 0.9, 0, (i,)) for i in range(n_tokens - 1))


def _validated(fig: go.Figure) -> go.Figure:
    """`fig` after plotly's full validation passed on it (figures are built without it, for speed)."""
    go.Figure(fig.to_dict())  # raises on any invalid property
    return fig


def test_bin_time_averages_frames_and_keeps_a_short_last_bin():
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    binned = figures.bin_time(x, 4)
    assert binned.shape == (1, 3)
    np.testing.assert_allclose(binned[0], [1.5, 5.5, 8.5])
    assert figures.bin_time(x, 1) is not None and figures.bin_time(x, 1).shape == (1, 10)


def test_downsample_bounds_the_last_two_axes():
    x = np.ones((4, 6, 90, 1500), np.float32)
    small = figures.downsample(x, 24, 64)
    assert small.shape[:2] == (4, 6) and small.shape[2] <= 24 and small.shape[3] <= 64
    np.testing.assert_allclose(small, 1.0)


def _png_of(source: str) -> np.ndarray:
    """The RGBA pixels (rows, columns, 4) of a data-URI PNG."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGBA"))


def test_heatmap_traces_rows_and_word_spans():
    tokens = _tokens(13)
    matrix = _diagonal(13, 400)
    path = (np.minimum(np.arange(400) // 31, 12), np.arange(400))
    fig = _validated(figures.attention_heatmap(matrix, tokens, offset=0.0, path=path, words=_words(13, 8.0),
                                               title="A"))
    heat, line, spans, marks, cells = fig.data
    assert heat.type == "image" and {t.type for t in (line, spans, marks)} == {"scatter"}
    assert heat.hoverinfo == "skip" and cells.type == "heatmap" and cells.opacity == 0  # hover only, not seen
    assert cells.zsmooth == "fast"  # drawn one pixel per cell (cheap), not brick by brick
    pixels = _png_of(heat.source)
    assert pixels.shape == (13, 400, 4)  # short clips are drawn at full resolution, one pixel per cell
    bright = tuple(int(c) for c in pixels[0, 0, :3])  # the diagonal's 1.0 is the top of the colour scale
    assert bright == pcolors.unlabel_rgb(pcolors.sample_colorscale(figures.HEATMAP_COLORSCALE, [1.0])[0])
    np.testing.assert_array_equal(cells.z, matrix)  # hover shows each cell's weight...
    assert (cells.x0, cells.dx, cells.y0, cells.dy) == (heat.x0, heat.dx, 0, 1)  # ...over the image's cells
    assert "%{y}" in cells.hovertemplate and "time" in cells.hovertemplate and "weight" in cells.hovertemplate
    # %{y} is the row's y-axis label: its tick text, or (labels thinned out) its alias, the token's text
    yaxis = fig.layout.yaxis
    row_text = {**dict(zip(yaxis.tickvals, yaxis.ticktext)), **{int(k): v for k, v in yaxis.labelalias.items()}}
    assert row_text == {i: t.text for i, t in enumerate(tokens)} and yaxis.hoverformat == "d"
    assert all(text.startswith(f"#{row} ") for row, text in zip(line.y, line.hovertext))  # the path names tokens
    assert line.hovertext[0] == "#0 ' the' at 0.01 s"
    assert len(spans.x) == 12 * 6 and spans.y[:5] == (-0.5, -0.5, 0.5, 0.5, -0.5)  # one outline per word
    assert len(marks.hovertext) == 12 and "w0" in marks.hovertext[0]
    assert fig.layout.xaxis.range == (0.0, 8.0)
    assert fig.layout.yaxis.range == (12.5, -0.5) and fig.layout.yaxis.ticktext[1] == " cat"
    legend = fig.layout.images[0]
    assert _png_of(legend.source).shape[:2] == (128, 1) and "weight" in fig.layout.annotations[0].text


def test_heatmap_path_keeps_only_its_corners():
    tokens = _tokens(5)
    path = (np.array([0, 0, 0, 1, 2, 2, 3, 4]), np.array([0, 1, 2, 3, 4, 5, 6, 7]))
    fig = figures.attention_heatmap(_diagonal(5, 8), tokens, path=path)
    line = fig.data[1]
    assert len(line.x) < len(path[0])
    assert line.y[0] == 0 and line.y[-1] == 4  # token rows: row i at y = i, as the image's


def test_heatmap_zoom_crops_and_offsets_time():
    tokens = _tokens(20)
    fig = figures.attention_heatmap(_diagonal(20, 1500), tokens, offset=30.0, time_range=(32.0, 34.0))
    heat, cells = fig.data[0], fig.data[-1]
    assert np.asarray(cells.z).shape == (20, 100)  # 2 s of 20 ms frames, no binning when zoomed in
    assert fig.layout.xaxis.range == pytest.approx((32.0, 34.0))
    assert heat.x0 == pytest.approx(32.01)


def test_heatmap_rejects_a_matrix_that_does_not_fit_the_tokens():
    with pytest.raises(ValueError, match="rows"):
        figures.attention_heatmap(np.zeros((3, 10)), _tokens(4))


@pytest.mark.parametrize("n_tokens", [90, 224])  # a typical 30 s window, and the decoder's maximum
def test_heatmap_payload_of_a_30_second_window_stays_small(n_tokens):
    tokens = _tokens(n_tokens)
    frames = 1500  # 30 s of 20 ms frames
    path = (np.sort(np.random.default_rng(1).integers(0, n_tokens, frames)), np.arange(frames))
    fig = figures.attention_heatmap(_diagonal(n_tokens, frames), tokens, path=path, words=_words(n_tokens, 30.0))
    size = len(figure_json(fig))
    assert size < MAX_PAYLOAD_BYTES, f"{size} bytes"
    cells = np.asarray(fig.data[-1].z).shape
    assert cells[1] <= figures.MAX_DISPLAY_COLUMNS and cells[0] * cells[1] <= figures.MAX_HOVER_CELLS
    assert _png_of(fig.data[0].source).shape[:2] == cells
    assert "mean of" in fig.data[-1].hovertemplate  # hover says the weight is a bin mean
    yaxis = fig.layout.yaxis  # labels are thinned out, and every row still has its hover text
    assert len(yaxis.tickvals) < n_tokens and set(map(int, yaxis.labelalias)) | set(yaxis.tickvals) == set(range(n_tokens))


def test_mosaic_of_base_marks_selected_heads_and_stays_small():
    heads = np.stack([_diagonal(90, 1500, seed) for seed in range(48)]).reshape(6, 8, 90, 1500)
    thumbs = figures.downsample(heads, figures.THUMB_ROWS, figures.THUMB_COLUMNS)
    selected = np.zeros((6, 8), bool)
    selected[[3, 4, 5], [1, 2, 4]] = True
    fig = _validated(figures.head_mosaic(thumbs, selected, scores=np.linspace(0, 1, 48).reshape(6, 8)))
    outlines, labels, marks = fig.data
    assert len(marks.customdata) == 48 and list(marks.customdata[0]) == [0, 0]
    assert len(outlines.x) == 3 * 6 and len(fig.layout.images) == 1  # three selected heads outlined
    assert len(labels.text) == 48 and "0.00" in labels.text[0] and labels.text[25].startswith("<b>3:1")
    assert len(figure_json(fig)) < 300_000


def test_word_shift_figure_has_start_and_end_bars():
    a = _words(5, 2.0)
    b = tuple(WordTiming(w.word, w.start + 0.02, w.end, w.probability) for w in a)
    fig = _validated(figures.word_shift_figure(a, b))
    assert [t.name for t in fig.data] == ["start", "end"]
    assert fig.data[0].y[0] == pytest.approx(20.0)


def test_matrix_png_is_a_png_of_the_expected_size():
    import io

    from PIL import Image

    png = figures.matrix_png(_diagonal(6, 50), (np.arange(6).repeat(9)[:50], np.arange(50)))
    image = Image.open(io.BytesIO(png))
    assert image.size == (50 * figures.RASTER_FRAME_PX, 6 * figures.RASTER_ROW_PX)


def test_mosaic_image_tiles_thumbnails_with_nan_gaps():
    image = figures.mosaic_image(np.ones((2, 3, 4, 5), np.float32))
    assert image.shape == (2 * (4 + figures.THUMB_GAP), 3 * (5 + figures.THUMB_GAP))
    assert np.isnan(image).any() and np.nanmax(image) == 1.0
