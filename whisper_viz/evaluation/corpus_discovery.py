"""Head discovery over a corpus, on any engine: rank heads on the training clips, choose among candidate sets,
and measure the choice against the official heads on the held-out clips.

Pass 1 scores every (layer, head) alone on each training clip; the driver pools the word-boundary totals
(metrics.py) into per-head statistics and ranks the heads. The candidate sets are the k best heads
(k = 1..max_heads) of two rankings: by pooled MAE and by the share of boundaries within 50 ms. Pass 2 scores
the candidates and the official set on every clip; the candidate with the lowest pooled MAE on the training
clips is found, and the smallest candidate within SIZE_TOLERANCE of it is chosen (fewer heads generalise
better for the same error; ties: the earlier candidate), and its held-out MAE is reported next to the official heads'. Outcomes
are summed in corpus order, so the in-process and Ray engines choose the same set to the last bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import AlignmentError
from ..heads import HeadSet
from .clip_scoring import SCORE_FORMAT, ClipFailure, ClipJob, ClipScores
from .corpus import DEFAULT_HELD_OUT, CorpusClip, assign_splits, content_key
from .engines import EngineOptions, open_engine
from .metrics import TOTALS_FIELDS, WITHIN_SECONDS, totals_accuracy
from .score_cache import ScoreCache

DEFAULT_MAX_HEADS = 16
SIZE_TOLERANCE = 0.02  # a smaller set is chosen when its training MAE is within 2% of the best candidate's
HISTOGRAM_EDGES_S = (*np.round(np.arange(0.0, 1.0, 0.025), 3).tolist(), 1.0, float("inf"))  # per-clip MAE bins
WITHIN_50MS = WITHIN_SECONDS.index(0.050)
Progress = Callable[[str, int, int, int], None]  # (pass name, clips done, clips in pass, failures so far)


@dataclass(frozen=True)
class DiscoverySettings:
    max_heads: int = DEFAULT_MAX_HEADS  # largest candidate set
    held_out: float = DEFAULT_HELD_OUT  # share of the clips without a split kept to measure the choice
    size_tolerance: float = SIZE_TOLERANCE  # relative slack on the best training MAE that buys a smaller set


@dataclass(frozen=True, eq=False)
class HeadStatistics:
    """Every head alone over the training clips."""

    totals: np.ndarray  # float64 (layers, heads, len(TOTALS_FIELDS)), pooled
    histogram: np.ndarray  # int64 (layers, heads, bins): clips by their MAE with this head alone
    edges: tuple[float, ...]  # bin edges of the histogram, seconds

    @property
    def mae(self) -> np.ndarray:
        return totals_accuracy(self.totals)[0]

    @property
    def within_50ms(self) -> np.ndarray:
        return totals_accuracy(self.totals)[1][..., WITHIN_50MS]

    def ranking(self, by: str = "mae") -> tuple[tuple[int, int], ...]:
        """Heads best first by pooled MAE ("mae") or share within 50 ms ("within_50ms"); unscored heads last."""
        key = self.mae if by == "mae" else -self.within_50ms
        order = np.argsort(np.nan_to_num(key, nan=np.inf).ravel(), kind="stable")
        columns = self.totals.shape[1]
        return tuple((int(i) // columns, int(i) % columns) for i in order)


@dataclass(frozen=True)
class SetResult:
    heads: HeadSet
    train: np.ndarray = field(repr=False)  # totals over the training clips
    held_out: np.ndarray = field(repr=False)  # totals over the held-out clips

    def summary(self) -> dict:
        return {"heads": [list(p) for p in self.heads.pairs()], "heads_text": self.heads.to_text(),
                "dump": self.heads.to_dump().decode("ascii"), "size": len(self.heads),
                "train": _accuracy_dict(self.train), "held_out": _accuracy_dict(self.held_out)}


@dataclass(frozen=True, eq=False)
class CorpusDiscovery:
    """Outcome of discover_on_corpus."""

    model: str
    engine: str
    workers: int
    chosen: SetResult
    official: SetResult
    candidates: tuple[SetResult, ...]
    per_head: HeadStatistics
    clips: dict  # counts: train, held_out, scored, failed, from_cache, computed
    failures: tuple[dict, ...]  # {"id", "audio", "error"} per clip that could not be scored
    timing: dict  # seconds: wall, audio, analysis and scoring (summed over workers)

    @property
    def heads(self) -> HeadSet:
        return self.chosen.heads

    def to_dict(self) -> dict:
        """The JSON report (`whisper-viz heads discover --json`), read back by the app and `heads export`."""
        mae, within = totals_accuracy(self.per_head.totals)
        ranking = self.per_head.ranking()
        return {"model": self.model, "engine": self.engine, "workers": self.workers, "target": "reference",
                "shape": list(self.heads.shape), **{k: v for k, v in self.chosen.summary().items() if k != "size"},
                "chosen": self.chosen.summary(), "official": self.official.summary(),
                "candidates": [c.summary() for c in self.candidates],
                "per_head": {"mae_s": _nan_to_none(mae), "within_50ms": _nan_to_none(within[..., WITHIN_50MS]),
                             "boundaries": self.per_head.totals[..., 1].astype(int).tolist(),
                             "ranking": [list(p) for p in ranking],
                             "clip_mae_histogram": {"edges_s": [e if np.isfinite(e) else None for e in self.per_head.edges],
                                                    "counts": self.per_head.histogram.tolist()}},
                "clips": self.clips, "failed": list(self.failures), "timing": self.timing}


def discover_on_corpus(clips: Sequence[CorpusClip], options: EngineOptions, settings: DiscoverySettings | None = None,
                       cache: ScoreCache | None = None, progress: Progress | None = None) -> CorpusDiscovery:
    """Choose alignment heads over `clips` (see the module docstring), scoring on options.engine."""
    from ..weights.registry import resolve_source, source_fingerprint  # noqa: PLC0415

    settings = settings or DiscoverySettings()
    clips = assign_splits(clips, settings.held_out)
    cache = cache if cache is not None else ScoreCache(None)
    runner = _Runner(options, cache, source_fingerprint(resolve_source(options.model)), progress)
    started = time.perf_counter()
    try:
        train = [c for c in clips if not c.held_out]
        first = runner.run_pass("heads", train, score_heads=True, sets=())
        if not first:
            raise AlignmentError("no training clip could be scored; see the failures: "
                                 + "; ".join(f"{f['id']}: {f['error']}" for f in runner.failures[:3]))
        per_head = _head_statistics([first[c.id] for c in train if c.id in first])
        any_scores = next(iter(first.values()))
        official = HeadSet.from_dump(any_scores.official, *any_scores.shape)
        candidates = candidate_sets(per_head, settings.max_heads)
        second = runner.run_pass("sets", clips, score_heads=False, sets=(*candidates, official))
    finally:
        runner.close()
    *scored, official_result = _pooled_sets((*candidates, official), second, clips)
    chosen = choose(scored, settings.size_tolerance)
    scores = [*first.values(), *second.values()]
    timing = {"wall_s": time.perf_counter() - started, "audio_s": sum(s.audio_seconds for s in scores),
              "analysis_s": sum(s.analysis_seconds for s in scores),
              "scoring_s": sum(s.scoring_seconds for s in scores), "engine_start_s": runner.engine_start_s,
              "passes": runner.pass_timing}
    counts = {"train": len(train), "held_out": len(clips) - len(train), "scored": len(second),
              "failed": len(runner.failures), "from_cache": runner.from_cache,
              "computed": runner.computed}
    return CorpusDiscovery(options.model, options.engine, runner.workers, chosen, official_result, tuple(scored),
                           per_head, counts, tuple(runner.failures), timing)


def _pooled_sets(sets: Sequence[HeadSet], scores: dict[str, ClipScores], clips: Sequence[CorpusClip]) -> list[SetResult]:
    """Each set's totals over the training and over the held-out clips, summed in corpus order."""
    def pooled(index: int, held_out: bool) -> np.ndarray:
        rows = [scores[c.id].set_totals[index] for c in clips if c.id in scores and c.held_out == held_out]
        return np.sum(rows, axis=0) if rows else np.zeros(len(TOTALS_FIELDS))

    return [SetResult(heads, pooled(i, False), pooled(i, True)) for i, heads in enumerate(sets)]


