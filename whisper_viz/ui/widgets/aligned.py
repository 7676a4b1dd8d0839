"""What one head set gives on one analysis: word timings, the shown window's path and drawn matrix.

Everything here depends only on the analysis and the values asked for (head set, options, reference
words), never on the session, so it is shared by every session through the server's store of derived
values (resources.shared_analyses): toggling a head back, switching views, or a second session opening
the same clip re-uses earlier work. The library's per-head matrix cache makes a new head set cost one
masked mean and one DTW.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from ...alignment.options import AlignmentOptions
from ...alignment.presets import get_preset
from ...alignment.window import WindowAlignment, head_matrices
from ...evaluation.references import ReferenceWord
from ...evaluation.scoring import HeadScores, SetScore, score_head_set, score_heads
from ...figures.attention import THUMB_COLUMNS, THUMB_ROWS, downsample, mosaic_png
from ...heads import HeadSet
from ...results import AnalysisResult, WordTiming
from ..resources import shared_analyses
from ..state import ViewOptions

_REFERENCES = "_references"


@dataclass(frozen=True, eq=False)
class AlignedView:
    """One head set applied to one analysis with one set of view options."""

    heads: HeadSet
    options: ViewOptions
    words: tuple[WordTiming, ...]  # every window, absolute seconds
    window: WindowAlignment  # the shown window: DTW path and the matrix DTW ran on
    matrix: np.ndarray  # float32 (tokens, frames) drawn in the heatmap (depends on options.view)
    seconds: float  # wall time it took to compute

    @property
    def window_words(self) -> tuple[WordTiming, ...]:
        """Words of the shown window (their token_indices index its rows)."""
        return tuple(w for w in self.words if w.window == self.options.window)

    @property
    def nbytes(self) -> int:
        return self.matrix.nbytes + (0 if self.window.matrix is self.matrix else self.window.matrix.nbytes)


def _remember(result: AnalysisResult, key, make):
    """`make()`'s value for (result, key), shared by every session (computed once)."""
    return shared_analyses().derived(result, key, make)


def aligned_view(result: AnalysisResult, heads: HeadSet, options: ViewOptions) -> AlignedView:
    """Word timings and the shown window's path and matrix; AlignmentError for an empty head set."""
    options = replace(options, zoom=None)  # zooming only changes what is drawn
    return _remember(result, ("view", heads, options), lambda: _align(result, heads, options))


def _align(result: AnalysisResult, heads: HeadSet, options: ViewOptions) -> AlignedView:
    started = time.perf_counter()
    windows = get_preset(options.aligner).align(result, heads, options.alignment)  # one per window
    words = tuple(w for window in windows for w in window.words)
    window = windows[options.window]
    if options.display == options.alignment:
        matrix = window.matrix
    else:
        matrix = head_matrices(result.windows[options.window], heads, options.display).mean(axis=0)  # (tokens, frames)
    return AlignedView(heads, options, words, window, matrix, time.perf_counter() - started)


@dataclass(frozen=True, eq=False)
class Thumbnails:
    """Every head's drawn matrix of one window, downsampled for the mosaic."""

    images: np.ndarray  # float32 (layers, heads, rows, columns)
    png: bytes  # the mosaic picture of `images` (made once, re-sent with each toggle)

    @property
    def nbytes(self) -> int:
        return self.images.nbytes + len(self.png)


def thumbnails(result: AnalysisResult, window: int, display: AlignmentOptions) -> Thumbnails:
    """Thumbnails of every head of `window` as the heatmap draws them (with `display` options)."""
    def make():
        capture = result.windows[window]
        every = head_matrices(capture, HeadSet.all(result.shape), display)  # (layers * heads, tokens, frames)
        small = downsample(np.maximum(every, 0), THUMB_ROWS, THUMB_COLUMNS)  # negative z-scores draw as 0
        images = small.reshape(*result.shape, *small.shape[1:])
        return Thumbnails(images, mosaic_png(images))
    return _remember(result, ("thumbnails", window, display), make)


def warm_up(result: AnalysisResult, options: AlignmentOptions) -> None:
    """Normalize and filter every head of every window once, so the first toggle of a head is as fast
    as the next (the library caches per-head matrices)."""
    def make():
        for capture in result.windows:
            head_matrices(capture, HeadSet.all(result.shape), options)
        return True
    _remember(result, ("warm", options), make)


def set_reference(result: AnalysisResult, words: tuple[ReferenceWord, ...] | None) -> None:
    """Attach (or with None, drop) reference word timings of this analysis's audio."""
    st.session_state.setdefault(_REFERENCES, weakref.WeakKeyDictionary())[result] = words


def reference(result: AnalysisResult) -> tuple[ReferenceWord, ...] | None:
    """The reference word timings uploaded for this analysis, if any."""
    return st.session_state.get(_REFERENCES, {}).get(result)


def head_scores(result: AnalysisResult, options: AlignmentOptions) -> HeadScores:
    """Every head's quality scores alone, over all windows (with the reference terms once one is uploaded)."""
    words = reference(result)
    return _remember(result, ("scores", options, words), lambda: score_heads(result, words, options=options))


def set_score(result: AnalysisResult, heads: HeadSet, options: AlignmentOptions) -> SetScore:
    """The same metrics for a whole head set."""
    words = reference(result)
    return _remember(result, ("set score", heads, options, words),
                     lambda: score_head_set(result, heads, words, options=options))
