"""The tuned aligner's path through one window: every frame goes to one token row or to a pause between words.

States, in order: pause, the rows of word 1, pause, the rows of word 2, ..., pause, end-of-text. The path starts
in the first pause or the first row, visits every row of every word at least once, in order, may pass a pause
in no frames at all, and ends in the last pause or at end-of-text. A token row scores its (normalized,
filtered, head-averaged) attention at each frame it covers; a pause scores what the audio and the caller say
about that frame (`pause_scores`). The best-scoring path is found exactly (Viterbi), so a word is never pulled
across silence that the pause can take more cheaply, and speech nobody transcribed (a filler, a cough, a
second speaker) can fall into a pause instead of stretching its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import AlignmentError
from ..jit import numba

PAUSE = -1  # owner of a frame in a pause between words (or before the first, after the last)
END = -2  # owner of a frame given to the end-of-text row
ROW, LAST_ROW, PAUSE_STATE, END_STATE = 0, 1, 2, 3  # kinds of state
UNREACHABLE = -1e30


@dataclass(frozen=True, eq=False)
class WordPath:
    """Where the path spent each frame of one window."""

    owner: np.ndarray  # int64 (frames,): word index (0-based), PAUSE or END
    row: np.ndarray  # int64 (frames,): token row of the frame, -1 in pauses
    score: np.ndarray  # float64 (frames,): the state's score at that frame (attention or pause)

    @property
    def feasible(self) -> bool:
        """False when no path met the constraints (every frame's score is then meaningless)."""
        return bool(self.score.min() > UNREACHABLE / 2)

    def frames_of(self, word: int) -> np.ndarray:
        """int64 (n,): the frames given to `word`, in order (empty if the window has no such word)."""
        return np.flatnonzero(self.owner == word)


@numba.njit(cache=True)
def _viterbi(matrix: np.ndarray, rows: np.ndarray, kinds: np.ndarray, pause_scores: np.ndarray,
             earliest: np.ndarray, latest: np.ndarray) -> np.ndarray:
    """State index per frame of the best left-to-right path (see the module docstring).

    A state scores matrix[rows[s], f] (or pause_scores[f] where rows[s] < 0), and UNREACHABLE before
    earliest[s] or after latest[s]. Steps back are kept as 0 (stay), 1 (from the previous state) or 2 (over an
    empty pause).
    """
    n_states, n_frames = len(rows), matrix.shape[1]
    score = np.full(n_states, UNREACHABLE)
    previous = np.empty(n_states)
    step = np.zeros((n_frames, n_states), np.int8)
    for s in range(min(2, n_states)):
        if s == 0 or kinds[0] == PAUSE_STATE:
            emit = pause_scores[0] if rows[s] < 0 else matrix[rows[s], 0]
            score[s] = emit if earliest[s] <= 0 <= latest[s] else UNREACHABLE
    for f in range(1, n_frames):
        previous[:] = score
        for s in range(n_states):
            best, move = previous[s], 0
            if s >= 1 and previous[s - 1] > best:
                best, move = previous[s - 1], 1
            # an empty pause: from a word's last row straight to the next word's first row (or to end-of-text)
            if s >= 2 and kinds[s - 1] == PAUSE_STATE and kinds[s - 2] == LAST_ROW and kinds[s] != PAUSE_STATE:
                if previous[s - 2] > best:
                    best, move = previous[s - 2], 2
            emit = pause_scores[f] if rows[s] < 0 else matrix[rows[s], f]
            score[s] = best + (emit if earliest[s] <= f <= latest[s] else UNREACHABLE)
            step[f, s] = move
    last = n_states - 1
    for candidate in (n_states - 2, n_states - 3):  # the last pause or the last word's last row may end it
        if candidate >= 0 and kinds[candidate] != ROW and score[candidate] > score[last]:
            last = candidate
    path = np.empty(n_frames, np.int64)
    for f in range(n_frames - 1, -1, -1):
        path[f] = last
        last -= step[f, last]
    return path


def _fitted_minimums(word_rows: Sequence[Sequence[int]], min_frames: Sequence[int], n_frames: int) -> list[int]:
    """Each word's fewest frames: its min_frames (at least one per row), shrunk in proportion where the words
    would not fit in the window's `n_frames` together (fast speech); AlignmentError if even a frame per token
    row does not fit."""
    for index, word in enumerate(word_rows):
        if not len(word):
            raise AlignmentError(f"word {index} has no token rows to align")
    least = [len(word) for word in word_rows]
    wanted = [max(n, int(min_frames[i]) if len(min_frames) else 0) for i, n in enumerate(least)]
    room = n_frames - sum(least)
    if room < 0:
        raise AlignmentError(f"{sum(least)} text tokens cannot be aligned to {n_frames} frames of 20 ms: the "
                             "transcript is longer than the audio can hold; give the text that is spoken")
    extra = sum(wanted) - sum(least)
    if extra > room:
        wanted = [n + (w - n) * room // extra for n, w in zip(least, wanted)]
    return wanted


def word_path(matrix: np.ndarray, word_rows: Sequence[Sequence[int]], end_row: int | None,
              pause_scores: np.ndarray, min_frames: Sequence[int] = (), earliest: Sequence[int] = (),
              latest: Sequence[int | None] = ()) -> WordPath:
    """Best path through `matrix` float (tokens, frames) for words made of `word_rows` (token rows, in order).

    end_row: the end-of-text row, scored after the last pause (None: no end-of-text state).
    pause_scores: float (frames,) score of being in a pause at each frame.
    min_frames: per word, the fewest frames it may cover (default one per row): a word is never squeezed
    into less, so it cannot hide in the last frames before a silence when its sound comes after it.
    earliest: per word, the first frame it may cover (default 0).
    latest: per word, the last frame it may cover (default and None: the window's last).
    """
    n_tokens, n_frames = matrix.shape
    if len(pause_scores) != n_frames:
        raise AlignmentError(f"{len(pause_scores)} pause scores for {n_frames} frames")
    wanted = _fitted_minimums(word_rows, min_frames, n_frames - (end_row is not None))
    rows, kinds, owners = [-1], [PAUSE_STATE], [PAUSE]
    for index, word in enumerate(word_rows):
        repeats = np.diff(np.linspace(0, wanted[index], len(word) + 1).round().astype(int))  # states per row
        expanded = [int(row) for row, n in zip(word, repeats) for _ in range(max(1, n))]
        for position, row in enumerate(expanded):  # a row held for n states covers at least n frames
            rows.append(row)
            kinds.append(LAST_ROW if position == len(expanded) - 1 else ROW)
            owners.append(index)
        rows.append(-1)
        kinds.append(PAUSE_STATE)
        owners.append(PAUSE)
    if end_row is not None:
        rows.append(int(end_row))
        kinds.append(END_STATE)
        owners.append(END)
    rows, owners = np.array(rows, np.int64), np.array(owners, np.int64)
    first = np.zeros(len(rows), np.int64)
    last = np.full(len(rows), n_frames - 1, np.int64)
    for word, frame in enumerate(earliest):
        first[owners == word] = int(frame)
    for word, frame in enumerate(latest):
        if frame is not None:
            last[owners == word] = int(frame)
    matrix = np.ascontiguousarray(matrix, np.float64)
    pause_scores = np.ascontiguousarray(pause_scores, np.float64)
    states = _viterbi(matrix, rows, np.array(kinds, np.int64), pause_scores, first, last)
    on_row = rows[states]
    score = np.where(on_row >= 0, matrix[np.maximum(on_row, 0), np.arange(n_frames)], pause_scores)
    frame = np.arange(n_frames)
    score = np.where((frame >= first[states]) & (frame <= last[states]), score, UNREACHABLE)
    return WordPath(owners[states], on_row, score)
