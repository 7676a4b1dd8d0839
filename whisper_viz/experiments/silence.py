"""Silence experiments: insert silence (or quiet noise) into a clip and measure how far word timings move.

Every variant is aligned in forced mode on the same transcript as the original, so word i of a
variant is word i of the original. A word after an insertion point should move by exactly the
silence inserted before it; the measured shift (variant minus original, for starts and ends) minus
that expected shift is the alignment error the silence caused, per head set or preset.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..alignment.presets import PRESETS, REFERENCE, align_words
from ..constants import SAMPLE_RATE
from ..engine.analysis import analyze
from ..engine.audio import load_audio
from ..errors import AudioError
from ..results import AnalysisResult, WordTiming

OFFICIAL = "official"  # label of the model's official heads (the words `analyze` returns)
DEFAULT_DURATIONS = (0.0, 2.0, 7.0, 13.0)  # seconds of silence per variant
BROKEN_SECONDS = 0.5  # a word whose start or end is this far from its expected place counts as misplaced
MAX_INSERT_SECONDS = 600.0  # refuse absurd durations before allocating them


@dataclass(frozen=True)
class SilenceOptions:
    """Where and what to insert; one variant per duration."""

    durations: tuple[float, ...] = DEFAULT_DURATIONS  # seconds inserted at every point, one variant each
    at: tuple[float, ...] = ()  # insertion points, seconds into the original
    after_words: tuple[int, ...] = ()  # or: after these word numbers (from 1), at their end in the original
    noise_db: float | None = None  # None: digital silence; else Gaussian noise of this RMS level (dBFS)
    seed: int = 0  # noise seed, so variants are reproducible
    heads: tuple[str, ...] = (OFFICIAL,)  # head sets or preset names to compare ("official", "tuned", "3:1,3:2")


@dataclass(frozen=True)
class WordShift:
    """How far one word moved in one variant, for one head set."""

    heads: str  # head-set label
    duration: float  # seconds of silence inserted at each point in this variant
    number: int  # word number, from 1
    word: str
    after: int  # insertion points before this word
    expected: float  # seconds the word should move: duration * after
    start_shift: float  # variant start - original start (seconds)
    end_shift: float  # variant end - original end (seconds)
    original_start: float  # seconds, in the original
    original_end: float
    start: float  # seconds, in the variant
    end: float

    @property
    def start_error(self) -> float:
        return self.start_shift - self.expected

    @property
    def end_error(self) -> float:
        return self.end_shift - self.expected

    @property
    def error(self) -> float:
        """The larger of the start and end errors, in absolute seconds."""
        return max(abs(self.start_error), abs(self.end_error))


@dataclass(frozen=True)
class SweepPoint:
    """Summary of one (head set, duration) cell of a sweep."""

    heads: str
    duration: float  # seconds inserted at each point
    mean_abs_error: float  # seconds, over the starts and ends of all words
    max_abs_error: float  # seconds
    misplaced: int  # words with a start or end more than BROKEN_SECONDS off
    words: int
    seconds: float  # length of the variant audio
    windows: int  # 30 s windows the variant was aligned in

    @property
    def broken(self) -> bool:
        return self.misplaced > 0


@dataclass(frozen=True, eq=False)
class SilenceVariant:
    """One modified clip, its forced analysis and its word timings per head set."""

    duration: float  # seconds inserted at each point
    points: tuple[float, ...]  # insertion points, seconds into the original
    audio: np.ndarray = field(repr=False)  # float32 16 kHz
    result: AnalysisResult = field(repr=False)
    words: dict[str, tuple[WordTiming, ...]] = field(repr=False)  # head label -> word timings


@dataclass(frozen=True, eq=False)
class SilenceExperiment:
    """The original clip, every variant and the per-word shifts."""

    options: SilenceOptions
    text: str  # the transcript every variant was aligned to
    points: tuple[float, ...]  # insertion points used, seconds into the original (sorted)
    original: SilenceVariant
    variants: tuple[SilenceVariant, ...]
    shifts: tuple[WordShift, ...]

    @property
    def nbytes(self) -> int:
        """Bytes of the captures and audio it holds (what a session's memory budget counts)."""
        return sum(v.result.nbytes + v.audio.nbytes for v in (self.original, *self.variants))

    def sweep(self) -> tuple[SweepPoint, ...]:
        """Error summary per (head set, duration), in the order of options.heads then durations."""
        out = []
        for label in self.options.heads:
            for variant in self.variants:
                rows = [s for s in self.shifts if s.heads == label and s.duration == variant.duration]
                errors = np.array([[s.start_error, s.end_error] for s in rows]).reshape(-1)
                out.append(SweepPoint(
                    heads=label, duration=variant.duration,
                    mean_abs_error=float(np.abs(errors).mean()) if errors.size else 0.0,
                    max_abs_error=float(np.abs(errors).max()) if errors.size else 0.0,
                    misplaced=int(sum(s.error > BROKEN_SECONDS for s in rows)), words=len(rows),
                    seconds=len(variant.audio) / SAMPLE_RATE, windows=len(variant.result.windows)))
        return tuple(out)

    def to_dict(self) -> dict:
        """JSON-ready record: options, insertion points, per-word shifts and the sweep summary."""
        return {
            "text": self.text,
            "points": list(self.points),
            "durations": list(self.options.durations),
            "noise_db": self.options.noise_db,
            "heads": list(self.options.heads),
            "shifts": [{"heads": s.heads, "duration": s.duration, "number": s.number, "word": s.word,
                        "expected": round(s.expected, 4), "start_shift": round(s.start_shift, 4),
                        "end_shift": round(s.end_shift, 4), "start_error": round(s.start_error, 4),
                        "end_error": round(s.end_error, 4), "original_start": s.original_start,
                        "original_end": s.original_end, "start": s.start, "end": s.end} for s in self.shifts],
            "sweep": [{"heads": p.heads, "duration": p.duration, "mean_abs_error": round(p.mean_abs_error, 4),
                       "max_abs_error": round(p.max_abs_error, 4), "misplaced": p.misplaced, "words": p.words,
                       "seconds": round(p.seconds, 4), "windows": p.windows} for p in self.sweep()],
        }


# --- audio arithmetic ----------------------------------------------------------------------------
def seconds_to_samples(seconds: float) -> int:
    """Nearest whole 16 kHz sample to a time in seconds."""
    return int(round(float(seconds) * SAMPLE_RATE))


def filler(n_samples: int, noise_db: float | None = None, seed: int = 0) -> np.ndarray:
    """float32 (n_samples,): zeros, or seeded Gaussian noise whose RMS is `noise_db` dBFS."""
    if noise_db is None:
        return np.zeros(n_samples, np.float32)
    if not np.isfinite(noise_db) or noise_db > 0:
        raise AudioError(f"noise level must be a finite dBFS value at or below 0 (e.g. -60), got {noise_db!r}")
    rms = 10.0 ** (noise_db / 20.0)
    return (np.random.default_rng(seed).standard_normal(n_samples) * rms).astype(np.float32)


def insert_silence(audio: np.ndarray, at: float | tuple[float, ...], duration: float,
                   noise_db: float | None = None, seed: int = 0) -> np.ndarray:
    """Insert `duration` seconds of silence (or noise) at each time in `at` (seconds into `audio`).

    `audio` is float32 16 kHz (samples,). Every point is rounded to the nearest sample of the
    original, each insertion is round(duration * 16000) samples, and the original samples are kept
    bit for bit: out[:k] == audio[:k] and the rest follows after the inserted samples.
    """
    audio = np.asarray(audio, np.float32)
    if audio.ndim != 1:
        raise AudioError(f"insert_silence needs mono samples (samples,), got shape {audio.shape}")
    points = sorted((at,) if np.isscalar(at) else tuple(at))
    duration = float(duration)
    if not np.isfinite(duration) or duration < 0 or duration > MAX_INSERT_SECONDS:
        raise AudioError(f"silence duration must be between 0 and {MAX_INSERT_SECONDS:g} s, got {duration!r}")
    length = len(audio) / SAMPLE_RATE
    for p in points:
        if not (0.0 <= p <= length):
            raise AudioError(f"insertion point {p:g} s lies outside the audio (0 to {length:.3f} s)")
    n_insert = seconds_to_samples(duration)
    cuts = [min(seconds_to_samples(p), len(audio)) for p in points]
    pieces, previous = [], 0
    for i, cut in enumerate(cuts):
        pieces += [audio[previous:cut], filler(n_insert, noise_db, seed + i)]
        previous = cut
    pieces.append(audio[previous:])
    return np.concatenate(pieces)


def insertion_points(words: tuple[WordTiming, ...], at: tuple[float, ...] = (),
                     after_words: tuple[int, ...] = ()) -> tuple[float, ...]:
    """Sorted insertion times (seconds): the given times plus the end of each word number (from 1) given."""
    points = [float(p) for p in at]
    for number in after_words:
        if not (1 <= number <= len(words)):
            raise AudioError(f"there is no word {number}: the transcript has {len(words)} words, numbered from 1")
        points.append(words[number - 1].end)
    if not points:
        raise AudioError("say where to insert the silence: give times in seconds or word numbers (from 1)")
    return tuple(sorted(float(p) for p in points))


# --- the experiment ------------------------------------------------------------------------------
def words_for(result: AnalysisResult, label: str) -> tuple[WordTiming, ...]:
    """Word timings of `result` for a head-set label: "official", a preset name or any head spelling."""
    if label == OFFICIAL:
        return result.words
    if label in PRESETS:
        return align_words(result, preset=label)
    return align_words(result, heads=label)


def window_view(result: AnalysisResult, label: str, window: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matrix float32 (tokens, frames), text_indices, time_indices) that DTW used in one window for a label.

    A preset name gives that preset's matrix and path (the tuned preset's lag-shifted matrix and
    silence-aware path); any other label gives the reference steps on those heads.
    """
    preset = PRESETS.get(label, REFERENCE)
    heads = None if label in PRESETS else label
    aligned = preset.align(result, heads)[window]
    return aligned.matrix, aligned.text_indices, aligned.time_indices


def _analyze_variant(model, audio, text, language, duration, points, labels, limits=None) -> SilenceVariant:
    result = analyze(model, audio, language=language, text=text, limits=limits)
    return SilenceVariant(duration, points, audio, result, {label: words_for(result, label) for label in labels})


def _shifts(original: SilenceVariant, variant: SilenceVariant, labels, after_counts) -> list[WordShift]:
    rows = []
    for label in labels:
        base, moved = original.words[label], variant.words[label]
        if len(base) != len(moved):  # forced mode keeps the words; a mismatch means the tokenizer split differently
            raise AudioError(f"the {variant.duration:g} s variant has {len(moved)} words, the original {len(base)}")
        for i, (a, b) in enumerate(zip(base, moved)):
            expected = variant.duration * after_counts[i]
            rows.append(WordShift(label, variant.duration, i + 1, a.word, int(after_counts[i]), float(expected),
                                  float(b.start - a.start), float(b.end - a.end), float(a.start), float(a.end),
                                  float(b.start), float(b.end)))
    return rows


def run_silence_experiment(model, audio, options: SilenceOptions, text: str | None = None,
                           language: str | None = None, progress=None, limits=None) -> SilenceExperiment:
    """Insert silence per `options` and align the original and every variant on the same transcript.

    `audio`: path, bytes or float32 16 kHz samples. `text`: the transcript; None recognises it from
    the original first. `progress(done, total)` is called after each forced run, for UIs. `limits`
    (an AnalysisLimits) bounds each analysis.
    Words are numbered from 1; a word is after a point given as word number n when its number is
    larger than n, and after a point given in seconds when its original midpoint is past it.
    """
    samples = load_audio(audio)
    labels = tuple(dict.fromkeys((OFFICIAL, *options.heads)))
    if text is None:
        text = analyze(model, samples, language=language, limits=limits).text
        if not text:
            raise AudioError("no speech was recognised in the original; pass the transcript with text=")
    total = 1 + len(options.durations)
    original = _analyze_variant(model, samples, text, language, 0.0, (), labels, limits)
    if progress:
        progress(1, total)
    words = original.words[OFFICIAL]
    points = insertion_points(words, tuple(options.at), tuple(options.after_words))
    after_counts = [sum(number > n for n in options.after_words) + sum(p < (w.start + w.end) / 2 for p in options.at)
                    for number, w in enumerate(words, start=1)]
    variants, shifts = [], []
    for n, duration in enumerate(options.durations, start=2):
        modified = insert_silence(samples, points, duration, options.noise_db, options.seed)
        variant = _analyze_variant(model, modified, text, language, float(duration), points, labels, limits)
        variants.append(variant)
        shifts += _shifts(original, variant, labels, after_counts)
        if progress:
            progress(n, total)
    options = replace(options, heads=labels)
    return SilenceExperiment(options, text, points, original, tuple(variants), tuple(shifts))
