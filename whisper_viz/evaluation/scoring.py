"""How well each cross-attention head (or a head set) tracks the audio: a (layers, heads) table per metric.

Reference-free metrics, from each window's text-token rows of the capture:
  monotonicity   share of consecutive tokens whose argmax frame does not go back in time
                 (non-decreasing steps / all steps), pooled over windows. 1 = never goes back.
  concentration  1 - H(p) / log(frames), averaged over tokens, where p is a token's attention over
                 the window's frames and H its entropy. 1 = one frame, 0 = uniform.
  consensus_error        mean |start - consensus start| of every token (seconds), where starts come
                         from DTW with this head alone and with the consensus set (default: official).
  consensus_within_50ms  share of those token starts within 50 ms of the consensus.
With reference word timings, from the one word-boundary metric (metrics.py):
  start_error, end_error  mean |hypothesis - reference| word start / end (seconds).
  within_20ms, within_50ms, within_100ms  share of word boundaries (starts and ends) that close.
Combined score, in [0, 1], higher is better: the weighted mean of the metrics that are defined,
  score = (1 * monotonicity + 1 * concentration + 2 * consensus_within_50ms + 4 * within_50ms) / (sum of
  the weights of the defined terms); see SCORE_WEIGHTS. NaN marks a metric that could not be computed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..alignment.options import AlignmentOptions
from ..alignment.window import align_windows
from ..errors import AlignmentError
from ..heads import HeadSet, parse_heads
from ..results import AnalysisResult
from .metrics import BoundaryAccuracy, boundary_errors, share_within, summarize
from .references import ReferenceWord

CONSENSUS_TOLERANCE_S = 0.05
SCORE_WEIGHTS = {"monotonicity": 1.0, "concentration": 1.0, "consensus_within_50ms": 2.0, "within_50ms": 4.0}


@dataclass(frozen=True, eq=False)
class HeadScores:
    """Every metric as float64 (layers, heads); NaN where undefined. See the module docstring."""

    monotonicity: np.ndarray
    concentration: np.ndarray
    consensus_error: np.ndarray  # seconds
    consensus_within_50ms: np.ndarray
    start_error: np.ndarray  # seconds; NaN without references
    end_error: np.ndarray  # seconds; NaN without references
    within_20ms: np.ndarray
    within_50ms: np.ndarray
    within_100ms: np.ndarray
    score: np.ndarray  # combined, in [0, 1]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.score.shape)

    def ranking(self) -> tuple[tuple[int, int], ...]:
        """(layer, head) pairs from best to worst score (NaN last; ties in layer-major order)."""
        order = np.argsort(-np.nan_to_num(self.score.ravel(), nan=-np.inf), kind="stable")
        return tuple((int(i) // self.shape[1], int(i) % self.shape[1]) for i in order)

    def top(self, k: int) -> HeadSet:
        """The k best-scoring heads."""
        return HeadSet.from_pairs(self.ranking()[: max(0, int(k))], self.shape)

    def metrics(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SetScore:
    """The same metrics for one head set (floats; NaN where undefined)."""

    monotonicity: float
    concentration: float
    consensus_error: float
    consensus_within_50ms: float
    start_error: float
    end_error: float
    within_20ms: float
    within_50ms: float
    within_100ms: float
    score: float
    n_boundaries: int  # reference word boundaries that were matched and scored


def score_heads(results, references=None, *, consensus="official",
                options: AlignmentOptions | None = None) -> HeadScores:
    """Score every (layer, head) alone over one or more AnalysisResults.

    references: one sequence of ReferenceWord per result (None entries allowed), or None.
    consensus: the head set the consensus path comes from (anything `parse_heads` accepts).
    """
    results, references = check_inputs(results, references)
    shape = results[0].shape
    n_layers, n_heads = shape
    monotone, steps, concentration, rows = _attention_stats(results, None)
    consensus_error = np.full(shape, np.nan)
    consensus_within = np.full(shape, np.nan)
    stats = np.full((9, n_layers, n_heads), np.nan)
    targets = [consensus_starts(r, consensus, options) for r in results]
    for layer in range(n_layers):
        for head in range(n_heads):
            single = HeadSet.from_pairs([(layer, head)], shape)
            starts, words = zip(*(align_result(r, single, options) for r in results))
            differences = start_differences(starts, targets)
            if len(differences):
                consensus_error[layer, head] = differences.mean()
                consensus_within[layer, head] = share_within(differences, CONSENSUS_TOLERANCE_S)
            b = pooled_accuracy(words, references)
            if b is not None and b.boundaries:
                stats[:5, layer, head] = (b.start_mae, b.end_mae, *b.within)
    metrics = dict(monotonicity=_ratio(monotone, steps), concentration=_ratio(concentration, rows),
                   consensus_error=consensus_error, consensus_within_50ms=consensus_within,
                   start_error=stats[0], end_error=stats[1], within_20ms=stats[2], within_50ms=stats[3],
                   within_100ms=stats[4])
    return HeadScores(**metrics, score=combined_score(metrics))


def score_head_set(results, heads, references=None, *, consensus="official",
                   options: AlignmentOptions | None = None) -> SetScore:
    """The metrics of one head set: attention averaged over its heads, its DTW path and words."""
    results, references = check_inputs(results, references)
    head_sets = [parse_heads(heads, r.shape, official=r.alignment_heads) for r in results]
    if head_sets[0].is_empty:
        raise AlignmentError("the head set is empty: select at least one head to score")
    monotone, steps, concentration, rows = _attention_stats(results, head_sets)
    aligned = [align_result(r, h, options) for r, h in zip(results, head_sets)]
    differences = start_differences([a[0] for a in aligned], [consensus_starts(r, consensus, options) for r in results])
    b = pooled_accuracy([a[1] for a in aligned], references) or summarize([])
    metrics = dict(monotonicity=_ratio(monotone, steps), concentration=_ratio(concentration, rows),
                   consensus_error=differences.mean() if len(differences) else np.nan,
                   consensus_within_50ms=share_within(differences, CONSENSUS_TOLERANCE_S)
                   if len(differences) else np.nan,
                   start_error=b.start_mae, end_error=b.end_mae, within_20ms=b.within_20ms,
                   within_50ms=b.within_50ms, within_100ms=b.within_100ms)
    score = combined_score({k: np.asarray(v, float) for k, v in metrics.items()})
    return SetScore(**{k: float(v) for k, v in metrics.items()}, score=float(score), n_boundaries=b.boundaries)


def combined_score(metrics: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted mean of the defined SCORE_WEIGHTS metrics (each in [0, 1]); NaN where none is defined."""
    total = weight = 0.0
    for name, w in SCORE_WEIGHTS.items():
        values = np.asarray(metrics[name], np.float64)
        defined = np.isfinite(values)
        total = total + np.where(defined, values * w, 0.0)
        weight = weight + np.where(defined, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)


