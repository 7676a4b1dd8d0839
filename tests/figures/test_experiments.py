"""Figures of the silence lab and the teaching page: valid under plotly's checks, and drawing what they are given."""

import json
import re

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
import pytest
import whisper.timing

from whisper_viz.engine.audio import load_audio, log_mel_spectrogram
from whisper_viz.figures import experiments as figures
from whisper_viz.figures.render import figure_json
from whisper_viz.results import Token, WordTiming

SAMPLE_RATE = 16000
# hex colours Streamlit's chart theme swaps for its own palette (#000001-#000010 categorical, #000011-#000020
# sequential) in every figure it draws with theme="streamlit"
STREAMLIT_PLACEHOLDER = re.compile(r"#0000(0[1-9]|1\d|20)\b", re.IGNORECASE)


def validated(fig: go.Figure) -> go.Figure:
    go.Figure(fig.to_dict())  # raises on any invalid property
    return fig


def tokens(n: int) -> tuple[Token, ...]:
    text = tuple(Token(100 + i, f" w{i}", f" w{i}".encode(), 0.9) for i in range(n - 1))
    return (*text, Token(50256, "<|endoftext|>", b"", 0.9, special=True))


def as_streamlit_draws(fig: go.Figure) -> go.Figure:
    """`fig` after Streamlit's theme swapped its palette placeholders (the dark theme's red stands in for each)."""
    return go.Figure(json.loads(STREAMLIT_PLACEHOLDER.sub("#ff2b2b", figure_json(fig))))


def luminance(colour: str) -> float:
    red, green, blue = (c / 255 for c in pcolors.unlabel_rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_mel_figure_draws_digital_silence_dark(data_dir):
    audio = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), load_audio(data_dir / "hello.wav")])  # 1 s silence
    mel = log_mel_spectrogram(audio).numpy()  # (80, frames of 10 ms)
    fig = validated(figures.mel_figure(mel))
    (heat,) = fig.data
    z = np.asarray(heat.z, np.float32)
    assert z.shape == (80, mel.shape[1])  # under MAX_COLUMNS: one column per mel frame
    assert heat.dx == pytest.approx(0.01) and heat.x0 == pytest.approx(0.005)
    assert np.allclose(z[:, :80], mel.min())  # the silence is the spectrogram's floor
    assert heat.zmin is None  # so the floor takes the colour scale's bottom colour
    for drawn in (fig, as_streamlit_draws(fig)):  # the Teach page draws it with Streamlit's theme
        colorscale = [list(stop) for stop in drawn.data[0].colorscale]
        bottom, top = pcolors.sample_colorscale(colorscale, [0.0, 1.0])
        assert luminance(bottom) < 0.05 < 0.8 < luminance(top), (bottom, top)  # quiet dark, loud light


