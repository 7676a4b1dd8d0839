"""Silence inserted anywhere: 2, 7 and 13 s of digital zeros inside continuous speech and at existing pauses.

For each clip with word-level reference times, one point inside continuous speech (two words with under
CONTINUOUS_GAP_SECONDS between them per the reference) and one at a pause (a reference gap of at least
PAUSE_GAP_SECONDS) are chosen; the clip and its variants are analysed in forced and recognition mode. A word's
error is how far the aligner moved it against its own alignment of the original plus the inserted seconds
(a word after the point should move by exactly that, one before it not at all): the silence experiment's
measure (whisper_viz/experiments/silence.py). Recognition-mode words are paired by text (match_words).

A second measure forgives a word that the inserted silence moved to its true place: its error is the smaller
of the first and its distance from the reference times (plus the inserted seconds after the point). At a
boundary with no gap the silence shows the aligner which side a word is on; a word it had put 150 ms early,
across the point, is right after the insertion, not broken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from analyses import cached_analysis, language_for

from whisper_viz.engine.audio import load_audio
from whisper_viz.evaluation.references import match_words
from whisper_viz.experiments.silence import BROKEN_SECONDS, insert_silence

DURATIONS = (2.0, 7.0, 13.0)  # seconds inserted
CONTINUOUS_GAP_SECONDS = 0.05  # reference gap under which two words are in continuous speech
PAUSE_GAP_SECONDS = 0.25  # reference gap from which two words have a pause between them
EDGE_SECONDS = 0.5  # points closer than this to the clip's first or last word are not used


@dataclass(frozen=True)
class SilenceErrors:
    """Shift errors of every word over the variants of one (place, mode) cell."""

    errors: np.ndarray  # float64 (words,): the larger of each word's start and end error, seconds
    forgiven: np.ndarray  # float64 (words,): the same, or the error against the reference times where smaller

    @property
    def off(self) -> int:
        """Words more than BROKEN_SECONDS from where they should be."""
        return int((self.errors > BROKEN_SECONDS).sum())

    @property
    def off_forgiven(self) -> int:
        """Words more than BROKEN_SECONDS both from where they should be and from their true place."""
        return int((self.forgiven > BROKEN_SECONDS).sum())

    def percentile(self, q: float, forgiven: bool = False) -> float:
        values = self.forgiven if forgiven else self.errors
        return float(np.percentile(values, q)) if len(values) else math.nan


def insertion_points(clip) -> dict[str, float]:
    """{"inside": t, "pause": t} (seconds; either may be missing) between reference words of `clip`."""
    words = [w for w in clip.words if math.isfinite(w.start) and math.isfinite(w.end)]
    if len(words) < len(clip.words) or len(words) < 3:
        return {}  # only clips where every word is timed
    points = {}
    for a, b in zip(words, words[1:]):
        if a.end < words[0].start + EDGE_SECONDS or b.start > words[-1].end - EDGE_SECONDS:
            continue
        gap = b.start - a.end
        if gap < CONTINUOUS_GAP_SECONDS:
            points.setdefault("inside", (a.end + b.start) / 2)
        elif gap >= PAUSE_GAP_SECONDS:
            points.setdefault("pause", (a.end + b.start) / 2)
    return points


def _moved_error(expected, after, at: float, seconds: float) -> float:
    """How far `after` (a word of the variant) is from `expected` (a word of the original, or the reference),
    moved by the inserted `seconds` when its middle follows the point `at`: the larger of start and end."""
    shift = seconds if (expected.start + expected.end) / 2 > at else 0.0
    return max(abs(after.start - shift - expected.start), abs(after.end - shift - expected.end))


def _shift_errors(original: Sequence, variant: Sequence, at: float, seconds: float, forced: bool,
                  reference: Sequence) -> list[tuple[float, float]]:
    """(error, forgiven error) of every word of `variant` paired with one of `original` (module docstring)."""
    pairs = zip(range(len(original)), range(len(variant))) if forced else match_words(variant, original)
    truth = dict(match_words(original, reference))
    errors = []
    for i, j in (pairs if forced else ((j, i) for i, j in pairs)):
        error = _moved_error(original[i], variant[j], at, seconds)
        true = reference[truth[i]] if i in truth else None
        timed = true is not None and math.isfinite(true.start) and math.isfinite(true.end)
        errors.append((error, min(error, _moved_error(true, variant[j], at, seconds)) if timed else error))
    return errors


def silence_errors(model, clips, aligners: dict[str, Callable], log=print) -> dict[tuple[str, str, str], SilenceErrors]:
    """(aligner, place "inside"|"pause", mode) -> SilenceErrors over every clip, point and duration."""
    collected: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for clip in clips:
        language = language_for(model, clip.language)
        audio = load_audio(clip.path)
        for place, at in insertion_points(clip).items():
            for mode in ("forced", "recognition"):
                original = cached_analysis(model, audio, mode, clip.text, language)
                for seconds in DURATIONS:
                    variant = cached_analysis(model, insert_silence(audio, at, seconds), mode, clip.text, language)
                    if original is None or variant is None:
                        continue
                    for name, align in aligners.items():
                        errors = _shift_errors(align(original), align(variant), at, seconds, mode == "forced",
                                               clip.words)
                        collected.setdefault((name, place, mode), []).extend(errors)
        log(f"silence: {clip.id} done")
    return {key: SilenceErrors(np.array([e for e, _ in values]), np.array([f for _, f in values]))
            for key, values in collected.items()}
