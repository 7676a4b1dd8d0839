"""The one word-boundary metric (metrics.py) on hand-made references."""

import numpy as np
import pytest

from whisper_viz.evaluation.metrics import WITHIN_SECONDS, boundary_errors, score_words, share_within, summarize
from whisper_viz.evaluation.references import ReferenceWord
from whisper_viz.results import WordTiming

REFERENCE = (ReferenceWord("The", 0.50, 0.70), ReferenceWord("old", 0.80, 1.10), ReferenceWord("man.", 1.10, 1.60))


def words(*spans, texts=(" The", " old", " man.")):
    return tuple(WordTiming(t, s, e, 1.0) for t, (s, e) in zip(texts, spans))


def test_exact_words_score_zero():
    acc = score_words(words((0.5, 0.7), (0.8, 1.1), (1.1, 1.6)), REFERENCE)
    assert acc.words == acc.reference_words == 3 and acc.coverage == 1.0
    assert acc.start_mae == acc.end_mae == acc.mae == 0.0
    assert acc.within == (1.0, 1.0, 1.0)


def test_signed_errors_and_tolerances():
    predicted = words((0.53, 0.70), (0.74, 1.20), (1.10, 1.60))  # +30 ms start; -60 ms start, +100 ms end
    clip = boundary_errors(predicted, REFERENCE)
    assert np.allclose(clip.errors, [[0.03, 0.0], [-0.06, 0.10], [0.0, 0.0]])
    assert not clip.after_pause.any() and clip.matched == 3 and clip.reference_words == 3
    acc = score_words(predicted, REFERENCE)
    assert acc.start_mae == pytest.approx(0.03) and acc.end_mae == pytest.approx(0.1 / 3)
    # boundaries 30, 0, 60, 100, 0, 0 ms: within 20 ms 3, within 50 ms 4, within 100 ms all 6
    assert acc.within == pytest.approx((3 / 6, 4 / 6, 1.0))
    assert (acc.within_20ms, acc.within_50ms, acc.within_100ms) == acc.within
    assert acc.mae == pytest.approx((0.03 + 0.06 + 0.1) / 6) and acc.boundaries == 6
    assert WITHIN_SECONDS == (0.02, 0.05, 0.1)


def test_recognised_words_are_matched_despite_case_punctuation_and_errors():
    # recognition dropped "old", added "uh", and wrote "Man" without the period
    predicted = words((0.5, 0.7), (0.7, 0.8), (1.1, 1.6), texts=(" the", " uh", " Man"))
    assert boundary_errors(predicted, REFERENCE).errors.shape == (3, 2)  # "uh" pairs with "old" as a one-for-one substitution
    acc = score_words(words((0.5, 0.7), (1.1, 1.6), texts=(" the", " Man")), REFERENCE)
    assert acc.words == 2 and acc.coverage == pytest.approx(2 / 3) and acc.mae == 0.0


def test_words_after_a_pause_are_tracked_separately():
    predicted = words((0.5, 0.7), (0.8, 1.1), (1.5, 1.6))  # the last word starts 0.4 s late
    acc = score_words(predicted, REFERENCE, after_pause=(False, False, True))
    assert acc.pause_words == 1 and acc.pause_max_error == pytest.approx(0.4)
    assert score_words(predicted, REFERENCE).pause_max_error == 0.0


def test_pooling_weights_every_word_equally():
    a = boundary_errors(words((0.6, 0.7), (0.8, 1.1), (1.1, 1.6)), REFERENCE)  # one 100 ms start error
    b = boundary_errors(words((0.5, 0.7)), REFERENCE[:1])
    acc = summarize([a, b])
    assert acc.words == 4 and acc.reference_words == 4 and acc.start_mae == pytest.approx(0.1 / 4)
    empty = summarize([])
    assert empty.words == 0 and empty.boundaries == 0 and np.isnan(empty.mae)


def test_phrases_score_only_their_known_edges():
    """A reference cue holding several words knows only its first start and its last end."""
    phrase = (ReferenceWord("The old", 0.50, 1.10), ReferenceWord("man.", 1.10, 1.60))
    predicted = words((0.55, 0.70), (0.80, 1.30), (1.10, 1.60))  # "old" ends 200 ms late: not scored
    clip = boundary_errors(predicted, phrase, after_pause=(False, True))
    assert clip.reference_words == 3 and np.isnan(clip.errors[0, 1]) and np.isnan(clip.errors[1, 0])
    assert clip.after_pause.tolist() == [False, False, True]  # the second item's flag stays on "man."
    acc = summarize([clip])
    assert acc.boundaries == 4 and acc.mae == pytest.approx(0.25 / 4)  # 50 ms start of "The", 200 ms end of "old"


def test_a_fifty_ms_error_rounded_to_ten_ms_counts_as_within_fifty():
    assert share_within(np.array([0.05, 0.1 - 0.05, 0.0501]), 0.05) == pytest.approx(2 / 3)


def test_split_phrase_errors_match_by_word():
    hypothesis = [WordTiming(" Hello", 0.52, 0.95, 0.9), WordTiming(" big", 1.0, 1.2, 0.9),
                  WordTiming(" world.", 1.3, 1.5, 0.9)]
    reference = [ReferenceWord("hello", 0.5, 0.9), ReferenceWord("big world", 1.1, 1.42)]
    clip = boundary_errors(hypothesis, reference)
    np.testing.assert_allclose(clip.errors, [[0.02, 0.05], [-0.1, np.nan], [np.nan, 0.08]])


def test_scores_of_two_words():
    predicted = [WordTiming(" a", 0.0, 0.5, 1.0), WordTiming(" b", 0.55, 1.0, 1.0)]
    acc = score_words(predicted, [ReferenceWord("a", 0.0, 0.45), ReferenceWord("b", 0.45, 1.2)])
    assert acc.boundaries == 4
    assert acc.start_mae == pytest.approx(0.05) and acc.end_mae == pytest.approx(0.125)
    assert acc.within == (0.25, 0.5, 0.75)


def test_totals_pool_to_the_same_accuracy_as_summarize():
    from whisper_viz.evaluation.metrics import TOTALS_FIELDS, boundary_totals, totals_accuracy

    clips = [boundary_errors([WordTiming("The", 0.52, 0.75, 1.0), WordTiming("old", 0.85, 1.0, 1.0)], REFERENCE),
             boundary_errors([WordTiming("man.", 1.05, 1.7, 1.0)], REFERENCE),
             boundary_errors([], REFERENCE)]
    pooled = summarize(clips)
    totals = sum(boundary_totals([c]) for c in clips)
    assert len(totals) == len(TOTALS_FIELDS) and totals[1] == pooled.boundaries
    mae, within = totals_accuracy(totals)
    assert mae == pytest.approx(pooled.mae) and tuple(within) == pytest.approx(pooled.within)
    assert np.array_equal(boundary_totals(clips), totals)
    nothing, shares = totals_accuracy(np.zeros((2, len(TOTALS_FIELDS))))
    assert np.isnan(nothing).all() and np.isnan(shares).all()
