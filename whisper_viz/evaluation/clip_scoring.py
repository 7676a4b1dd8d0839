"""One clip of a discovery corpus, scored by a worker: forced-mode analysis, then the word-boundary totals of
every (layer, head) alone and of each candidate head set against the clip's reference timings.

`ClipScorer` loads the model once and scores clip after clip; the in-process engine calls it directly and
each Ray worker holds one. Totals (metrics.boundary_totals) add up over clips, so the driver pools a corpus
exactly as metrics.summarize pools a list of clips.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..alignment.options import AlignmentOptions
from ..heads import HeadSet
from .corpus import CorpusClip
from .metrics import TOTALS_FIELDS, boundary_errors, boundary_totals
from .scoring import align_result

SCORE_FORMAT = 1  # bump when ClipScores' meaning changes: it is part of every cache key


@dataclass(frozen=True, eq=False)
class ClipScores:
    """What one clip contributes to a discovery."""

    clip_id: str
    audio_seconds: float
    shape: tuple[int, int]  # (decoder layers, heads)
    official: str  # base85 dump of the model's official heads
    head_totals: np.ndarray | None  # float64 (layers, heads, len(TOTALS_FIELDS)); None when heads were not scored
    set_totals: np.ndarray  # float64 (candidate sets, len(TOTALS_FIELDS)), in the order they were given
    analysis_seconds: float  # forced-mode analysis: mel, encoder, capture of every head
    scoring_seconds: float  # DTW and word matching of every head and set

    def to_dict(self) -> dict:
        return {"clip_id": self.clip_id, "audio_seconds": self.audio_seconds, "shape": list(self.shape),
                "official": self.official,
                "head_totals": None if self.head_totals is None else self.head_totals.tolist(),
                "set_totals": self.set_totals.tolist(), "analysis_seconds": self.analysis_seconds,
                "scoring_seconds": self.scoring_seconds}

    @classmethod
    def from_dict(cls, data: dict) -> ClipScores:
        heads = data["head_totals"]
        return cls(data["clip_id"], float(data["audio_seconds"]), tuple(data["shape"]), data["official"],
                   None if heads is None else np.asarray(heads, np.float64).reshape(*data["shape"], len(TOTALS_FIELDS)),
                   np.asarray(data["set_totals"], np.float64).reshape(-1, len(TOTALS_FIELDS)),
                   float(data["analysis_seconds"]), float(data["scoring_seconds"]))


@dataclass(frozen=True)
class ClipFailure:
    """A clip that could not be scored; reported, never fatal."""

    clip_id: str
    error: str  # what went wrong, for the report


@dataclass(frozen=True)
class ClipJob:
    """One clip to score: every head alone when score_heads, and the candidate sets."""

    clip: CorpusClip
    score_heads: bool
    sets: tuple[HeadSet, ...]


class ClipScorer:
    """Holds one loaded model and scores clips with it (a Ray worker keeps one for its lifetime)."""

    def __init__(self, model: str, device: str = "cpu", threads: int | None = None,
                 options: AlignmentOptions | None = None):
        import torch  # noqa: PLC0415 - the driver of a Ray run never loads torch

        from ..engine.loading import load_model  # noqa: PLC0415

        if threads:
            torch.set_num_threads(int(threads))
        self.model = load_model(model, device=device)
        self.options = options or AlignmentOptions()

    def ready(self) -> str:
        """The loaded model's name (Ray: waiting for this tells that a worker has loaded its model)."""
        return self.model.name

    def score(self, job: ClipJob) -> ClipScores | ClipFailure:
        """Score one clip; any error becomes a ClipFailure with its message."""
        try:
            return self._score(job)
        except Exception as error:  # noqa: BLE001 - one bad clip must not stop a corpus
            return ClipFailure(job.clip.id, f"{type(error).__name__}: {error}")

    def _score(self, job: ClipJob) -> ClipScores:
        from ..engine.analysis import analyze  # noqa: PLC0415

        started = time.perf_counter()
        # scores come from the reference steps, which do not use the tuned aligner's second, silence-free pass
        result = analyze(self.model, job.clip.audio, text=job.clip.text, without_silence=False)
        analysed = time.perf_counter()
        shape = result.shape
        head_totals = None
        if job.score_heads:
            head_totals = np.zeros((*shape, len(TOTALS_FIELDS)))
            for layer in range(shape[0]):
                for head in range(shape[1]):
                    head_totals[layer, head] = self._totals(result, HeadSet.from_pairs([(layer, head)], shape), job)
        set_totals = np.array([self._totals(result, heads, job) for heads in job.sets]).reshape(-1, len(TOTALS_FIELDS))
        return ClipScores(job.clip.id, result.duration, shape, HeadSet(result.alignment_heads).to_dump().decode("ascii"),
                          head_totals, set_totals, analysed - started, time.perf_counter() - analysed)

    def _totals(self, result, heads: HeadSet, job: ClipJob) -> np.ndarray:
        _, words = align_result(result, heads, self.options)
        return boundary_totals([boundary_errors(words, job.clip.reference)])
