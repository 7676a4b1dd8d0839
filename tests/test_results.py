"""Result dataclasses: what WindowCapture and AnalysisResult derive from the captures they hold."""

import dataclasses

import numpy as np
import pytest

from whisper_viz.results import AnalysisResult, Token, WindowCapture, WordTiming

EOT = Token(50256, "<|endoftext|>", b"", 0.9, special=True)


def window(index: int, offset: float, words: list[str], num_frames: int = 150) -> WindowCapture:
    tokens = (*(Token(100 + i, w, w.encode(), 0.5) for i, w in enumerate(words)), EOT)
    attention = np.full((2, 3, len(tokens), num_frames), 1 / num_frames, np.float16)  # (layers, heads, tokens, frames)
    return WindowCapture(index, offset, num_frames, attention, tokens, (50257,), "".join(words), "en", 0.1)


def result(windows: tuple[WindowCapture, ...]) -> AnalysisResult:
    heads = np.zeros((2, 3), bool)
    heads[1, 2] = True
    return AnalysisResult("tiny.en", "en", "transcribe", "".join(w.text for w in windows).strip(), 40.0, windows,
                          (), (), heads, False, False)


def test_window_duration_is_its_real_audio_frames_of_20_ms():
    assert window(0, 0.0, [" a"], num_frames=1500).duration == pytest.approx(30.0)
    assert window(0, 30.0, [" a"], num_frames=487).duration == pytest.approx(9.74)


def test_text_tokens_leave_out_end_of_text():
    capture = window(0, 0.0, [" Hello", " world", "."])
    assert [t.text for t in capture.text_tokens] == [" Hello", " world", "."]
    assert capture.tokens[-1] is EOT and EOT not in capture.text_tokens
    assert window(0, 0.0, []).text_tokens == ()


def test_analysis_result_reads_its_windows():
    first, second = window(0, 0.0, [" one", " two"]), window(1, 28.4, [" three"], num_frames=580)
    analysis = result((first, second))
    assert analysis.attention is first.attention  # the first window, the whole clip when it is <= 30 s
    assert [t.text for t in analysis.tokens] == [" one", " two", " three"]  # every window's, no end-of-text
    assert analysis.shape == (2, 3)  # (layers, heads) of the decoder
    assert analysis.text == "one two three" and analysis.audio.shape == (0,)


def test_results_are_frozen():
    analysis = result((window(0, 0.0, [" a"]),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.text = "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.windows[0].offset = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        WordTiming(" a", 0.0, 0.5, 0.9).start = 0.1
