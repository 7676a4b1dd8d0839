"""The "tuned" aligner (its metric: evaluation/metrics.py; the search that chose it: bench/accuracy/tuning_search.py).

What "tuned" changes against the reference (openai-whisper's) alignment; every choice was made on
the TRAIN split of bench/accuracy (plus silence inserted into it), never on the test split:
1. Heads and lags: each head's attention runs early or late by its own lag. Every selected head's
   normalized, filtered matrix is shifted by its lag (20 ms frames) before the mean, so the heads
   agree. `search` keeps the heads with a small lag and the lowest spread.
2. Silence-aware DTW: frames whose energy says silence (keeping VOICED_PAD_FRAMES around speech)
   are dropped from the cost matrix, and the path may not stay on one token across a dropped gap
   (GAP_PENALTY), so a word can neither swallow a pause nor start inside one. A word squeezed into
   the last frames before a long pause is moved past it (`_silence_aware_path`).
3. Spoken rows only: punctuation tokens have no sound; their rows are left out of DTW.
4. Word edges from the audio: a word's start and end move inward to its first and last voiced
   10 ms frame. Starts and ends are set separately (end = the word's own last frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..constants import SAMPLE_RATE, SECONDS_PER_ENCODER_FRAME
from ..heads import HeadSet, parse_heads
from ..results import AnalysisResult, WindowCapture, WordTiming
from .dtw import dtw_with_gaps
from .options import AlignmentOptions
from .voicing import EDGE_HOP, dilate, voiced_frames
from .window import WindowAlignment, align_window, head_matrices

VOICED_PAD_FRAMES = 2  # encoder frames kept on each side of voiced ones for DTW
MIN_GAP_FRAMES = 3  # dropped frames between two kept ones that make a gap a token may not span
GAP_PENALTY = 1000.0  # cost (z-score units) of staying on one token across such a gap
MAX_REPAIRS = 3  # times a path is re-found to move words that landed on no voiced frame
PAUSE_FRAMES = 25  # a gap of more dropped frames (0.5 s) is a long pause
MIN_SPOKEN_FRAMES = 10  # a word squeezed before a long pause on fewer voiced frames (200 ms) is moved past it
MIN_WORD_SECONDS = 0.01  # shortest word the edge trimming leaves


@dataclass(frozen=True)
class TunedHeads:
    """Heads found by `search` for one model, with each head's lag."""

    official: str  # the model's official-heads dump, which identifies the model
    heads: tuple[tuple[int, int], ...]  # (layer, head), best (lowest spread) first
    lags: tuple[int, ...]  # encoder frames (20 ms) each head's attention runs late (+) or early (-)

    def lag_of(self) -> dict[tuple[int, int], int]:
        return dict(zip(self.heads, self.lags))


# written by `python -m whisper_viz.tuning_search --model NAME` on bench/accuracy/data/train
TUNED_HEADS: dict[str, TunedHeads] = {
    "tiny.en": TunedHeads(official="ABzY8000000s~`U00Bk>$p{7v037`oCl~+#00",
                          heads=((3, 2), (2, 5), (3, 3), (3, 4), (2, 1), (3, 5), (2, 0), (3, 0), (3, 1), (1, 5), (0, 3)),
                          lags=(0, 3, -2, 3, -6, -7, 6, 8, 9, -9, -3)),
    "base": TunedHeads(official="ABzY8000000s~`UzyTQH3`Q^yNP!>##QT-<FaQ7m",
                       heads=((5, 6), (4, 7), (5, 4), (5, 3), (5, 7), (5, 5), (5, 1), (4, 3), (4, 1), (3, 1), (5, 0)),
                       lags=(0, 0, 0, 3, 1, 2, -3, -5, 7, -5, 8)),
}
TUNED_OPTIONS = AlignmentOptions(normalization="reference", medfilt_width=7, postprocess=False)
DESCRIPTION = ("whisper-viz tuned: each head's lag removed, DTW over voiced frames only (no word spans a pause), "
               "word edges trimmed to voiced audio.")


def _shift(matrix: np.ndarray, lag: int) -> np.ndarray:
    """(..., frames) with out[..., t] = matrix[..., t + lag], edges repeated."""
    if lag == 0:
        return matrix
    index = np.clip(np.arange(matrix.shape[-1]) + lag, 0, matrix.shape[-1] - 1)
    return matrix[..., index]


# --- the tuned aligner ---------------------------------------------------------------------------
def tuned_heads_for(result: AnalysisResult) -> TunedHeads | None:
    """The search's heads for the model behind `result` (by name, else by its official heads)."""
    if result.model_name in TUNED_HEADS:
        return TUNED_HEADS[result.model_name]
    official = HeadSet(result.alignment_heads)
    for entry in TUNED_HEADS.values():
        try:
            if HeadSet.from_dump(entry.official, *result.shape) == official:
                return entry
        except ValueError:  # another model's shape
            continue
    return None


