"""One window of captured attention aligned with one head set: the reference (openai-whisper) steps.

Per window, the selected heads' attention (tokens, frames) is renormalized over frames, normalized
across tokens per frame, median-filtered along time and averaged (matrices.py caches each head's
filtered matrix, so a head toggle costs one masked mean and one DTW); DTW on the negated matrix gives
each token's first frame (20 ms each); word_timing.py groups tokens into words, merges punctuation and
applies openai-whisper's `add_word_timestamps` heuristics when `postprocess` is on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import ENCODER_FRAMES_PER_SECOND, SECONDS_PER_ENCODER_FRAME
from ..errors import AlignmentError
from ..heads import HeadSet, parse_heads
from ..results import AnalysisResult, WindowCapture, WordTiming
from .dtw import dtw_numba
from .matrices import MATRIX_CACHE
from .options import AlignmentOptions
from .word_timing import clear_splits, finish_words, timed_words


@dataclass(frozen=True, eq=False)
class WindowAlignment:
    """One window aligned with one head set."""

    window: int  # index of the window
    offset: float  # seconds from the start of the audio to the window start
    heads: HeadSet
    options: AlignmentOptions
    matrix: np.ndarray  # float32 (tokens, frames): normalized, filtered, mean over heads
    text_indices: np.ndarray  # int64 (steps,) token row of each DTW path step
    time_indices: np.ndarray  # int64 (steps,) frame of each DTW path step
    token_starts: np.ndarray  # float64 (tokens,) seconds from the window start where each row begins
    words: tuple[WordTiming, ...]  # absolute times


def head_matrices(capture: WindowCapture, heads, options: AlignmentOptions | None = None) -> np.ndarray:
    """float32 (k, tokens, frames): each selected head normalized and filtered, layer-major order."""
    options = options or AlignmentOptions()
    heads = _window_heads(capture, heads)
    rows = MATRIX_CACHE.rows(capture, options, heads.flat_indices.astype(np.int64))
    return rows.reshape(len(heads), *capture.attention.shape[2:])


def align_window(capture: WindowCapture, heads, options: AlignmentOptions | None = None, *,
                 official=None, last_speech: float | None = None, segments=()) -> WindowAlignment:
    """Align one window with `heads` (a HeadSet, mask, dump, "l:h" text or preset name).

    last_speech: seconds where speech last ended before this window (the pause rule); None uses
    the window start. segments: this window's `Segment`s, for the segment-edge rules.
    """
    options = options or AlignmentOptions()
    heads = _window_heads(capture, heads, official)
    if heads.is_empty:
        raise AlignmentError("the head set is empty: select at least one head to align with")
    n_tokens, n_frames = capture.attention.shape[2:]
    matrix = MATRIX_CACHE.mean(capture, options, heads.flat_indices.astype(np.int64)).reshape(n_tokens, n_frames)  # (tokens, frames)
    empty = np.zeros(0, np.int64)
    if n_tokens <= 1:  # end-of-text only: nothing to align
        return WindowAlignment(capture.index, capture.offset, heads, options, matrix, empty, empty,
                               np.zeros(n_tokens), ())
    if n_tokens > n_frames:
        raise AlignmentError(
            f"window {capture.index} has {n_tokens} tokens but only {n_frames} frames of audio "
            f"({n_frames * SECONDS_PER_ENCODER_FRAME:.2f} s); DTW cannot give each token its own frame"
        )
    text_indices, time_indices = dtw_numba(-matrix)
    jumps = np.diff(text_indices, prepend=-1) > 0  # first step on each token row
    token_starts = time_indices[jumps] / ENCODER_FRAMES_PER_SECOND  # (tokens,) seconds
    words = timed_words(capture, token_starts)
    words = finish_words(words, capture, options, last_speech, segments)
    return WindowAlignment(capture.index, capture.offset, heads, options, matrix, text_indices, time_indices,
                           token_starts, words)


def _window_heads(capture: WindowCapture, heads, official=None) -> HeadSet:
    attention = capture.attention
    if not isinstance(attention, np.ndarray) or attention.ndim != 4:
        raise AlignmentError(
            f"window attention must be a 4-D array (layers, heads, tokens, frames), "
            f"got shape {getattr(attention, 'shape', None)}"
        )
    n_layers, n_heads, n_tokens, n_frames = attention.shape
    if n_tokens != len(capture.tokens):
        raise AlignmentError(f"window {capture.index} attention has {n_tokens} token rows for {len(capture.tokens)} tokens")
    if n_frames < 1:
        raise AlignmentError(f"window {capture.index} has no audio frames to align to")
    if isinstance(heads, HeadSet) and heads.shape != (n_layers, n_heads):
        raise AlignmentError(f"head set has shape {heads.shape} but the attention has {(n_layers, n_heads)} (layers, heads)")
    return parse_heads(heads, (n_layers, n_heads), official=official)



def align_windows(result: AnalysisResult, heads: HeadSet, options: AlignmentOptions) -> tuple[WindowAlignment, ...]:
    """Every window of `result` aligned with the reference steps; the pause and segment-edge rules
    carry where speech last ended from one window to the next."""
    aligned, last_speech = [], 0.0
    for capture in result.windows:
        window_segments = tuple(s for s in result.segments if s.window == capture.index)
        window = align_window(capture, heads, options, last_speech=last_speech, segments=window_segments)
        if window.words:
            last_speech = window.words[-1].end
        aligned.append(window)
    return tuple(aligned)


def clear_cache() -> None:
    """Drop every cached per-head matrix and token grouping."""
    MATRIX_CACHE.clear()
    clear_splits()
