"""Per-head and head-set scores on synthetic heads of known quality (and on tiny.en when available)."""

import json
from pathlib import Path

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz.alignment.window import AlignmentOptions
from whisper_viz.errors import AlignmentError
from whisper_viz.evaluation.references import ReferenceWord
from whisper_viz.evaluation.scoring import SCORE_WEIGHTS, HeadScores, combined_score, score_head_set, score_heads
from whisper_viz.heads import HeadSet
from whisper_viz.results import AnalysisResult, Token, WindowCapture

SHAPE = (2, 3)
GOOD, SHIFTED, SINK, REVERSED, NOISE, GOOD_TOO = (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)
N_FRAMES = 300


def synthetic_result(seed=0, n_words=12):
    """Words with known spans; heads: exact boxes, boxes 10 frames late, a sink, reversed, noise."""
    rng = np.random.default_rng(seed)
    bounds = np.sort(rng.choice(np.arange(10, N_FRAMES - 10), n_words, replace=False))
    bounds[0] = 0  # DTW paths start at frame 0, so the first word does too
    bounds = np.concatenate([bounds, [N_FRAMES - 5]])  # the last bound starts end-of-text
    n_rows = n_words + 1
    box = np.full((n_rows, N_FRAMES), 1e-4)
    for i in range(n_rows):
        box[i, bounds[i]: bounds[i + 1] if i < n_words else N_FRAMES] = 1.0
    heads = {
        GOOD: box,
        SHIFTED: np.roll(box, 10, axis=1),
        SINK: np.tile(np.eye(1, N_FRAMES, 0) + 1e-4, (n_rows, 1)),
        REVERSED: box[:, ::-1],
        NOISE: rng.random((n_rows, N_FRAMES)) ** 8,
        GOOD_TOO: box + rng.random(box.shape) * 0.05,
    }
    attention = np.empty((*SHAPE, n_rows, N_FRAMES), np.float16)
    for (layer, head), weights in heads.items():
        attention[layer, head] = weights / weights.sum(-1, keepdims=True)
    tokens = tuple(Token(100 + i, f" w{i}", f" w{i}".encode(), 0.9) for i in range(n_words))
    tokens += (Token(50256, "<|endoftext|>", b"", 0.9, special=True),)
    text = "".join(t.text for t in tokens[:-1])
    capture = WindowCapture(0, 0.0, N_FRAMES, attention, tokens, (50257,), text, "en", 0.0)
    official = HeadSet.from_pairs([GOOD, GOOD_TOO], SHAPE).mask
    result = AnalysisResult("synthetic", "en", "transcribe", text, N_FRAMES * 0.02, (capture,), (), (), official,
                            False, False)
    reference = tuple(ReferenceWord(f"w{i}", bounds[i] * 0.02, bounds[i + 1] * 0.02) for i in range(n_words))
    return result, reference


def test_metric_values_on_known_heads():
    result, reference = synthetic_result()
    scores = score_heads(result, [reference])
    assert isinstance(scores, HeadScores) and scores.shape == SHAPE
    for name, values in scores.metrics().items():
        assert values.shape == SHAPE and values.dtype == np.float64, name
    assert scores.monotonicity[GOOD] == 1.0 and scores.monotonicity[REVERSED] == 0.0
    assert scores.monotonicity[SINK] == 1.0  # a sink never goes back: concentration and agreement catch it
    assert scores.concentration[GOOD] > 0.4 > scores.concentration[NOISE]
    assert scores.within_20ms[GOOD] == 1.0 and scores.start_error[GOOD] == pytest.approx(0, abs=1e-9)
    assert scores.start_error[SHIFTED] == pytest.approx(0.2, abs=0.021)
    assert scores.within_50ms[SHIFTED] < 0.2
    assert scores.consensus_error[GOOD] < 0.005 and scores.consensus_within_50ms[GOOD] == 1.0
    assert scores.consensus_error[SINK] > 0.5


def test_ranking_puts_good_heads_first():
    result, reference = synthetic_result(1)
    for references in ([reference], None):
        scores = score_heads(result, references)
        ranking = scores.ranking()
        assert set(ranking[:2]) == {GOOD, GOOD_TOO}, scores.score
        assert scores.top(2) == HeadSet.from_pairs([GOOD, GOOD_TOO], SHAPE)
        assert len(ranking) == 6 and len(set(ranking)) == 6
    without = score_heads(result)
    assert np.isnan(without.within_50ms).all() and np.isnan(without.start_error).all()


