"""Word timings from cross-attention: normalize -> median filter -> mean over heads -> DTW -> words.

Per window, the selected heads' attention (tokens, frames) is renormalized over frames, normalized
across tokens per frame, median-filtered along time and averaged; DTW on the negated matrix gives
each token's first frame (20 ms each); tokens are grouped into words and punctuation merged like
openai-whisper's `find_alignment` + `merge_punctuations` (+ `add_word_timestamps` heuristics when
`postprocess` is on). The per-head filtered matrices are cached (head_matrices.py), so a head
toggle costs one masked mean and one DTW; word grouping and heuristics live in word_timing.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .dtw import dtw_numba
from .errors import AlignmentError
from .head_matrices import _CACHE, NORMALIZATIONS, normalize_attention  # noqa: F401  (re-exported)
from .heads import HeadSet, parse_heads
from .results import AnalysisResult, WindowCapture, WordTiming
from .word_timing import _SPLITS, _finish_words, _timed_words, split_tokens  # noqa: F401  (re-exported)

TOKENS_PER_SECOND = 50  # encoder frames per second (20 ms each)


@dataclass(frozen=True)
class AlignmentOptions:
    """How attention becomes word timings."""

    normalization: str = "reference"  # across tokens per frame: "reference" | "ct2" | "l2" | "none"
    medfilt_width: int = 7  # median filter along time, in frames (odd; 1 = off)
    postprocess: bool = True  # openai-whisper's word-duration heuristics; False shows raw DTW
    prepend_punctuations: str = "\"'“¿([{-"  # merged into the following word
    append_punctuations: str = "\"'.。,，!！?？:：”)]}、"  # merged into the previous word

    def __post_init__(self):
        if self.normalization not in NORMALIZATIONS:
            raise AlignmentError(
                f"unknown normalization {self.normalization!r}; use one of {', '.join(NORMALIZATIONS)}"
            )
        width = self.medfilt_width
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1 or width % 2 == 0:
            raise AlignmentError(f"medfilt_width must be a positive odd number of frames, got {width!r}")


@dataclass(frozen=True)
class AlignmentPreset:
    heads: object  # anything `parse_heads` accepts; "official" = the model's own heads
    options: AlignmentOptions
    aligner: object = None  # optional (result, heads or None, options) -> words, replacing the steps below
    heads_for: object = None  # optional (result) -> heads, when the preset's heads depend on the model

    def head_set(self, result: AnalysisResult) -> HeadSet:
        """The heads this preset aligns `result` with."""
        heads = self.heads_for(result) if self.heads_for is not None else self.heads
        return parse_heads(heads, result.shape, official=result.alignment_heads)


# named head set + options combinations; other modules may add entries (e.g. a tuned preset)
PRESETS: dict[str, AlignmentPreset] = {
    "reference": AlignmentPreset("official", AlignmentOptions()),
}


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
    rows = _CACHE.rows(capture, options, heads.flat_indices.astype(np.int64))
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
    matrix = _CACHE.mean(capture, options, heads.flat_indices.astype(np.int64)).reshape(n_tokens, n_frames)  # (tokens, frames)
    empty = np.zeros(0, np.int64)
    if n_tokens <= 1:  # end-of-text only: nothing to align
        return WindowAlignment(capture.index, capture.offset, heads, options, matrix, empty, empty,
                               np.zeros(n_tokens), ())
    if n_tokens > n_frames:
        raise AlignmentError(
            f"window {capture.index} has {n_tokens} tokens but only {n_frames} frames of audio "
            f"({n_frames * 0.02:.2f} s); DTW cannot give each token its own frame"
        )
    text_indices, time_indices = dtw_numba(-matrix)
    jumps = np.diff(text_indices, prepend=-1) > 0  # first step on each token row
    token_starts = time_indices[jumps] / TOKENS_PER_SECOND  # (tokens,) seconds
    words = _timed_words(capture, token_starts)
    words = _finish_words(words, capture, options, last_speech, segments)
    return WindowAlignment(capture.index, capture.offset, heads, options, matrix, text_indices, time_indices,
                           token_starts, words)


def get_preset(name: str) -> AlignmentPreset:
    """The preset called `name`; AlignmentError listing the known ones otherwise."""
    if name not in PRESETS:
        raise AlignmentError(f"unknown alignment preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def align_words(result: AnalysisResult, heads=None, *, normalization: str | None = None,
                medfilt_width: int | None = None, postprocess: bool | None = None,
                preset: str | None = None, options: AlignmentOptions | None = None) -> tuple[WordTiming, ...]:
    """Word timings of every window of `result` with the given heads and options.

    heads: anything `parse_heads` accepts; "official" (the default) = result.alignment_heads.
    preset: a name in PRESETS giving heads and options; explicit arguments override it.
    """
    chosen = get_preset(preset) if preset is not None else PRESETS["reference"]
    options = options or chosen.options
    overrides = dict(normalization=normalization, medfilt_width=medfilt_width, postprocess=postprocess)
    options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
    if chosen.aligner is not None:
        return tuple(chosen.aligner(result, heads, options))
    if heads is None:
        head_set = chosen.head_set(result)
    else:
        head_set = parse_heads(heads, result.shape, official=result.alignment_heads)
    words: list[WordTiming] = []
    last_speech = 0.0
    for capture in result.windows:
        window_segments = tuple(s for s in result.segments if s.window == capture.index)
        aligned = align_window(capture, head_set, options, last_speech=last_speech, segments=window_segments)
        if aligned.words:
            last_speech = aligned.words[-1].end
        words.extend(aligned.words)
    return tuple(words)


def clear_cache() -> None:
    """Drop every cached per-head matrix."""
    _CACHE.clear()
    _SPLITS.clear()


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


from . import tuning  # noqa: E402,F401  registers the "tuned" preset (it imports this module)
