"""Digital silence taken out and word times mapped back: runs found to the sample, the map at cut points,
words paired by text, a word across a cut point kept to one side."""

import numpy as np
import pytest

from whisper_viz.alignment.silence_cut import (
    DIGITAL_SILENCE_LEVEL,
    MIN_CUT_SECONDS,
    cut_audio,
    find_silence_cut,
    retime_words,
)
from whisper_viz.constants import SAMPLE_RATE
from whisper_viz.experiments.silence import insert_silence
from whisper_viz.results import SilenceCut, WordTiming


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    """float32 quiet room noise (-40 dBFS): never digital silence for more than a few samples."""
    return (np.random.default_rng(seed).normal(0, 0.01, int(seconds * SAMPLE_RATE))).astype(np.float32)


def test_an_inserted_run_is_found_to_the_sample_and_cutting_it_gives_the_clip_back():
    clip = _noise(4.0)
    at = 1.2345
    silenced = insert_silence(clip, at, 7.0)
    cut = find_silence_cut(silenced)
    assert cut is not None and len(cut.runs) == 1
    start, length = cut.runs[0]
    # the run may take in the few clip samples beside it that are that quiet, never more than a handful
    assert abs(start - round(at * SAMPLE_RATE)) < 8 and abs(length - 7 * SAMPLE_RATE) < 16
    assert cut.seconds == pytest.approx(7.0, abs=0.001)
    shortened = cut_audio(silenced, cut)
    assert len(shortened) == len(silenced) - length
    kept = np.abs(clip) > DIGITAL_SILENCE_LEVEL
    np.testing.assert_array_equal(shortened[np.abs(shortened) > DIGITAL_SILENCE_LEVEL], clip[kept])


def test_short_runs_noise_and_all_silence_are_not_cut():
    clip = _noise(3.0)
    assert find_silence_cut(clip) is None  # noise at -40 dBFS: never a long quiet run
    assert find_silence_cut(insert_silence(clip, 1.0, MIN_CUT_SECONDS * 0.8)) is None  # an ordinary pause
    assert find_silence_cut(np.zeros(5 * SAMPLE_RATE, np.float32)) is None  # nothing would be left
    assert find_silence_cut(insert_silence(clip, 1.0, 2.0, noise_db=-60.0)) is None  # quiet noise is not digital


def test_dither_and_runs_at_both_ends_are_found():
    rng = np.random.default_rng(1)
    dither = rng.integers(-1, 2, 2 * SAMPLE_RATE).astype(np.float32) / 32768  # +-1 step of 16-bit audio
    clip = np.concatenate([np.zeros(SAMPLE_RATE * 3 // 2, np.float32), _noise(2.0), dither, _noise(1.0, seed=2),
                           np.zeros(SAMPLE_RATE, np.float32)])
    cut = find_silence_cut(clip)
    assert [length / SAMPLE_RATE for _, length in cut.runs] == pytest.approx([1.5, 2.0, 1.0], abs=0.001)
    assert cut.runs[0][0] == 0 and sum(cut.runs[-1]) == len(clip)


def test_times_map_back_past_every_run_before_them():
    cut = SilenceCut(runs=((16000, 32000), (64000, 16000)))  # 2 s at 1 s, 1 s at 4 s (original seconds)
    np.testing.assert_allclose(cut.cut_points(), [1.0, 2.0])  # in the shortened clip
    assert cut.to_original(0.5, is_end=False) == 0.5
    assert cut.to_original(1.0, is_end=True) == 1.0  # an end at a cut point stays before the run ...
    assert cut.to_original(1.0, is_end=False) == 3.0  # ... a start there goes after it
    assert cut.to_original(1.5, is_end=False) == 3.5
    assert cut.to_original(2.5, is_end=True) == 5.5  # past both runs


def _word(text, start, end, confidence=None, window=0, rows=(0,)):
    return WordTiming(text, start, end, 0.9, window, rows, confidence)


def test_words_pair_by_text_and_keep_their_own_rows():
    cut = SilenceCut(runs=((16000, 7 * 16000),))  # 7 s taken out at 1 s
    own = [_word(" Hello", 0.2, 0.6, window=0, rows=(0,)), _word(" you.", 1.0, 1.5, window=0, rows=(1,)),
           _word(" there", 8.0, 8.4, window=0, rows=(2, 3))]  # the silence made the model say "you."
    shortened = [_word(" hello", 0.25, 0.62, 0.9), _word(" there!", 1.05, 1.4, 0.4)]
    words = retime_words(own, shortened, cut)
    assert [(w.start, w.end, w.confidence) for w in words] == [(0.25, 0.62, 0.9), (1.0, 1.5, None), (8.05, 8.4, 0.4)]
    assert [(w.word, w.window, w.token_indices) for w in words] == [(w.word, w.window, w.token_indices) for w in own]


def test_a_word_across_a_cut_point_keeps_to_the_side_holding_most_of_it():
    cut = SilenceCut(runs=((16000, 2 * 16000),))  # 2 s taken out at 1 s
    own = [_word(" one", 0.5, 1.1), _word(" two", 3.0, 3.3)]
    shortened = [_word(" one", 0.6, 1.1), _word(" two", 0.9, 1.3)]  # "one" mostly before 1 s, "two" after
    words = retime_words(own, shortened, cut)
    assert (words[0].start, words[0].end) == (0.6, 1.0)
    assert (words[1].start, words[1].end) == (3.0, 3.3)


def test_a_word_split_evenly_by_a_cut_point_keeps_to_the_side_it_starts_on():
    """0.46-0.70 s across 0.58 s: 0.12 s on each side, though in floating point 0.58 - 0.46 < 0.70 - 0.58."""
    assert 0.58 - 0.46 < 0.70 - 0.58
    for seconds in (0.58, 0.581):
        cut = SilenceCut(runs=((round(seconds * SAMPLE_RATE), 2 * 16000),))
        own = [_word(" an", 0.46, 0.70), _word(" exceedingly", 2.70, 3.36)]
        shortened = [_word(" an", 0.46, 0.70), _word(" exceedingly", 0.70, 1.36)]
        words = retime_words(own, shortened, cut)
        assert words[0].start == 0.46 and words[0].end == pytest.approx(seconds, abs=1e-3)
        assert (words[1].start, words[1].end) == (2.70, 3.36)
    cut = SilenceCut(runs=((round(0.579 * SAMPLE_RATE), 2 * 16000),))  # most of the word after the point
    words = retime_words([_word(" an", 0.46, 2.70)], [_word(" an", 0.46, 0.70)], cut)
    assert (words[0].start, words[0].end) == (2.579, 2.70)


def test_a_word_written_differently_takes_the_place_of_the_word_it_replaced():
    cut = SilenceCut(runs=((16000, 7 * 16000),))  # 7 s taken out at 1 s
    own = [_word(" first", 0.5, 0.9), _word(" time", 7.8, 8.0), _word(" that", 8.9, 9.1),
           _word(" the", 9.2, 9.3), _word(" one", 9.4, 9.5)]
    shortened = [_word(" first", 0.5, 0.9), _word(" importance", 1.1, 1.6), _word(" that", 1.9, 2.1),
                 _word(" a", 2.2, 2.3), _word(" good", 2.3, 2.4), _word(" one", 2.4, 2.5)]
    words = retime_words(own, shortened, cut)
    assert (words[1].word, words[1].start, words[1].end) == (" time", 8.1, 8.6)  # where "importance" was said
    assert (words[3].start, words[3].end) == (9.2, 9.3)  # "the" for "a good": no one-for-one partner
    assert (words[4].start, words[4].end) == (9.4, 9.5)
