"""The heatmap picture (SVG): well-formed, what it draws, where, and that no text can inject markup."""

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from whisper_viz.alignment.presets import PRESETS
from whisper_viz.engine.analysis import analyze
from whisper_viz.figures import attention as figures
from whisper_viz.figures.picture import attention_picture, time_ticks
from whisper_viz.results import Token, WordTiming

SVG = "{http://www.w3.org/2000/svg}"


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on markup that is not well-formed


def _png_shape(uri: str) -> tuple[int, ...]:
    from PIL import Image

    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))).shape


def _tokens(texts) -> tuple[Token, ...]:
    return tuple(Token(i, t, t.encode(), 0.9) for i, t in enumerate(texts))


def test_a_real_analysis_is_drawn_with_its_path_words_and_axes(tiny_model, data_dir):
    result = analyze(tiny_model, data_dir / "pause7.flac")
    window = PRESETS["tuned"].align(result)[0]
    capture = result.windows[0]
    svg = attention_picture(window.matrix, capture.tokens, offset=capture.offset,
                            path=(window.text_indices, window.time_indices), words=window.words,
                            title="Head set A · 8 heads", value_label="filtered")
    root = _tree(svg)
    assert root.get("class") == "wv-picture" and root.get("aria-label") == "Head set A · 8 heads"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Head set A · 8 heads" in texts and "time (s)" in texts and "filtered" in texts
    assert "McDonald" in texts  # token labels on the left
    seconds = window.matrix.shape[1] * 0.02
    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "wv-tick"]
    assert ticks[0] == 0.0 and seconds - 2.0 <= ticks[-1] <= seconds and 4 <= len(ticks) <= 10, ticks
    matrix_image = next(root.iter(f"{SVG}image"))
    bins = min(window.matrix.shape[1], figures.MAX_DISPLAY_COLUMNS)
    assert _png_shape(matrix_image.get("href"))[:2] == (len(capture.tokens), bins)
    words = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "wv-word"]
    assert len(words) == len(window.words)
    tips = [r.find(f"{SVG}title").text for r in words]
    assert any(t.startswith("McDonald") and "confidence" in t for t in tips), tips
    points = next(p for p in root.iter(f"{SVG}polyline")).get("points").split()
    xs = [float(p.split(",")[0]) for p in points]
    assert xs == sorted(xs) and len(points) >= len(window.words)  # the DTW path runs left to right
    # a word's outline sits over its time: x of "often" (second sentence, after the 7 s pause) is right of 8 s
    plot_w = float(list(root.iter(f"{SVG}svg"))[1].get("width"))  # the plot area inside the picture
    often = next(r for r, t in zip(words, tips) if t.startswith("often"))
    assert float(often.get("x")) / plot_w * seconds > 8.0


def test_every_text_is_escaped():
    hostile = ["<script>alert(1)</script>", ' "onmouseover="x', " &amp; <b>"]
    tokens = _tokens(hostile)
    words = (WordTiming('<img src=x onerror="1">', 0.0, 0.5, 0.9, 0, (0,), 0.2),)
    svg = attention_picture(np.ones((3, 50), np.float32), tokens, words=words, title="<i>A</i> & B")
    root = _tree(svg)
    names = {e.tag.replace(SVG, "") for e in root.iter()}
    assert names <= {"svg", "text", "line", "image", "rect", "title", "polyline", "circle"}, names
    texts = [t.text for t in root.iter(f"{SVG}text")] + [t.text for t in root.iter(f"{SVG}title")]
    assert "<i>A</i> & B" in texts and "<script>alert(1)</script>" in texts
    assert any(t and t.startswith('<img src=x onerror="1"> · 0.00–0.50 s') and "unsure" in t for t in texts)
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
    assert next(c for c in root.iter(f"{SVG}circle")).get("fill") == figures.UNSURE_COLOR  # unsure stands out


def test_zoom_draws_only_the_range_and_its_ticks():
    tokens = _tokens([" a", " b", " c", " d"])
    svg = attention_picture(np.random.default_rng(0).random((4, 1500), dtype=np.float32), tokens, offset=30.0,
                            time_range=(32.0, 34.0))
    root = _tree(svg)
    assert _png_shape(next(root.iter(f"{SVG}image")).get("href"))[:2] == (4, 100)  # 2 s of 20 ms frames
    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "wv-tick"]
    assert ticks and min(ticks) >= 32.0 and max(ticks) <= 34.0


@pytest.mark.parametrize("start, end", [(0.0, 30.0), (32.0, 34.0), (0.0, 0.4), (12.3, 19.9)])
def test_time_ticks_are_round_inside_and_few(start, end):
    ticks = time_ticks(start, end)
    assert 2 <= len(ticks) <= 10 and start <= ticks[0] and ticks[-1] <= end + 1e-9


def test_a_matrix_that_does_not_fit_the_tokens_is_refused():
    with pytest.raises(ValueError):
        attention_picture(np.ones((3, 10)), _tokens([" a", " b"]))