def tuned_heads(result: AnalysisResult):
    """The heads the tuned preset uses for `result`: the search's, else the official ones."""
    tuned = tuned_heads_for(result)
    return tuned.heads if tuned else "official"


def _spoken_rows(capture: WindowCapture, rows: Sequence[int]) -> list[int]:
    """The rows of a word whose tokens hold a letter or digit (all rows if none do)."""
    spoken = [r for r in rows if any(ch.isalnum() for ch in capture.tokens[r].text)]
    return spoken or list(rows)


def _silence_aware_path(cost: np.ndarray, columns: np.ndarray, speech: np.ndarray,
                        groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """DTW path over cost (rows, kept columns) in which no row stays across a dropped gap.

    A word (a group of rows) squeezed into the end of a stretch of speech (the columns between two
    gaps) before a long pause, on fewer than MIN_SPOKEN_FRAMES voiced frames, belongs after the pause:
    it is barred from the whole stretch and the path is found again, up to MAX_REPAIRS times.
    """
    jump = np.diff(columns, append=columns[-1] + 1)  # (columns,) frames to the next kept column
    gap_after, pause_after = jump > MIN_GAP_FRAMES + 1, jump > PAUSE_FRAMES  # a gap / a long pause follows
    gap_before = np.concatenate([[False], gap_after[:-1]])
    stretch = np.cumsum(gap_before)  # (columns,) index of the stretch of speech each column is in
    barred = np.zeros_like(cost)
    for _ in range(MAX_REPAIRS + 1):
        path_rows, path_columns = dtw_with_gaps(cost + barred, np.where(gap_before, GAP_PENALTY, 0.0))
        misplaced = []
        for g in groups:
            on = np.unique(path_columns[np.isin(path_rows, g)])
            voiced = int(speech[columns[on]].sum())
            if voiced < MIN_SPOKEN_FRAMES and pause_after[on].any():  # squeezed before a pause: move past it
                misplaced.append((g, np.isin(stretch, stretch[on])))
        if not misplaced or not speech.any():
            break
        for g, where in misplaced:
            barred[np.ix_(g, np.flatnonzero(where))] += GAP_PENALTY
    return path_rows, path_columns


@dataclass(frozen=True, eq=False)
class TunedWindow:
    """One window aligned by the tuned steps 1-3 (before word edges are trimmed)."""

    window: int  # index of the window
    offset: float  # seconds from the start of the audio to the window start
    matrix: np.ndarray  # float32 (tokens, frames): normalized, filtered, lag-shifted mean over heads
    text_indices: np.ndarray  # int64 (steps,) token row of each DTW path step
    time_indices: np.ndarray  # int64 (steps,) window frame of each step (silent frames are skipped)
    token_starts: np.ndarray  # float64 (tokens,) seconds from the window start; NaN for rows the path skips
    words: tuple[WordTiming, ...]  # absolute seconds

    def alignment(self, heads: HeadSet, options: AlignmentOptions,
                  words: tuple[WordTiming, ...]) -> WindowAlignment:
        """This window as a WindowAlignment (path and matrix of the tuned steps), with `words` (e.g. trimmed)."""
        return WindowAlignment(self.window, self.offset, heads, options, self.matrix, self.text_indices,
                               self.time_indices, self.token_starts, words)


def tuned_windows(result: AnalysisResult, heads=None, options: AlignmentOptions | None = None, *,
                  lags: dict | None = None, drop_silence: bool = True) -> tuple[TunedWindow, ...]:
    """Steps 1-3 (module docstring) on every window of `result` that has words."""
    options = options or TUNED_OPTIONS
    tuned = tuned_heads_for(result)
    if heads is None:
        heads = tuned_heads(result)
    head_set = parse_heads(heads, result.shape, official=result.alignment_heads)
    lag_of = (tuned.lag_of() if tuned else {}) if lags is None else lags
    voiced_raw = voiced_frames(result.audio)
    voiced = dilate(voiced_raw, VOICED_PAD_FRAMES)
    out = []
    for capture in result.windows:
        aligned = align_window(capture, head_set, options)  # words and token rows; times are replaced
        if not aligned.words:
            continue
        per_head = head_matrices(capture, head_set, options)  # (k, tokens, frames), layer-major
        matrix = np.mean([_shift(m, lag_of.get(p, 0)) for m, p in zip(per_head, head_set.pairs())], axis=0)
        n_tokens, n_frames = matrix.shape
        first = int(round(capture.offset / SECONDS_PER_ENCODER_FRAME))
        keep, speech = np.zeros(n_frames, bool), np.zeros(n_frames, bool)  # (frames,) kept for DTW; voiced
        part = voiced[first: first + n_frames]
        keep[: len(part)], speech[: len(part)] = part, voiced_raw[first: first + len(part)]
        columns = np.flatnonzero(keep) if drop_silence else np.arange(n_frames)
        spoken = {id(w): _spoken_rows(capture, w.token_indices) for w in aligned.words}
        rows = np.array(sorted({r for s in spoken.values() for r in s} | {n_tokens - 1}))  # + end-of-text
        if len(columns) < len(rows):  # too little speech energy to trust: use every frame
            columns = np.arange(n_frames)
        groups = [np.searchsorted(rows, s) for s in spoken.values()]  # each word's rows, as rows of the cost
        path_rows, path_columns = _silence_aware_path(-matrix[rows][:, columns].astype(np.float64), columns,
                                                      speech, groups if drop_silence else [])
        text_indices, time_indices = rows[path_rows], columns[path_columns]  # back to window rows and frames
        row_first, row_last = np.full(n_tokens, -1), np.full(n_tokens, -1)
        for row, frame in zip(text_indices[::-1], time_indices[::-1]):
            row_first[row] = frame
        for row, frame in zip(text_indices, time_indices):
            row_last[row] = frame
        words = tuple(WordTiming(w.word, float(capture.offset + row_first[spoken[id(w)][0]] * SECONDS_PER_ENCODER_FRAME),
                                 float(capture.offset + (row_last[spoken[id(w)][-1]] + 1) * SECONDS_PER_ENCODER_FRAME),
                                 w.probability, w.window, w.token_indices) for w in aligned.words)
        token_starts = np.where(row_first >= 0, row_first * SECONDS_PER_ENCODER_FRAME, np.nan)  # (tokens,)
        out.append(TunedWindow(capture.index, capture.offset, matrix.astype(np.float32), text_indices,
                               time_indices, token_starts, words))
    return tuple(out)


def align_tuned(result: AnalysisResult, heads=None, options: AlignmentOptions | None = None, *,
                lags: dict | None = None, drop_silence: bool = True, trim_edges: bool = True) -> tuple[WordTiming, ...]:
    """Word timings with the tuned steps (module docstring), seconds.

    heads: anything `parse_heads` accepts; None = the tuned heads of this model, or its official
    heads (lag 0) for models the search has not seen. lags: (layer, head) -> frames; None = the
    search's lags for heads it picked, 0 for others. drop_silence (step 2) and trim_edges (step 4)
    can be switched off for ablations.
    """
    windows = tuned_windows(result, heads, options, lags=lags, drop_silence=drop_silence)
    return tuned_words(windows, result.audio) if trim_edges else tuple(w for t in windows for w in t.words)


def tuned_words(windows: Sequence[TunedWindow], audio: np.ndarray) -> tuple[WordTiming, ...]:
    """Step 4 (module docstring): the words of `windows` with edges trimmed to voiced audio."""
    return tuple(_voiced_edges([w for window in windows for w in window.words], audio))


def _voiced_edges(words: list[WordTiming], audio: np.ndarray) -> list[WordTiming]:
    """Move each word's start and end inward to its first and last voiced 10 ms frame."""
    voiced = voiced_frames(audio, EDGE_HOP)
    step = EDGE_HOP / SAMPLE_RATE
    out = []
    for w in words:
        a, b = int(round(w.start / step)), int(round(w.end / step))
        inside = np.flatnonzero(voiced[a:b])
        start, end = (w.start, w.end) if not len(inside) else ((a + inside[0]) * step, (a + inside[-1] + 1) * step)
        if out and start < out[-1].end:  # rounding to 10 ms may overlap the previous word by a frame
            start = out[-1].end
        end = max(end, start + MIN_WORD_SECONDS)
        out.append(WordTiming(w.word, round(float(start), 3), round(float(end), 3), w.probability, w.window,
                              w.token_indices))
    return out


def align_tuned_windows(result: AnalysisResult, heads: HeadSet,
                        options: AlignmentOptions) -> tuple[WindowAlignment, ...]:
    """One WindowAlignment per window: the tuned path, matrix and trimmed words where a window has words,
    the reference steps' path over its end-of-text row where it has none."""
    windows = {w.window: w for w in tuned_windows(result, heads, options)}
    words = tuned_words(tuple(windows.values()), result.audio)
    out = []
    for capture in result.windows:
        shown = windows.get(capture.index)
        if shown is None:
            out.append(align_window(capture, heads, options, official=result.alignment_heads))
        else:
            out.append(shown.alignment(heads, options, tuple(w for w in words if w.window == capture.index)))
    return tuple(out)
