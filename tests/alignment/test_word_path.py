"""The tuned aligner's word path (word_path.py): rows in order, pauses between words, minimum durations."""

import numpy as np
import pytest

from whisper_viz.alignment.word_path import END, PAUSE, word_path
from whisper_viz.errors import AlignmentError


def planted(spans, n_frames, n_rows=None, high=3.0):
    """A (rows, frames) matrix whose row i scores `high` on frames spans[i] and -1 elsewhere."""
    matrix = np.full((n_rows or len(spans), n_frames), -1.0)
    for row, (a, b) in enumerate(spans):
        matrix[row, a:b] = high
    return matrix


def test_words_follow_their_rows_and_silence_goes_to_pauses():
    matrix = planted([(5, 15), (25, 40), (40, 50)], 60)  # a silence at 15-25 and after 50
    pause = np.where(np.isin(np.arange(60), np.r_[0:5, 15:25, 50:60]), 4.0, -2.0)
    path = word_path(matrix, [[0], [1], [2]], None, pause)
    assert path.frames_of(0).tolist() == list(range(5, 15))
    assert path.frames_of(1).tolist() == list(range(25, 40))
    assert path.frames_of(2).tolist() == list(range(40, 50))
    assert set(path.owner[:5]) == set(path.owner[15:25]) == set(path.owner[50:]) == {PAUSE}
    assert (path.row[path.owner >= 0] == path.owner[path.owner >= 0]).all()  # one row per word here


def test_every_row_of_a_word_is_visited_in_order():
    matrix = planted([(0, 10), (10, 12), (12, 30)], 30)
    path = word_path(matrix, [[0, 1, 2]], None, np.full(30, -5.0))
    rows = path.row[path.owner == 0]
    assert rows.tolist() == sorted(rows.tolist()) and set(rows.tolist()) == {0, 1, 2}


def test_end_of_text_takes_what_follows_the_last_word():
    matrix = planted([(0, 10), (10, 20), (20, 30)], 30)  # row 2 is end-of-text
    path = word_path(matrix, [[0], [1]], 2, np.full(30, -5.0))
    assert (path.owner[20:] == END).all() and path.frames_of(1).tolist() == list(range(10, 20))


def test_a_minimum_duration_keeps_a_word_from_being_squeezed_before_a_silence():
    # word 1's rows score a little just before a long silence and more after it: without a minimum
    # duration it hides in the one frame before the silence, with one it goes where its sound is
    matrix = planted([(0, 20), (40, 46)], 60, high=2.0)
    matrix[1, 19] = 3.0
    matrix[1, 40:46] = 0.6
    pause = np.where((np.arange(60) >= 20) & (np.arange(60) < 40), 6.0, 0.5)
    squeezed = word_path(matrix, [[0], [1]], None, pause)
    assert squeezed.frames_of(1).tolist() == [19]
    placed = word_path(matrix, [[0], [1]], None, pause, min_frames=[1, 5])
    assert placed.frames_of(1)[0] >= 40 and len(placed.frames_of(1)) >= 5


def test_scores_are_the_states_scores():
    matrix = planted([(2, 8)], 10)
    pause = np.full(10, 0.5)
    path = word_path(matrix, [[0]], None, pause)
    np.testing.assert_array_equal(path.score, np.where(path.owner == 0, 3.0, 0.5))


def test_bad_inputs_are_alignment_errors():
    with pytest.raises(AlignmentError, match="pause scores"):
        word_path(np.zeros((2, 10)), [[0]], None, np.zeros(9))
    with pytest.raises(AlignmentError, match="no token rows"):
        word_path(np.zeros((2, 10)), [[0], []], None, np.zeros(10))
    with pytest.raises(AlignmentError, match="3 text tokens cannot be aligned to 2 frames"):
        word_path(np.zeros((3, 2)), [[0, 1], [2]], None, np.zeros(2))


def test_minimum_durations_shrink_where_fast_speech_would_not_fit():
    """Three words wanting 8 frames each in a window of 15: every word still gets frames, in order, and the
    minimums shrink together (none keeps all of its 8 at the others' cost)."""
    matrix = planted([(0, 5), (5, 10), (10, 15)], 15)
    path = word_path(matrix, [[0], [1], [2]], None, np.full(15, -5.0), min_frames=[8, 8, 8])
    assert path.feasible
    spans = [path.frames_of(i) for i in range(3)]
    assert all(len(s) >= 4 for s in spans) and spans[0][-1] < spans[1][0] <= spans[1][-1] < spans[2][0]


def test_a_word_stays_between_its_earliest_and_latest_frames():
    matrix = planted([(0, 30), (30, 40)], 60)  # word 0's rows claim frames 0-30
    pause = np.full(60, 0.5)
    free = word_path(matrix, [[0], [1]], None, pause)
    assert free.frames_of(0)[0] == 0 and free.frames_of(0)[-1] == 29
    held = word_path(matrix, [[0], [1]], None, pause, earliest=[20, 0], latest=[27, None])
    frames = held.frames_of(0)
    assert frames[0] >= 20 and frames[-1] <= 27 and len(frames)
    assert held.feasible and held.frames_of(1).tolist() == list(range(30, 40))