def check_inputs(results, references) -> tuple[list[AnalysisResult], list]:
    """(results, one reference list or None per result), checked to come from one model."""
    results = [results] if isinstance(results, AnalysisResult) else list(results)
    if not results:
        raise AlignmentError("no analysis results to score")
    shapes = {r.shape for r in results}
    if len(shapes) != 1:
        raise AlignmentError(f"results come from models of different shapes {sorted(shapes)}; score one model at a time")
    if references is None:
        references = [None] * len(results)
    elif len(results) == 1 and references and isinstance(references[0], ReferenceWord):
        references = [references]
    references = list(references)
    if len(references) != len(results):
        raise AlignmentError(f"{len(references)} reference lists for {len(results)} results; give one per result")
    return results, references


def align_result(result: AnalysisResult, heads: HeadSet, options):
    """(token starts per window in absolute seconds, words of all windows), aligned like align_words."""
    windows = align_windows(result, heads, options or AlignmentOptions())
    starts = [w.offset + w.token_starts if capture.text_tokens else np.zeros(0)
              for w, capture in zip(windows, result.windows)]
    return starts, [word for w in windows for word in w.words]


def consensus_starts(result: AnalysisResult, consensus, options):
    """Token starts per window of the consensus head set; None when that set is empty."""
    heads = parse_heads(consensus, result.shape, official=result.alignment_heads)
    return None if heads.is_empty else align_result(result, heads, options)[0]


def start_differences(starts, targets) -> np.ndarray:
    """|start - target start| of every token of every window (seconds), pooled over results."""
    differences = [np.abs(a - b) for per_result, cons in zip(starts, targets) if cons is not None
                   for a, b in zip(per_result, cons)]
    return np.concatenate(differences) if differences else np.zeros(0)


def pooled_accuracy(words_per_result, references) -> BoundaryAccuracy | None:
    """The word-boundary accuracy over the results that have references; None if none has."""
    clips = [boundary_errors(words, ref) for words, ref in zip(words_per_result, references) if ref is not None]
    return summarize(clips) if clips else None


def _attention_stats(results, head_sets):
    """Pooled (non-decreasing argmax steps, steps, sum of token concentrations, tokens).

    head_sets None: (layers, heads) arrays, one value per head; else scalars for the mean over each
    result's head set of its (renormalized) attention.
    """
    shape = results[0].shape if head_sets is None else ()
    monotone, steps = np.zeros(shape), np.zeros(shape)
    concentration, rows = np.zeros(shape), np.zeros(shape)
    for i, result in enumerate(results):
        for capture in result.windows:
            n_text = len(capture.tokens) - 1  # the last row predicts end-of-text
            if n_text < 1:
                continue
            if head_sets is None:
                for layer in range(shape[0]):  # one layer at a time bounds memory
                    ok, focus = _row_stats(capture.attention[layer, :, :n_text])  # (heads,) each
                    monotone[layer] += ok
                    concentration[layer] += focus
            else:
                weights = capture.attention[:, :, :n_text][head_sets[i].mask].astype(np.float32)  # (k, tokens, frames)
                ok, focus = _row_stats((weights / weights.sum(-1, keepdims=True)).mean(0, keepdims=True))
                monotone += ok[0]
                concentration += focus[0]
            steps += n_text - 1
            rows += n_text
    return monotone, steps, concentration, rows


def _row_stats(attention: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(non-decreasing argmax steps, sum of concentrations) per head of attention (heads, tokens, frames)."""
    weights = attention.astype(np.float32)
    weights /= weights.sum(-1, keepdims=True)
    peaks = weights.argmax(-1)  # (heads, tokens)
    return (np.diff(peaks, axis=-1) >= 0).sum(-1), _concentration(weights).sum(-1)


def _concentration(p: np.ndarray) -> np.ndarray:
    """1 - entropy / log(frames) of each row of p (..., frames), rows summing to 1."""
    n_frames = p.shape[-1]
    if n_frames < 2:
        return np.ones(p.shape[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(-1)
    return 1.0 - entropy / np.log(n_frames)


def _ratio(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(denominator) > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)
