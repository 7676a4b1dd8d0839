"""Head discovery: forward selection finds the good synthetic heads, and matches or beats the official set."""

import json

import pytest

from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.errors import AlignmentError
from whisper_viz.evaluation.discovery import discover_heads
from whisper_viz.heads import HeadSet


def test_discovery_finds_the_good_heads(synthetic):
    good = {synthetic.GOOD, synthetic.GOOD_TOO}
    (a, ref_a), (b, ref_b) = synthetic.result(5), synthetic.result(6)
    raw = AlignmentOptions(postprocess=False)
    found = discover_heads([a, b], [ref_a, ref_b], options=raw)
    assert found.target == "reference"
    assert set(found.heads.pairs()) <= good and found.error == pytest.approx(0, abs=1e-9)
    assert found.steps[0].added in good and found.steps[-1].heads == found.heads
    assert found.baseline_error == pytest.approx(0, abs=1e-9)  # the synthetic "official" heads are the good ones
    assert HeadSet.from_dump(found.to_dump(), *synthetic.SHAPE) == found.heads
    record = found.to_dict()
    assert record["heads_text"] == found.heads.to_text() and len(record["ranking"]) == 6
    json.dumps(record)
    # without references, the consensus of the official heads is the target
    consensus = discover_heads(a, consensus="official", options=raw)
    assert consensus.target == "consensus" and consensus.error < 0.01


def test_discovery_errors(synthetic):
    result, _ = synthetic.result()
    with pytest.raises(AlignmentError, match="empty consensus"):
        discover_heads(result, consensus="none")


def test_discovery_on_real_captures_beats_or_matches_official(real_clips):
    results, references = real_clips
    found = discover_heads(results, references)
    assert found.error <= found.baseline_error
    assert not found.heads.is_empty and found.heads.shape == (4, 6)
