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

    def frames_of(self, word: int) -> np.ndarray:
        """int64 (n,): the frames given to `word`, in order (empty if the window has no such word)."""
        return np.flatnonzero(self.owner == word)


@numba.njit(cache=True)
def _viterbi(emission: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """State index per frame of the best left-to-right path through states (see the module docstring)."""
    n_states, n_frames = emission.shape
    score = np.full(n_states, UNREACHABLE)
    back = np.empty((n_states, n_frames), np.int64)
    score[0] = emission[0, 0]
    if kinds[0] == PAUSE_STATE and n_states > 1:
        score[1] = emission[1, 0]
    for f in range(1, n_frames):
        previous = score.copy()
        for s in range(n_states):
            best, arg = previous[s], s
            if s >= 1 and previous[s - 1] > best:
                best, arg = previous[s - 1], s - 1
            # an empty pause: from a word's last row straight to the next word's first row (or to end-of-text)
            if s >= 2 and kinds[s - 1] == PAUSE_STATE and kinds[s - 2] == LAST_ROW and kinds[s] != PAUSE_STATE:
                if previous[s - 2] > best:
                    best, arg = previous[s - 2], s - 2
            score[s] = best + emission[s, f]
            back[s, f] = arg
    last = n_states - 1
    for candidate in (n_states - 2, n_states - 3):  # the last pause or the last word's last row may end it
        if candidate >= 0 and kinds[candidate] != ROW and score[candidate] > score[last]:
            last = candidate
    path = np.empty(n_frames, np.int64)
    for f in range(n_frames - 1, -1, -1):
        path[f] = last
        last = back[last, f]
    return path


def word_path(matrix: np.ndarray, word_rows: Sequence[Sequence[int]], end_row: int | None,
              pause_scores: np.ndarray, min_frames: Sequence[int] = ()) -> WordPath:
    """Best path through `matrix` float (tokens, frames) for words made of `word_rows` (token rows, in order).

    end_row: the end-of-text row, scored after the last pause (None: no end-of-text state).
    pause_scores: float (frames,) score of being in a pause at each frame.
    min_frames: per word, the fewest frames it may cover (default one per row): a word is never squeezed
    into less, so it cannot hide in the last frames before a silence when its sound comes after it.
    """
    n_tokens, n_frames = matrix.shape
    if len(pause_scores) != n_frames:
        raise AlignmentError(f"{len(pause_scores)} pause scores for {n_frames} frames")
    rows, kinds, owners = [-1], [PAUSE_STATE], [PAUSE]
    for index, word in enumerate(word_rows):
        if not len(word):
            raise AlignmentError(f"word {index} has no token rows to align")
        wanted = max(len(word), int(min_frames[index]) if len(min_frames) else 0)
        repeats = np.diff(np.linspace(0, wanted, len(word) + 1).round().astype(int))  # states per row
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
    rows, owners = np.array(rows), np.array(owners)
    emission = np.where(rows[:, None] >= 0, np.asarray(matrix, np.float64)[np.maximum(rows, 0)],
                        np.asarray(pause_scores, np.float64)[None, :])  # (states, frames)
    states = _viterbi(emission, np.array(kinds, np.int64))
    return WordPath(owners[states], rows[states], emission[states, np.arange(n_frames)])
