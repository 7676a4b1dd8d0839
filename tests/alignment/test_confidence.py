"""Per-word confidence (confidence.py): a logistic curve of how far the placements by halves of the heads differ."""

from whisper_viz.alignment.confidence import (
    CONFIDENCE_CENTER,
    UNSURE_BELOW,
    word_confidence,
)


def test_confidence_falls_as_the_head_halves_disagree():
    scores = [word_confidence(d) for d in (0.0, 0.05, CONFIDENCE_CENTER, 0.4, 2.0)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert scores[2] == UNSURE_BELOW == 0.5  # the center is where a word starts to count as unsure
    assert 0.0 <= scores[-1] < 0.5 < scores[0] <= 1.0


def test_the_curve_can_be_a_models_own():
    assert word_confidence(0.2, center=0.2, slope=10.0) == 0.5
    assert word_confidence(0.1, center=0.2, slope=10.0) > word_confidence(0.1, center=0.05, slope=10.0)
