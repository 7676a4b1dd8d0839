"""The one word-boundary metric: how far predicted word starts and ends are from reference timings.

Every figure of word-timing error in whisper-viz comes from here: the app's A/B table and head scores,
head discovery, the CLI and the benchmarks in bench/. Words are matched by text (`references.match_words`);
reference phrases are split into words whose inner boundaries are unknown (NaN) and left out; starts and
ends are pooled: MAE = mean |error| over every known boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .references import ReferenceWord, match_words, split_phrases

WITHIN_SECONDS = (0.020, 0.050, 0.100)  # tolerances reported as shares of boundaries
ROUNDING_SLACK_SECONDS = 1e-9  # times are rounded to 10 ms: a 50 ms error must count as within 50 ms


@dataclass(frozen=True, eq=False)
class BoundaryErrors:
    """Signed errors of one clip's matched words."""

    errors: np.ndarray  # float64 (matched, 2): (start, end) predicted - true, seconds; NaN where the reference has no time
    after_pause: np.ndarray  # bool (matched,): the reference word follows a long pause
    reference_words: int  # words in the reference (phrases split)

    @property
    def matched(self) -> int:
        return len(self.errors)


@dataclass(frozen=True)
class BoundaryAccuracy:
    """Word-boundary accuracy pooled over one or more clips (seconds; NaN when nothing was scored)."""

    words: int  # reference words matched to a predicted word
    reference_words: int  # reference words in all
    boundaries: int  # known starts and ends scored
    start_mae: float  # mean |predicted start - true start|
    end_mae: float  # mean |predicted end - true end|
    mae: float  # mean |error| over starts and ends together
    within: tuple[float, ...]  # share of boundaries within each of WITHIN_SECONDS
    pause_max_error: float  # worst start or end error of a word after a long pause (0 if none)
    pause_words: int  # words after a long pause that were scored

    @property
    def within_20ms(self) -> float:
        return self.within[0]

    @property
    def within_50ms(self) -> float:
        return self.within[1]

    @property
    def within_100ms(self) -> float:
        return self.within[2]

    @property
    def coverage(self) -> float:
        """Share of reference words that were matched and scored."""
        return self.words / self.reference_words if self.reference_words else 0.0


def boundary_errors(predicted: Sequence, reference: Sequence[ReferenceWord],
                    after_pause: Sequence[bool] = ()) -> BoundaryErrors:
    """Errors of `predicted` (objects with word, start, end) against `reference`.

    after_pause: per reference word, whether a long pause comes before it (a split phrase passes its
    flag to its first word).
    """
    predicted = list(predicted)
    flags = list(after_pause) or [False] * len(reference)
    split, split_flags = [], []
    for item, flag in zip(reference, flags):
        parts = split_phrases([item])
        split.extend(parts)
        split_flags.extend([bool(flag)] + [False] * (len(parts) - 1))
    pairs = match_words(predicted, split)
    errors = np.array([[predicted[i].start - split[j].start, predicted[i].end - split[j].end] for i, j in pairs],
                      np.float64).reshape(-1, 2)  # (matched, start/end)
    return BoundaryErrors(errors, np.array([split_flags[j] for _, j in pairs], bool), len(split))


def summarize(clips: Sequence[BoundaryErrors]) -> BoundaryAccuracy:
    """Pool per-clip `boundary_errors` into one BoundaryAccuracy."""
    errors = np.concatenate([c.errors for c in clips]) if clips else np.zeros((0, 2))
    flags = np.concatenate([c.after_pause for c in clips]) if clips else np.zeros(0, bool)
    reference_words = sum(c.reference_words for c in clips)
    size = np.abs(errors)  # (words, start/end)
    known = size[np.isfinite(size)]
    nan = float("nan")
    if not known.size:
        return BoundaryAccuracy(len(errors), reference_words, 0, nan, nan, nan, tuple(nan for _ in WITHIN_SECONDS),
                                0.0, 0)
    within = tuple(share_within(known, tolerance) for tolerance in WITHIN_SECONDS)
    pause = size[flags]
    pause = pause[np.isfinite(pause)]
    return BoundaryAccuracy(len(errors), reference_words, int(known.size), _mean(size[:, 0]), _mean(size[:, 1]),
                            float(known.mean()), within, float(pause.max()) if pause.size else 0.0, int(flags.sum()))


def score_words(predicted: Sequence, reference: Sequence[ReferenceWord],
                after_pause: Sequence[bool] = ()) -> BoundaryAccuracy:
    """BoundaryAccuracy of one clip's predicted words (objects with word, start, end)."""
    return summarize([boundary_errors(predicted, reference, after_pause)])


def share_within(absolute_errors: np.ndarray, tolerance: float) -> float:
    """Share of `absolute_errors` (seconds) at or under `tolerance`, allowing for times rounded to 10 ms."""
    return float((np.asarray(absolute_errors) <= tolerance + ROUNDING_SLACK_SECONDS).mean())


def _mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


# --- the same metric in additive form, for corpora scored in pieces (clips, workers) ---------------------
TOTALS_FIELDS = ("abs_error_sum", "boundaries", *(f"within_{round(t * 1000)}ms" for t in WITHIN_SECONDS))


def boundary_totals(clips: Sequence[BoundaryErrors]) -> np.ndarray:
    """float64 (len(TOTALS_FIELDS),): sum of |error| (seconds), known boundaries, and those within each of
    WITHIN_SECONDS. Totals add up over clips; totals_accuracy turns them into summarize's MAE and shares."""
    errors = np.concatenate([c.errors for c in clips]) if clips else np.zeros((0, 2))
    known = np.abs(errors[np.isfinite(errors)])
    within = [(known <= t + ROUNDING_SLACK_SECONDS).sum() for t in WITHIN_SECONDS]
    return np.array([known.sum(), known.size, *within], np.float64)


def totals_accuracy(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(MAE seconds (...), within shares (..., len(WITHIN_SECONDS))) of totals (..., len(TOTALS_FIELDS));
    NaN where no boundary was scored."""
    totals = np.asarray(totals, np.float64)
    count = totals[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(count > 0, 1.0 / np.where(count > 0, count, 1.0), np.nan)
    return totals[..., 0] * scale, totals[..., 2:] * scale[..., None]