def test_mel_figure_bins_long_spectrograms():
    mel = np.tile(np.arange(3000, dtype=np.float32), (80, 1))  # (80, 3000): 30 s
    (heat,) = validated(figures.mel_figure(mel)).data
    factor = int(np.ceil(3000 / figures.MAX_COLUMNS))
    assert np.asarray(heat.z).shape == (80, 3000 // factor)
    assert heat.dx == pytest.approx(factor / 100)
    np.testing.assert_allclose(np.asarray(heat.z)[0, :2], [(factor - 1) / 2, factor + (factor - 1) / 2])


def test_accumulated_cost_ends_with_the_cost_of_openai_whispers_dtw_path():
    rng = np.random.default_rng(0)
    for shape in ((6, 20), (12, 12), (1, 7), (9, 1)):
        cost = rng.random(shape)
        table = figures.accumulated_cost(cost)
        rows, frames = whisper.timing.dtw_cpu(cost)
        assert table.shape == shape
        assert table[-1, -1] == pytest.approx(cost[rows, frames].sum())  # the cheapest path's total
        np.testing.assert_allclose(table[0], np.cumsum(cost[0]))  # the first token: only moves right
        np.testing.assert_allclose(table[:, 0], np.cumsum(cost[:, 0]))


def test_dtw_steps_figure_draws_the_first_steps_of_the_path():
    rng = np.random.default_rng(1)
    cost = rng.random((5, 30))
    path = whisper.timing.dtw_cpu(cost)
    labels = [f" w{i}" for i in range(5)]
    heat, line, marker = validated(figures.dtw_steps_figure(cost, path, 7, labels, title="cost")).data
    np.testing.assert_array_equal(heat.z, cost)
    assert list(line.x) == list(path[1][:7]) and list(line.y) == list(path[0][:7])
    assert (marker.x[0], marker.y[0]) == (path[1][6], path[0][6])  # the current cell
    fig = validated(figures.dtw_steps_figure(cost, path, 0, labels))
    assert len(fig.data) == 2 and len(fig.data[1].x) == 0  # no step taken: no path, no marker
    assert list(fig.layout.yaxis.ticktext) == labels


def test_mask_figure_shows_each_head_on_or_off():
    mask = np.zeros((4, 6), bool)
    mask[3, 1] = mask[1, 0] = True
    fig = validated(figures.mask_figure(mask, title="heads"))
    (heat,) = fig.data
    np.testing.assert_array_equal(heat.z, mask.astype(int))
    assert heat.text[3][1] == "1" and heat.text[0][0] == "0"
    assert fig.layout.height == 60 + 34 * 4 and fig.layout.title.text == "heads"


def test_shift_error_figure_plots_milliseconds_per_head_set():
    durations = [0.0, 2.0, 7.0]
    errors = {"official": [0.0, 0.02, 0.4], "tuned": [0.0, 0.01, 0.03]}
    fig = validated(figures.shift_error_figure(durations, errors, worst={"official": [0.0, 0.1, 1.5]}, limit=0.5))
    assert [t.name for t in fig.data] == ["official · mean", "official · worst word", "tuned · mean"]
    assert list(fig.data[0].x) == durations
    np.testing.assert_allclose(fig.data[0].y, [0, 20, 400])
    np.testing.assert_allclose(fig.data[1].y, [0, 100, 1500])
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color  # one colour per set
    assert [s.y0 for s in fig.layout.shapes] == [500]  # the limit line, in ms
    assert not validated(figures.shift_error_figure(durations, errors)).layout.shapes


def test_with_gap_inserts_blank_columns_at_each_point():
    matrix = np.arange(20, dtype=np.float32).reshape(2, 10)  # (rows, frames of 20 ms)
    stretched = figures.with_gap(matrix, [0.1, 0.14], 0.06)  # frames 5 and 7, 3 frames each
    assert stretched.shape == (2, 16)
    assert np.isnan(stretched[:, 5:8]).all() and np.isnan(stretched[:, 10:13]).all()
    np.testing.assert_array_equal(stretched[:, ~np.isnan(stretched[0])], matrix)


def test_stacked_heatmaps_line_the_original_up_with_the_variant():
    n_tokens, frames, gap = 4, 50, 10  # the variant has 0.2 s (10 frames) of silence at 0.4 s (frame 20)
    original = np.random.default_rng(2).random((n_tokens, frames), dtype=np.float32)
    variant = np.random.default_rng(3).random((n_tokens, frames + gap), dtype=np.float32)
    original_path = (np.array([0, 1, 2, 3]), np.array([5, 15, 25, 35]))
    variant_path = (np.array([0, 1, 2, 3]), np.array([5, 15, 35, 45]))
    fig = validated(figures.stacked_heatmaps(original, original_path, variant, variant_path, tokens(n_tokens),
                                             [0.4], 0.2, title="silence"))
    top, bottom, original_line, moved_line, variant_line = fig.data
    assert np.asarray(top.z, np.float32).shape == np.asarray(bottom.z).shape == (n_tokens, frames + gap)
    assert np.isnan(np.asarray(top.z, np.float32)[:, 20:30]).all() and not np.isnan(np.asarray(bottom.z)).any()
    centres = (np.array([5, 15, 25, 35]) + 0.5) * 0.02
    np.testing.assert_allclose(original_line.x, centres + np.array([0, 0, 0.2, 0.2]))  # words after 0.4 s move
    np.testing.assert_allclose(moved_line.x, original_line.x)
    np.testing.assert_allclose(variant_line.x, (np.array([5, 15, 35, 45]) + 0.5) * 0.02)
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(pytest.approx(0.4), pytest.approx(0.6))]  # the silence
    assert list(fig.layout.yaxis.ticktext) == [t.text for t in tokens(n_tokens)]


def test_waveform_figure_envelope_words_and_points():
    audio = np.zeros(3 * SAMPLE_RATE, np.float32)
    audio[SAMPLE_RATE: SAMPLE_RATE + 100] = 0.5  # one click at 1 s
    words = (WordTiming(" a", 0.2, 0.6, 0.9), WordTiming(" b", 1.0, 1.4, 0.9))
    fig = validated(figures.waveform_figure(audio, SAMPLE_RATE, words, points=[2.5]))
    (envelope,) = fig.data
    assert len(envelope.x) == figures.WAVEFORM_POINTS and 0 < envelope.x[0] < envelope.x[-1] < 3.0
    loud = np.asarray(envelope.x)[np.asarray(envelope.y) > 0]
    assert loud.size and np.all(np.abs(loud - 1.0) < 0.01)  # the click, at its time in seconds
    assert [a.text for a in fig.layout.annotations] == ["1·a", "2·b"]
    shapes = [(s.type, s.x0, s.x1) for s in fig.layout.shapes]
    assert shapes == [("rect", 0.2, 0.6), ("rect", 1.0, 1.4), ("line", 2.5, 2.5)]
    assert fig.layout.yaxis.range == (0, pytest.approx(0.7))