def choose(results: Sequence[SetResult], size_tolerance: float) -> SetResult:
    """The smallest set whose training MAE is within size_tolerance of the lowest (the earliest among equals)."""
    mae = np.array([np.nan_to_num(totals_accuracy(r.train)[0], nan=np.inf) for r in results])
    if not np.isfinite(mae.min()):
        raise AlignmentError("no candidate head set matched any reference word on the training clips")
    good = [i for i in range(len(results)) if mae[i] <= mae.min() * (1 + size_tolerance)]
    return results[min(good, key=lambda i: (len(results[i].heads), mae[i], i))]


def candidate_sets(per_head: HeadStatistics, max_heads: int) -> tuple[HeadSet, ...]:
    """The k best heads, k = 1..max_heads, of the MAE ranking and of the within-50 ms ranking, each set once."""
    shape = per_head.totals.shape[:2]
    scored = {(int(layer), int(head)) for layer, head in zip(*np.nonzero(per_head.totals[..., 1] > 0))}
    sets: list[HeadSet] = []
    for by in ("mae", "within_50ms"):
        ranking = [p for p in per_head.ranking(by) if p in scored]
        for k in range(1, min(max_heads, len(ranking)) + 1):
            heads = HeadSet.from_pairs(ranking[:k], shape)
            if heads not in sets:
                sets.append(heads)
    if not sets:
        raise AlignmentError("no head matched any reference word: check that the references belong to the clips")
    return tuple(sets)


