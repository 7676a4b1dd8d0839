"""Corpus discovery in process (corpus_discovery.py, clip_scoring.py, score_cache.py) on real tiny.en runs."""

import json

import numpy as np
import pytest

from whisper_viz.evaluation.corpus import read_manifest
from whisper_viz.evaluation.corpus_discovery import (
    HISTOGRAM_EDGES_S,
    DiscoverySettings,
    HeadStatistics,
    SetResult,
    candidate_sets,
    choose,
    discover_on_corpus,
)
from whisper_viz.evaluation.engines import EngineOptions
from whisper_viz.evaluation.metrics import TOTALS_FIELDS
from whisper_viz.evaluation.score_cache import ScoreCache
from whisper_viz.heads import HeadSet


def totals(mae: float, boundaries: int = 10) -> np.ndarray:
    row = np.zeros(len(TOTALS_FIELDS))
    row[:2] = mae * boundaries, boundaries
    return row


def test_the_smallest_set_within_the_tolerance_is_chosen():
    sets = [HeadSet.from_pairs(pairs, (2, 2)) for pairs in ([(0, 0)], [(0, 0), (1, 1)], [(0, 0), (1, 0), (1, 1)])]
    results = [SetResult(h, totals(mae), totals(0.0)) for h, mae in zip(sets, (0.150, 0.1015, 0.100))]
    assert choose(results, 0.02).heads == sets[1]  # 101.5 ms is within 2% of 100 ms
    assert choose(results, 0.0).heads == sets[2]
    with pytest.raises(Exception, match="no candidate head set"):
        choose([SetResult(sets[0], np.zeros(len(TOTALS_FIELDS)), totals(0.1))], 0.02)


def test_candidates_are_the_best_k_of_both_rankings():
    head_totals = np.zeros((2, 2, len(TOTALS_FIELDS)))
    head_totals[..., 1] = 10
    head_totals[..., 0] = np.array([[1.0, 2.0], [3.0, 4.0]])  # MAE 0.1, 0.2, 0.3, 0.4 s
    head_totals[..., 3] = np.array([[1, 2], [9, 3]])  # within 50 ms: head (1, 0) best
    head_totals[1, 1, 1] = 0  # never matched a word: never a candidate
    per_head = HeadStatistics(head_totals, np.zeros((2, 2, len(HISTOGRAM_EDGES_S) - 1), int), HISTOGRAM_EDGES_S)
    texts = [h.to_text() for h in candidate_sets(per_head, max_heads=3)]
    assert texts == ["0:0", "0:0,0:1", "0:0,0:1,1:0", "1:0", "0:1,1:0"]
    assert [h.to_text() for h in candidate_sets(per_head, max_heads=1)] == ["0:0", "1:0"]


def test_in_process_discovery_reports_and_resumes_from_the_cache(small_corpus, tmp_path):
    clips = read_manifest(small_corpus)
    cache = ScoreCache(tmp_path / "cache")
    seen = []
    first = discover_on_corpus(clips, EngineOptions(model="tiny.en"), DiscoverySettings(max_heads=6), cache,
                               lambda *a: seen.append(a))
    report = first.to_dict()
    assert report["clips"] == {"train": 4, "held_out": 2, "scored": 6, "failed": 0, "from_cache": 0, "computed": 10}
    assert report["official"]["heads_text"] == HeadSet.official("tiny.en").to_text()
    assert report["chosen"] in report["candidates"] and 1 <= report["chosen"]["size"] <= 6
    assert report["heads"] == report["chosen"]["heads"] and report["target"] == "reference"
    assert report["chosen"]["train"]["mae_s"] <= report["official"]["train"]["mae_s"]
    counts = np.array(report["per_head"]["clip_mae_histogram"]["counts"])
    assert counts.shape == (4, 6, len(HISTOGRAM_EDGES_S) - 1) and (counts.sum(-1) == 4).all()
    mae = np.array(report["per_head"]["mae_s"], float)
    ranking = [tuple(p) for p in report["per_head"]["ranking"]]
    assert mae[ranking[0]] == np.nanmin(mae) and report["candidates"][0]["heads"] == [list(ranking[0])]
    assert seen[0] == ("heads", 0, 4, 0) and seen[-1] == ("sets", 6, 6, 0)
    assert len(cache) == 10 and report["timing"]["analysis_s"] > 0 and report["timing"]["audio_s"] > 20
    json.dumps(report, allow_nan=False)  # plain JSON: no NaN, no numpy types

    again = discover_on_corpus(clips, EngineOptions(model="tiny.en"), DiscoverySettings(max_heads=6), cache).to_dict()
    assert again["clips"]["from_cache"] == 10 and again["clips"]["computed"] == 0 and again["workers"] == 0
    for key in ("chosen", "official", "candidates", "per_head"):
        assert again[key] == report[key]


def test_a_failing_clip_is_reported_and_the_rest_still_count(small_corpus, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....not audio at all")
    lines = small_corpus.read_text().splitlines()[:3]
    lines.insert(1, json.dumps({"id": "broken", "audio": str(broken), "words": [{"word": "x", "start": 0, "end": 1}],
                                "split": "train"}))
    manifest = tmp_path / "with_broken.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    report = discover_on_corpus(read_manifest(manifest), EngineOptions(model="tiny.en"),
                                DiscoverySettings(max_heads=2, held_out=0.0)).to_dict()
    assert report["clips"]["failed"] == 1 and report["clips"]["train"] == 4
    (failure,) = report["failed"]
    assert failure["id"] == "broken" and failure["pass"] == "heads" and "AudioError" in failure["error"]
    assert report["chosen"]["train"]["boundaries"] > 0 and report["chosen"]["held_out"]["mae_s"] is None
