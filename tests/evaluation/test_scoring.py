"""Per-head and head-set scores on synthetic heads of known quality (and on tiny.en when available)."""

import numpy as np
import pytest

from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.errors import AlignmentError
from whisper_viz.evaluation.scoring import (
    SCORE_WEIGHTS,
    HeadScores,
    combined_score,
    score_head_set,
    score_heads,
)
from whisper_viz.heads import HeadSet
from whisper_viz.results import AnalysisResult


def test_metric_values_on_known_heads(synthetic):
    s = synthetic
    GOOD, SHIFTED, SINK, REVERSED, NOISE = s.GOOD, s.SHIFTED, s.SINK, s.REVERSED, s.NOISE
    result, reference = s.result()
    scores = score_heads(result, [reference])
    assert isinstance(scores, HeadScores) and scores.shape == s.SHAPE
    for name, values in scores.metrics().items():
        assert values.shape == s.SHAPE and values.dtype == np.float64, name
    assert scores.monotonicity[GOOD] == 1.0 and scores.monotonicity[REVERSED] == 0.0
    assert scores.monotonicity[SINK] == 1.0  # a sink never goes back: concentration and agreement catch it
    assert scores.concentration[GOOD] > 0.4 > scores.concentration[NOISE]
    assert scores.within_20ms[GOOD] == 1.0 and scores.start_error[GOOD] == pytest.approx(0, abs=1e-9)
    assert scores.start_error[SHIFTED] == pytest.approx(0.2, abs=0.021)
    assert scores.within_50ms[SHIFTED] < 0.2
    assert scores.consensus_error[GOOD] < 0.005 and scores.consensus_within_50ms[GOOD] == 1.0
    assert scores.consensus_error[SINK] > 0.5


def test_ranking_puts_good_heads_first(synthetic):
    result, reference = synthetic.result(1)
    good = [synthetic.GOOD, synthetic.GOOD_TOO]
    for references in ([reference], None):
        scores = score_heads(result, references)
        ranking = scores.ranking()
        assert set(ranking[:2]) == set(good), scores.score
        assert scores.top(2) == HeadSet.from_pairs(good, synthetic.SHAPE)
        assert len(ranking) == 6 and len(set(ranking)) == 6
    without = score_heads(result)
    assert np.isnan(without.within_50ms).all() and np.isnan(without.start_error).all()


def test_scores_pool_several_results(synthetic):
    GOOD = synthetic.GOOD
    (a, ref_a), (b, ref_b) = synthetic.result(2), synthetic.result(3)
    pooled = score_heads([a, b], [ref_a, ref_b])
    assert pooled.within_20ms[GOOD] == 1.0
    assert score_heads([a, b], [ref_a, None]).within_20ms[GOOD] == 1.0
    assert pooled.consensus_within_50ms[GOOD] == 1.0


def test_head_set_score(synthetic):
    result, reference = synthetic.result(4)
    raw = AlignmentOptions(postprocess=False)  # the pause rule would cut this long first word
    good = score_head_set(result, "official", [reference], options=raw)
    poor = HeadSet.from_pairs([synthetic.SINK, synthetic.NOISE], synthetic.SHAPE)
    bad = score_head_set(result, poor, [reference], options=raw)
    assert good.within_20ms == 1.0 and good.n_boundaries == 24
    assert score_head_set(result, "official", [reference]).within_20ms < 1.0
    assert good.score > bad.score
    assert 0 <= bad.score <= 1
    with pytest.raises(AlignmentError, match="empty"):
        score_head_set(result, "none")


def test_combined_score_formula():
    metrics = dict(monotonicity=np.array([1.0, 0.5]), concentration=np.array([0.5, np.nan]),
                   consensus_within_50ms=np.array([1.0, np.nan]), within_50ms=np.array([np.nan, np.nan]))
    expected_first = (1.0 * 1 + 0.5 * 1 + 1.0 * 2) / 4
    np.testing.assert_allclose(combined_score(metrics), [expected_first, 0.5])
    assert set(SCORE_WEIGHTS) == set(metrics)
    assert np.isnan(combined_score({k: np.array([np.nan]) for k in SCORE_WEIGHTS}))[0]


def test_scoring_errors(synthetic):
    result, reference = synthetic.result()
    with pytest.raises(AlignmentError, match="no analysis"):
        score_heads([])
    with pytest.raises(AlignmentError, match="one per result"):
        score_heads(result, [reference, reference])
    other = AnalysisResult("x", "en", "transcribe", "", 1.0, result.windows, (), (), np.zeros((3, 2), bool),
                           False, False)
    with pytest.raises(AlignmentError, match="different shapes"):
        score_heads([result, other])


def test_official_heads_score_above_the_others_on_real_captures(real_clips):
    results, references = real_clips
    official = results[0].alignment_heads
    scores = score_heads(results, references)
    for name in ("score", "within_100ms", "monotonicity"):
        values = getattr(scores, name)
        assert np.nanmean(values[official]) > np.nanmean(values[~official]), name
    assert np.nanmean(scores.start_error[official]) < np.nanmean(scores.start_error[~official])
    ranked = scores.ranking()[: int(official.sum())]
    assert sum(official[pair] for pair in ranked) >= official.sum() // 2  # the top ranks are mostly official
    for spec in ("official", "upper"):
        assert score_head_set(results, spec, references).n_boundaries > 20


def test_app_ab_table_and_benchmark_report_the_same_error(real_clips, bench_module):
    """The app's A/B set score and the accuracy benchmark's row come from the one metric: same words, same figures."""
    from whisper_viz.alignment.presets import align_words
    from whisper_viz.evaluation.metrics import boundary_errors, summarize

    results, references = real_clips
    app = score_head_set(results, "official", references)  # what the A/B table shows for head set A
    peers = bench_module("accuracy/peers.py")
    scored = [boundary_errors([peers.PeerWord(w) for w in align_words(r, heads="official")], ref)
              for r, ref in zip(results, references)]  # what a benchmark row is built from
    row = summarize(scored)
    assert app.n_boundaries == row.boundaries > 20
    assert (app.start_error, app.end_error) == (row.start_mae, row.end_mae)
    assert (app.within_20ms, app.within_50ms, app.within_100ms) == row.within