class _Runner:
    """Runs passes over clips: cached outcomes are read, the rest go to the engine (opened on first need)."""

    def __init__(self, options: EngineOptions, cache: ScoreCache, fingerprint: str, progress: Progress | None):
        self.options, self.cache, self.fingerprint, self.progress = options, cache, fingerprint, progress
        self.engine = None
        self.workers = 0
        self.failures: list[dict] = []
        self.from_cache = self.computed = 0
        self.engine_start_s = 0.0  # loading the model (Ray: starting Ray and every worker loading it)
        self.pass_timing: dict[str, dict] = {}

    def run_pass(self, name: str, clips: Sequence[CorpusClip], score_heads: bool, sets: tuple[HeadSet, ...]):
        """{clip id: ClipScores} of the clips that could be scored (a clip that failed once is not tried again)."""
        started = time.perf_counter()
        failed = {f["id"] for f in self.failures}
        clips = [c for c in clips if c.id not in failed]
        dumps = [h.to_dump().decode("ascii") for h in sets]
        setting = repr((SCORE_FORMAT, name, score_heads, dumps, TOTALS_FIELDS))
        keys = {c.id: content_key(c, self.fingerprint, setting) for c in clips}
        done: dict[str, ClipScores] = {}
        todo = []
        for clip in clips:
            cached = self.cache.get(keys[clip.id])
            if cached is not None:
                done[clip.id] = cached
            else:
                todo.append(ClipJob(clip, score_heads, sets))
        self.from_cache += len(done)
        failures_before = len(self.failures)
        self._report(name, len(done), len(clips))
        if todo:
            if self.engine is None:
                opened = time.perf_counter()
                self.engine = open_engine(self.options)
                self.workers = self.engine.workers
                self.engine_start_s = time.perf_counter() - opened
            for job, outcome in self.engine.run(todo):
                if isinstance(outcome, ClipFailure):
                    self.failures.append({"id": job.clip.id, "audio": str(job.clip.audio), "pass": name,
                                          "error": outcome.error})
                else:
                    done[job.clip.id] = outcome
                    self.cache.put(keys[job.clip.id], outcome)
                    self.computed += 1
                self._report(name, len(done) + len(self.failures) - failures_before, len(clips))
        self.pass_timing[name] = {"wall_s": time.perf_counter() - started, "clips": len(clips),
                                  "computed": len(todo) - (len(self.failures) - failures_before)}
        return done

    def _report(self, name: str, finished: int, total: int) -> None:
        if self.progress is not None:
            self.progress(name, finished, total, len(self.failures))

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()


def _head_statistics(scores: Sequence[ClipScores]) -> HeadStatistics:
    totals = sum((s.head_totals for s in scores), np.zeros_like(scores[0].head_totals))
    edges = np.asarray(HISTOGRAM_EDGES_S)
    histogram = np.zeros((*totals.shape[:2], len(edges) - 1), np.int64)
    for s in scores:
        clip_mae = totals_accuracy(s.head_totals)[0]  # (layers, heads), NaN where nothing matched
        bins = np.clip(np.searchsorted(edges, np.nan_to_num(clip_mae, nan=-1.0), side="right") - 1, 0, len(edges) - 2)
        np.add.at(histogram, (*np.nonzero(np.isfinite(clip_mae)), bins[np.isfinite(clip_mae)]), 1)
    return HeadStatistics(totals, histogram, HISTOGRAM_EDGES_S)


def _accuracy_dict(totals: np.ndarray) -> dict:
    mae, within = totals_accuracy(totals)
    return {"mae_s": None if np.isnan(mae) else float(mae), "boundaries": int(totals[1]),
            **{f"within_{round(t * 1000)}ms": None if np.isnan(w) else float(w) for t, w in zip(WITHIN_SECONDS, within)}}


def _nan_to_none(values: np.ndarray) -> list:
    return np.where(np.isfinite(values), values, None).tolist()
