"""Word-boundary accuracy against exact reference timings, and the benchmark dataset's reader.

The metrics behind bench/accuracy and the tuned preset: start and end mean absolute errors, the
share of boundaries within 20/50/100 ms, and the worst error of a word that follows a long pause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .references import ReferenceWord, match_words
from .results import AnalysisResult

WITHIN_SECONDS = (0.020, 0.050, 0.100)  # tolerances reported as shares of boundaries
PAUSE_LIMIT_SECONDS = 0.5  # the goal: no word after a long pause further off than this


@dataclass(frozen=True)
class BoundaryAccuracy:
    """Errors of predicted word starts and ends against references, over all scored words."""

    words: int  # reference words matched to a predicted word and scored
    reference_words: int  # reference words in all
    start_mae: float  # seconds, mean |predicted start - true start|
    end_mae: float  # seconds
    within: tuple[float, ...]  # share of boundaries (starts and ends) within each of WITHIN_SECONDS
    pause_max_error: float  # seconds: worst start or end error of a word after a long pause (0 if none)
    pause_words: int  # words after a long pause that were scored

    @property
    def mae(self) -> float:
        """Mean absolute error over starts and ends together (seconds)."""
        return (self.start_mae + self.end_mae) / 2

    @property
    def coverage(self) -> float:
        return self.words / self.reference_words if self.reference_words else 0.0


def boundary_errors(predicted: Sequence, reference: Sequence[ReferenceWord],
                    after_pause: Sequence[bool] = ()) -> tuple[np.ndarray, np.ndarray]:
    """float64 (matched, 2): (start, end) of predicted - true in seconds for words matched by
    `references.match_words`, and bool (matched,): whether each one follows a long pause."""
    predicted = list(predicted)
    pairs = match_words(predicted, reference)
    errors = np.array([[predicted[i].start - reference[j].start, predicted[i].end - reference[j].end]
                       for i, j in pairs], np.float64).reshape(-1, 2)  # (matched, start/end)
    flags = np.array([bool(after_pause[j]) if after_pause else False for _, j in pairs], bool)
    return errors, flags


def summarize_errors(errors: Sequence[np.ndarray], after_pause: Sequence[np.ndarray],
                     reference_words: int) -> BoundaryAccuracy:
    """Pool per-clip `boundary_errors` into one BoundaryAccuracy."""
    e = np.concatenate([np.reshape(x, (-1, 2)) for x in errors]) if len(errors) else np.zeros((0, 2))
    flags = np.concatenate([np.asarray(x, bool) for x in after_pause]) if len(after_pause) else np.zeros(0, bool)
    if not len(e):
        nan = float("nan")
        return BoundaryAccuracy(0, reference_words, nan, nan, tuple(nan for _ in WITHIN_SECONDS), 0.0, 0)
    size = np.abs(e)  # (words, start/end)
    within = tuple(float((size <= tol + 1e-9).mean()) for tol in WITHIN_SECONDS)
    pause = size[flags]
    return BoundaryAccuracy(len(e), reference_words, float(size[:, 0].mean()), float(size[:, 1].mean()), within,
                            float(pause.max()) if pause.size else 0.0, int(flags.sum()))


def score_words(predicted: Sequence, reference: Sequence[ReferenceWord],
                after_pause: Sequence[bool] = ()) -> BoundaryAccuracy:
    """BoundaryAccuracy of one clip's predicted words (objects with word, start, end)."""
    errors, flags = boundary_errors(predicted, reference, after_pause)
    return summarize_errors([errors], [flags], len(reference))


# --- the benchmark dataset -----------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkClip:
    id: str
    path: Path  # 16 kHz FLAC
    text: str  # the transcript, for forced alignment
    words: tuple[ReferenceWord, ...]  # true voiced spans, seconds
    after_pause: tuple[bool, ...]  # per word: True when a long pause comes before it
    pause: float | None  # seconds of the long pause between its sentences, None if it has none


def load_split(folder: str | Path) -> tuple[BenchmarkClip, ...]:
    """Read a split written by bench/accuracy/make_dataset.py (manifest.json + FLAC files)."""
    folder = Path(folder)
    clips = []
    for c in json.loads((folder / "manifest.json").read_text())["clips"]:
        pause = c.get("pause_seconds")
        words = tuple(ReferenceWord(w["word"], float(w["start"]), float(w["end"])) for w in c["words"])
        flags = tuple(bool(pause) and w["sentence"] > 0 for w in c["words"])
        clips.append(BenchmarkClip(c["id"], folder / c["file"], c["text"], words, flags, pause))
    return tuple(clips)


def evaluate(align, results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip]) -> BoundaryAccuracy:
    """Pool the accuracy of `align(result) -> words` over clips (results in the same order)."""
    scored = [boundary_errors(align(r), c.words, c.after_pause) for r, c in zip(results, clips)]
    return summarize_errors([e for e, _ in scored], [f for _, f in scored], sum(len(c.words) for c in clips))