def test_scores_pool_several_results():
    (a, ref_a), (b, ref_b) = synthetic_result(2), synthetic_result(3)
    pooled = score_heads([a, b], [ref_a, ref_b])
    assert pooled.within_20ms[GOOD] == 1.0
    assert score_heads([a, b], [ref_a, None]).within_20ms[GOOD] == 1.0
    assert pooled.consensus_within_50ms[GOOD] == 1.0


def test_head_set_score():
    result, reference = synthetic_result(4)
    raw = AlignmentOptions(postprocess=False)  # the pause rule would cut this long first word
    good = score_head_set(result, "official", [reference], options=raw)
    bad = score_head_set(result, HeadSet.from_pairs([SINK, NOISE], SHAPE), [reference], options=raw)
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


def test_scoring_errors():
    result, reference = synthetic_result()
    with pytest.raises(AlignmentError, match="no analysis"):
        score_heads([])
    with pytest.raises(AlignmentError, match="one per result"):
        score_heads(result, [reference, reference])
    other = AnalysisResult("x", "en", "transcribe", "", 1.0, result.windows, (), (), np.zeros((3, 2), bool),
                           False, False)
    with pytest.raises(AlignmentError, match="different shapes"):
        score_heads([result, other])


def test_discovery_finds_the_good_heads():
    from whisper_viz.evaluation.discovery import discover_heads

    (a, ref_a), (b, ref_b) = synthetic_result(5), synthetic_result(6)
    raw = AlignmentOptions(postprocess=False)
    found = discover_heads([a, b], [ref_a, ref_b], options=raw)
    assert found.target == "reference"
    assert set(found.heads.pairs()) <= {GOOD, GOOD_TOO} and found.error == pytest.approx(0, abs=1e-9)
    assert found.steps[0].added in (GOOD, GOOD_TOO) and found.steps[-1].heads == found.heads
    assert found.baseline_error == pytest.approx(0, abs=1e-9)  # the synthetic "official" heads are the good ones
    assert HeadSet.from_dump(found.to_dump(), *SHAPE) == found.heads
    record = found.to_dict()
    assert record["heads_text"] == found.heads.to_text() and len(record["ranking"]) == 6
    import json

    json.dumps(record)
    # without references, the consensus of the official heads is the target
    consensus = discover_heads(a, consensus="official", options=raw)
    assert consensus.target == "consensus" and consensus.error < 0.01


def test_discovery_errors():
    from whisper_viz.evaluation.discovery import discover_heads

    result, _ = synthetic_result()
    with pytest.raises(AlignmentError, match="empty consensus"):
        discover_heads(result, consensus="none")


ACCURACY_DIR = Path(__file__).resolve().parents[2] / "bench" / "accuracy" / "data" / "train"


@pytest.fixture(scope="module")
def real_clips(tiny_model):
    """tiny.en forced on two clips of the accuracy set, with their exact word timings."""
    manifest_path = ACCURACY_DIR / "manifest.json"
    if not manifest_path.exists():
        pytest.skip("bench/accuracy/data/train is not there")
    clips = [c for c in json.loads(manifest_path.read_text())["clips"] if c["pause_seconds"] is None][:2]
    results = [wv.analyze(tiny_model, ACCURACY_DIR / c["file"], text=c["text"]) for c in clips]
    references = [tuple(ReferenceWord(w["word"], w["start"], w["end"]) for w in c["words"]) for c in clips]
    return results, references


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


def test_discovery_on_real_captures_beats_or_matches_official(real_clips):
    from whisper_viz.evaluation.discovery import discover_heads

    results, references = real_clips
    found = discover_heads(results, references)
    assert found.error <= found.baseline_error
    assert not found.heads.is_empty and found.heads.shape == (4, 6)


def test_app_ab_table_and_benchmark_report_the_same_error(real_clips, bench_module):
    """The app's A/B set score and the accuracy benchmark's row come from the one metric: same words, same figures."""
    from whisper_viz.alignment.presets import align_words
    from whisper_viz.evaluation.metrics import boundary_errors, summarize

    results, references = real_clips
    app = score_head_set(results, "official", references)  # what the A/B table shows for head set A
    bench = bench_module("accuracy/bench_accuracy.py")
    scored = [boundary_errors([bench._Word(w) for w in align_words(r, heads="official")], ref)
              for r, ref in zip(results, references)]  # what a benchmark row is built from
    row = summarize(scored)
    assert app.n_boundaries == row.boundaries > 20
    assert (app.start_error, app.end_error) == (row.start_mae, row.end_mae)
    assert (app.within_20ms, app.within_50ms, app.within_100ms) == row.within
