"""Head discovery: rank every head, then greedily grow the head set that best matches the target timings.

Target: reference word timings when given (error = mean |hypothesis - reference| over matched word
starts and ends, seconds), otherwise the token start times of a consensus head set (error = mean
|token start - consensus token start|, seconds). Forward selection starts from no heads and at
each step adds the candidate head whose set has the lowest error; it stops when no head improves
the error by at least `min_improvement` or at `max_heads`. The best set seen is returned, and can
be exported as a dump for openai-whisper's `model.set_alignment_heads`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..alignment.options import AlignmentOptions
from ..errors import AlignmentError
from ..heads import HeadSet, parse_heads
from .metrics import share_within
from .scoring import (
    CONSENSUS_TOLERANCE_S,
    HeadScores,
    align_result,
    check_inputs,
    consensus_starts,
    pooled_accuracy,
    score_heads,
    start_differences,
)

DEFAULT_CANDIDATES = 48  # best-scoring heads tried at each step (all heads for models this small)
DEFAULT_MAX_HEADS = 16
MIN_IMPROVEMENT_S = 0.001  # a step must lower the mean error by at least 1 ms


@dataclass(frozen=True)
class DiscoveryStep:
    added: tuple[int, int]  # (layer, head) added at this step
    heads: HeadSet  # the set after adding it
    error: float  # mean boundary error of that set, seconds
    within_50ms: float  # share of boundaries within 50 ms of the target


@dataclass(frozen=True, eq=False)
class Discovery:
    """Outcome of `discover_heads`."""

    heads: HeadSet  # the selected set (lowest error over the steps)
    error: float  # its mean boundary error, seconds
    target: str  # "reference" or "consensus"
    ranking: tuple[tuple[int, int], ...]  # every head, best single-head score first
    scores: HeadScores  # per-head metrics the ranking came from
    steps: tuple[DiscoveryStep, ...]  # forward selection, one entry per added head
    baseline_error: float  # error of the official heads (NaN if the model has none)

    def to_dump(self) -> bytes:
        """base85 dump of the selected heads, for openai-whisper's `set_alignment_heads`."""
        return self.heads.to_dump()

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "heads": [list(p) for p in self.heads.pairs()],
            "heads_text": self.heads.to_text(),
            "dump": self.to_dump().decode("ascii"),
            "error_s": self.error,
            "baseline_error_s": self.baseline_error,
            "target": self.target,
            "ranking": [list(p) for p in self.ranking],
            "score": self.scores.score.tolist(),
            "steps": [
                {"added": list(s.added), "heads": s.heads.to_text(), "error_s": s.error, "within_50ms": s.within_50ms}
                for s in self.steps
            ],
        }


def discover_heads(results, references=None, *, consensus="official", options: AlignmentOptions | None = None,
                   candidates: int | None = DEFAULT_CANDIDATES, max_heads: int = DEFAULT_MAX_HEADS,
                   min_improvement: float = MIN_IMPROVEMENT_S) -> Discovery:
    """Find the head set whose word timings best match `references` (or the consensus heads).

    results: AnalysisResult or a list of them (one model). references: one ReferenceWord sequence
    per result (None entries skip a result's reference), or None to follow `consensus`.
    candidates: how many of the best single heads are tried at each step (None = all).
    """
    results, references = check_inputs(results, references)
    shape = results[0].shape
    has_reference = any(r is not None for r in references)
    scores = score_heads(results, references, consensus=consensus, options=options)
    ranking = scores.ranking()
    pool = list(ranking if candidates is None else ranking[: max(1, int(candidates))])
    target_starts = None if has_reference else [consensus_starts(r, consensus, options) for r in results]
    if target_starts is not None and all(t is None for t in target_starts):
        raise AlignmentError("no reference timings and an empty consensus head set: nothing to discover against")

    def evaluate(heads: HeadSet) -> tuple[float, float]:
        aligned = [align_result(r, heads, options) for r in results]
        if has_reference:
            accuracy = pooled_accuracy([a[1] for a in aligned], references)
            return (accuracy.mae, accuracy.within_50ms) if accuracy.boundaries else (np.nan, np.nan)
        differences = start_differences([a[0] for a in aligned], target_starts)
        if not len(differences):
            return np.nan, np.nan
        return float(differences.mean()), share_within(differences, CONSENSUS_TOLERANCE_S)

    selected = HeadSet.empty(shape)
    steps: list[DiscoveryStep] = []
    best_error = np.inf
    while pool and len(steps) < max_heads:
        trials = [(evaluate(selected.with_head(*pair)), pair) for pair in pool]
        (error, within), pair = min(trials, key=lambda t: (np.nan_to_num(t[0][0], nan=np.inf), pool.index(t[1])))
        if not np.isfinite(error) or error > best_error - min_improvement:
            break
        selected = selected.with_head(*pair)
        pool.remove(pair)
        best_error = error
        steps.append(DiscoveryStep(pair, selected, error, within))
    if not steps:
        raise AlignmentError("no head gave usable timings: check that the references match the audio")
    official = parse_heads("official", shape, official=results[0].alignment_heads)
    baseline = evaluate(official)[0] if not official.is_empty else np.nan
    return Discovery(steps[-1].heads, steps[-1].error, "reference" if has_reference else "consensus", ranking,
                     scores, tuple(steps), float(baseline))
