"""The "tuned" aligner: lag-corrected heads, a word path with pauses, word edges from the audio.

Every number here was chosen on the real-speech DEV split of bench/accuracy (bench/accuracy/tuning_search.py
re-derives them; tests/alignment/test_tuned.py checks a small re-derivation matches), never on its test split:
1. Heads and lags: each head's attention runs early or late by its own lag. Every selected head's normalized,
   median-filtered matrix is shifted by its lag (20 ms frames) before the mean, so the heads agree.
2. Word path (word_path.py): the spoken rows of each word in order, a pause allowed between words and at
   both ends, end-of-text last. A pause frame scores `pause_score + silence_gain * silence`, so silence (an
   inserted one, a natural pause) goes to pauses, and untranscribed sound (fillers, breaths, a cough) goes
   to a pause when no word's attention claims it. A word covers at least `min_seconds_per_letter` per
   letter, and one squeezed into that minimum right before a long silence whose following speech no word
   took is moved past the silence (the attention of a word after a long silence can leak into it). A word
   covers at most `max_word_seconds` plus `max_seconds_per_letter` per letter: one stretched over sound
   nobody transcribed (a lead-in, music, a long filler) is held to that many frames where its raw attention
   peaks, and the path is found again. Windows are aligned in order: where Whisper started a window inside
   the previous window's last word (its last timestamp fell early), the sound the window starts with, up to
   0.5 s, is left to that word and the window's first word starts after it.
3. Word edges: where a word meets a pause, its edge moves at 10 ms to where its voiced run ends (or starts),
   at most `max_edge_shift_frames` away; two words with no pause between them share the path's boundary.
4. Confidence: the word is aligned again with each half of the heads; the more the three alignments disagree
   on its edges, the less sure the aligner is (confidence.py).
5. Digital silence: a clip holding long runs of it was analysed again without them (silence_cut.py); its
   words are timed there by steps 1-4 and mapped back, so inserted silence cannot pull a word across it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..constants import SAMPLE_RATE, SECONDS_PER_ENCODER_FRAME
from ..heads import HeadSet, parse_heads
from ..results import AnalysisResult, WindowCapture, WordTiming
from .confidence import CONFIDENCE_CENTER, CONFIDENCE_SLOPE, word_confidence
from .options import AlignmentOptions
from .silence_cut import retime_words
from .voicing import EDGE_HOP, Loudness, loudness, noisiness
from .window import WindowAlignment, align_window, head_matrices
from .word_path import PAUSE, WordPath, word_path

EDGE_SECONDS = EDGE_HOP / SAMPLE_RATE  # 10 ms: the grid word edges are placed on
FRAMES_PER_EDGE = round(SECONDS_PER_ENCODER_FRAME / EDGE_SECONDS)  # 10 ms frames per 20 ms encoder frame
MIN_WORD_SECONDS = 0.01  # shortest word the edge placement leaves
LONG_PAUSE_FRAMES = 25  # a pause of this many silent frames (0.5 s) can hide a squeezed word before it ...
UNCLAIMED_FRAMES = 8  # ... when this much voiced audio (160 ms) right after it went to no word
SQUEEZE_SLACK_FRAMES = 2  # a word within this of its minimum duration counts as squeezed
MAX_REPAIRS = 3  # times the path is found again with squeezed words moved past their pause
MAX_CARRY_FRAMES = 25  # longest tail (0.5 s) of the previous window's last word that a window can start in


@dataclass(frozen=True)
class TunedSettings:
    """How pauses score and how far word edges may move (chosen on the real-speech dev split)."""

    pause_score: float = 0.5  # a pause frame's score in speech (z-score units of the attention matrix)
    silence_gain: float = 8.0  # added to it in silence (times `Loudness.silence`, 0..1)
    noise_gain: float = 4.0  # added to it in sound that is not speech (times `noisiness`, 0..1, where not silent)
    max_edge_shift_frames: int = 30  # 10 ms frames a word edge may move to the end of its voiced run
    use_end_of_text: bool = True  # score the end-of-text row after the last pause
    confidence_center: float = CONFIDENCE_CENTER  # seconds of head-half disagreement at confidence one half
    confidence_slope: float = CONFIDENCE_SLOPE  # per second of disagreement
    min_seconds_per_letter: float = 0.025  # a word covers at least this per letter or digit (never squeezed)
    max_word_seconds: float = 0.0  # a word covers at most this plus `max_seconds_per_letter` per letter (0: no limit)
    max_seconds_per_letter: float = 0.0
    lag_offset: int = 0  # encoder frames added to every head's lag (the search's correction of the median lags)
    use_silence_cut: bool = True  # time words on the clip without its digital silence, where `analyze` made one


@dataclass(frozen=True)
class TunedHeads:
    """What the search found for one model: heads, each head's lag, and the settings of the other steps."""

    official: str  # the model's official-heads dump, which identifies the model
    heads: tuple[tuple[int, int], ...]  # (layer, head), lowest spread first
    lags: tuple[int, ...]  # encoder frames (20 ms) each head's attention runs late (+) or early (-)
    settings: TunedSettings = TunedSettings()

    def lag_of(self) -> dict[tuple[int, int], int]:
        return dict(zip(self.heads, self.lags))


# written by `python bench/accuracy/tuning_search.py --model NAME` on the real-speech dev split
TUNED_HEADS: dict[str, TunedHeads] = {
    "tiny.en": TunedHeads(official="ABzY8000000s~`U00Bk>$p{7v037`oCl~+#00",
                          heads=((3, 0), (3, 4), (2, 0), (1, 0), (2, 5), (3, 1), (3, 2), (3, 5)),
                          lags=(9, 4, 4, 12, 2, 10, -2, -8),
                          settings=TunedSettings(pause_score=0.5, silence_gain=16.0, min_seconds_per_letter=0.035,
                                                 max_word_seconds=0.5, max_seconds_per_letter=0.08,
                                                 lag_offset=2, confidence_center=0.108, confidence_slope=6.37)),
    "base": TunedHeads(official="ABzY8000000s~`UzyTQH3`Q^yNP!>##QT-<FaQ7m",
                       heads=((5, 7), (5, 3), (4, 1), (5, 6), (4, 0), (5, 0), (3, 3), (5, 4), (5, 5), (4, 7), (5, 1)),
                       lags=(0, 3, 4, 0, 6, 9, 6, -1, 1, 0, -5),
                       settings=TunedSettings(pause_score=1.0, silence_gain=16.0, min_seconds_per_letter=0.035,
                                              max_word_seconds=0.5, max_seconds_per_letter=0.08,
                                              lag_offset=3, confidence_center=0.122, confidence_slope=8.43)),
}
TUNED_SETTINGS = TunedSettings()  # for models the search has not seen
TUNED_OPTIONS = AlignmentOptions(normalization="reference", medfilt_width=7, postprocess=False)
DESCRIPTION = ("whisper-viz tuned: each head's lag removed, a word path that leaves silence and untranscribed "
               "sound to pauses, word edges placed on the voiced audio, a confidence per word.")


def tuned_heads_for(result: AnalysisResult) -> TunedHeads | None:
    """The search's heads for the model behind `result` (by name, else by its official heads)."""
    if result.model_name in TUNED_HEADS:
        return TUNED_HEADS[result.model_name]
    official = HeadSet(result.alignment_heads)
    for entry in TUNED_HEADS.values():
        try:
            if HeadSet.from_dump(entry.official, *result.shape) == official:
                return entry
        except ValueError:  # another model's shape
            continue
    return None


def tuned_heads(result: AnalysisResult):
    """The heads the tuned preset uses for `result`: the search's, else the official ones."""
    tuned = tuned_heads_for(result)
    return tuned.heads if tuned else "official"


def lagged_matrix(capture: WindowCapture, heads: HeadSet, options: AlignmentOptions,
                  lag_of: dict[tuple[int, int], int]) -> np.ndarray:
    """float32 (tokens, frames): the mean of each head's matrix shifted by its lag (out[t] = m[t + lag])."""
    per_head = head_matrices(capture, heads, options)  # (k, tokens, frames), layer-major
    n_frames = per_head.shape[-1]
    shifted = [m[:, np.clip(np.arange(n_frames) + lag_of.get(p, 0), 0, n_frames - 1)]
               for m, p in zip(per_head, heads.pairs())]
    return np.mean(shifted, axis=0).astype(np.float32)


def spoken_rows(capture: WindowCapture, rows: Sequence[int]) -> list[int]:
    """The rows of a word whose tokens hold a letter or digit (all rows if none do): punctuation is not heard."""
    spoken = [r for r in rows if any(ch.isalnum() for ch in capture.tokens[r].text)]
    return spoken or list(rows)


def _edges(frames: np.ndarray, path: WordPath, offset: float, fine: Loudness, limits: tuple[int, int],
           settings: TunedSettings) -> tuple[int, int]:
    """(start, end) in 10 ms frames of the whole clip for a word that covers `frames` (20 ms, of the window).

    Where the word meets a pause (or a window edge), the edge moves to where its voiced run ends or starts;
    it never crosses `limits` (the neighbouring words' path edges, 10 ms frames).
    """
    first = round(offset / EDGE_SECONDS)
    start, end = first + frames[0] * FRAMES_PER_EDGE, first + (frames[-1] + 1) * FRAMES_PER_EDGE
    voiced, n = fine.voiced, len(fine.voiced)
    end = min(end, n)
    start = min(start, end - 1)
    last = len(path.owner) - 1
    if frames[-1] == last or path.owner[frames[-1] + 1] < 0:  # a pause (or end-of-text) follows
        if voiced[end - 1]:
            stop = min(n, end + settings.max_edge_shift_frames, limits[1])
            while end < stop and voiced[end]:
                end += 1
        else:
            inside = np.flatnonzero(voiced[start:end])
            end = start + inside[-1] + 1 if len(inside) else end
    if frames[0] == 0 or path.owner[frames[0] - 1] == PAUSE:
        if voiced[start]:
            stop = max(0, start - settings.max_edge_shift_frames, limits[0])
            while start > stop and voiced[start - 1]:
                start -= 1
        else:
            inside = np.flatnonzero(voiced[start:end])
            start = start + inside[0] if len(inside) else start
    return start, max(end, start + 1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, end)] of every run of True in bool (n,) `mask`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(int)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _squeezed_before_pauses(path: WordPath, min_frames: list, voiced: np.ndarray, silent: np.ndarray) -> dict[int, int]:
    """{word: first frame it may take} for words squeezed into their minimum duration right before a long
    silent pause whose following voiced audio no word took: their sound is after the pause, not before it."""
    owner, moved = path.owner, {}
    outside = _runs(owner < 0)
    for start, end in outside:  # every run of frames that no word holds
        long = [(a, b) for a, b in _runs(silent[start:end]) if b - a >= LONG_PAUSE_FRAMES]
        if start == 0 or not long:
            continue
        after = start + long[0][1]  # the frames of the run that follow its first long silence
        word = int(owner[start - 1])
        if (voiced[after:end].sum() >= UNCLAIMED_FRAMES
                and len(path.frames_of(word)) <= max(min_frames[word], 1) + SQUEEZE_SLACK_FRAMES):
            moved[word] = int(after)
    return moved


def _stretched_words(path: WordPath, weights: np.ndarray, rows: list, max_frames: list) -> dict[int, tuple[int, int]]:
    """{word: (first, last) frame it may cover} for words stretched past their longest duration (over sound
    nobody transcribed: a lead-in, music, a filler). Such a word gets the run of `max_frames` frames between
    the previous word's end and the next word's end where its rows' raw attention `weights` (tokens, frames)
    is strongest: normalized per frame, the first word's rows stand out over any lead-in; the raw weights of
    a token peak where it is spoken."""
    limited, owner = {}, path.owner
    for word, longest in enumerate(max_frames):
        frames = path.frames_of(word)
        if not longest or len(frames) <= longest:
            continue
        before = np.flatnonzero((owner >= 0) & (owner < word))
        after = np.flatnonzero(owner == word + 1)
        low = int(before[-1]) + 1 if len(before) else 0
        high = int(after[-1]) + 1 if len(after) else len(owner)
        evidence = weights[rows[word]][:, low:high].max(axis=0)  # (high - low,)
        first = low + int(np.argmax(np.convolve(evidence, np.ones(longest), mode="valid")))
        limited[word] = (first, first + longest - 1)
    return limited


def _place(capture: WindowCapture, heads: HeadSet, options: AlignmentOptions, lag_of: dict, rows: list,
           min_frames: list, max_frames: list, pause_scores: np.ndarray, voiced: np.ndarray, silent: np.ndarray,
           fine: Loudness, settings: TunedSettings,
           carried: int = 0) -> tuple[np.ndarray, WordPath, list[tuple[int, int]]]:
    """Steps 1-3 with `heads`: (matrix (tokens, frames), word path, each word's (start, end) in 10 ms frames).

    voiced, silent: bool (frames,) of the window, for moving squeezed words past long pauses.
    max_frames: per word, the most frames it may keep (0: no limit).
    carried: the window's first frames that the previous window's last word holds; no word here starts in them."""
    matrix = lagged_matrix(capture, heads, options, lag_of)  # (tokens, frames)
    weights = capture.attention[heads.mask].mean(axis=0) if any(max_frames) else None  # (tokens, frames)
    end_row = len(matrix) - 1 if settings.use_end_of_text else None
    earliest, latest = [carried] + [0] * (len(rows) - 1), [None] * len(rows)
    path = word_path(matrix, rows, end_row, pause_scores, min_frames, earliest)
    if carried and (not path.feasible or any(not len(path.frames_of(i)) for i in range(len(rows)))):
        earliest = [0] * len(rows)  # the words do not fit after the carried frames: the window's own path
        path = word_path(matrix, rows, end_row, pause_scores, min_frames)
    for _ in range(MAX_REPAIRS):
        moved = _squeezed_before_pauses(path, min_frames, voiced, silent)
        stretched = _stretched_words(path, weights, rows, max_frames)
        if not moved and not stretched:
            break
        for word, frame in moved.items():
            earliest[word] = max(earliest[word], frame)
        for word, (first, last) in stretched.items():
            earliest[word] = max(earliest[word], first)
            latest[word] = last if latest[word] is None else min(latest[word], last)
        repaired = word_path(matrix, rows, end_row, pause_scores, min_frames, earliest, latest)
        if not repaired.feasible or any(not len(repaired.frames_of(i)) for i in range(len(rows))):
            break  # the words do not fit after the pause: keep the path as it was
        path = repaired
    spans = [path.frames_of(i) for i in range(len(rows))]
    first = round(capture.offset / EDGE_SECONDS)
    path_edges = [(first + s[0] * FRAMES_PER_EDGE, first + (s[-1] + 1) * FRAMES_PER_EDGE) for s in spans]
    edges = []
    for i, frames in enumerate(spans):
        limits = (path_edges[i - 1][1] if i else first + earliest[0] * FRAMES_PER_EDGE,
                  path_edges[i + 1][0] if i + 1 < len(spans) else len(fine.voiced))
        edges.append(_edges(frames, path, capture.offset, fine, limits, settings))
    return matrix, path, edges


def _window(capture: WindowCapture, heads: HeadSet, options: AlignmentOptions, lag_of: dict,
            coarse: Loudness, fine: Loudness, noise: np.ndarray | None, settings: TunedSettings,
            previous_end: float = 0.0) -> WindowAlignment:
    """One window aligned by the tuned steps (module docstring); step 4 aligns again with each half of the
    heads and rates every word by how far those two alignments and the full one disagree on its edges.

    previous_end: seconds where the previous window's last word ends. Whisper starts a window at the last
    timestamp it wrote, which can fall inside that word: when the previous word reaches past this window's
    start and the sound there ends within MAX_CARRY_FRAMES, that sound is the word's tail, not this
    window's first word."""
    aligned = align_window(capture, heads, options)  # words and token rows; times are replaced below
    if not aligned.words:
        return aligned
    n_tokens, n_frames = capture.attention.shape[2:]
    first = int(round(capture.offset / SECONDS_PER_ENCODER_FRAME))
    silence = np.ones(n_frames)  # frames past the audio's end are silent
    part = coarse.silence()[first: first + n_frames]
    silence[: len(part)] = part
    rows = [spoken_rows(capture, w.token_indices) for w in aligned.words]
    letters = [sum(ch.isalnum() for ch in w.word) for w in aligned.words]
    min_frames = [int(np.ceil(n * settings.min_seconds_per_letter / SECONDS_PER_ENCODER_FRAME)) for n in letters]
    max_frames = [max(int((settings.max_word_seconds + n * settings.max_seconds_per_letter)
                          / SECONDS_PER_ENCODER_FRAME), low + 1) if settings.max_word_seconds > 0 else 0
                  for n, low in zip(letters, min_frames)]
    pause_scores = settings.pause_score + settings.silence_gain * silence
    if noise is not None:  # sound that is not speech (a cough, a bang) is a pause's too
        noisy = np.zeros(n_frames)
        part = noise[first: first + n_frames]
        noisy[: len(part)] = part
        pause_scores = pause_scores + settings.noise_gain * noisy * (1 - silence)
    voiced, silent = silence == 0, silence >= 0.5
    tail = int(np.argmax(silent)) if silent.any() else n_frames  # frames of sound the window starts with
    carried = tail if previous_end > capture.offset and tail <= MAX_CARRY_FRAMES else 0
    place = lambda subset: _place(capture, subset, options, lag_of, rows, min_frames, max_frames, pause_scores,
                                  voiced, silent, fine, settings, carried)
    matrix, path, edges = place(heads)
    pairs = heads.pairs()
    halves = [place(HeadSet.from_pairs(pairs[i::2], heads.shape))[2] for i in (0, 1)] if len(pairs) >= 2 else []
    words = []
    for i, (word, (start, end)) in enumerate(zip(aligned.words, edges)):
        spread = max((abs(a[i][0] - b[i][0]) for a, b in itertools.combinations([edges, *halves], 2)), default=None)
        spread_end = max((abs(a[i][1] - b[i][1]) for a, b in itertools.combinations([edges, *halves], 2)), default=None)
        confidence = None if spread is None else word_confidence(max(spread, spread_end) * EDGE_SECONDS,
                                                                 settings.confidence_center, settings.confidence_slope)
        words.append(WordTiming(word.word, float(round(start * EDGE_SECONDS, 3)),
                                float(round(max(end * EDGE_SECONDS, start * EDGE_SECONDS + MIN_WORD_SECONDS), 3)),
                                word.probability, word.window, word.token_indices, confidence))
    on_rows = path.row >= 0
    text_indices, time_indices = path.row[on_rows], np.flatnonzero(on_rows)
    starts = np.full(n_tokens, np.nan)
    for row, frame in zip(text_indices[::-1], time_indices[::-1]):
        starts[row] = frame * SECONDS_PER_ENCODER_FRAME
    return WindowAlignment(capture.index, capture.offset, heads, options, matrix, text_indices, time_indices,
                           starts, tuple(words))


def align_tuned_windows(result: AnalysisResult, heads: HeadSet, options: AlignmentOptions, *,
                        lags: dict | None = None, settings: TunedSettings | None = None) -> tuple[WindowAlignment, ...]:
    """One WindowAlignment per window of `result` by the tuned steps; windows without words keep the
    reference steps' path over their end-of-text row.

    lags: (layer, head) -> frames; None = the search's lags for heads it picked, 0 for others.
    settings: None = the search's settings for this model (TUNED_SETTINGS for a model it has not seen).
    """
    tuned = tuned_heads_for(result)
    lag_of = (tuned.lag_of() if tuned else {}) if lags is None else lags
    settings = settings or (tuned.settings if tuned else TUNED_SETTINGS)
    if settings.lag_offset:  # the search's correction, added to every head's lag
        lag_of = {pair: lag_of.get(pair, 0) + settings.lag_offset for pair in heads.pairs()}
    coarse = loudness(result.audio)
    fine = loudness(result.audio, EDGE_HOP, threshold=coarse.threshold)
    noise = noisiness(result.audio) if settings.noise_gain else None
    if noise is not None:  # word edges keep to speech: a noise burst next to a word is not the word
        speech = np.repeat(noise < 0.5, FRAMES_PER_EDGE)[: len(fine.db)]
        fine = replace(fine, db=np.where(np.pad(speech, (0, len(fine.db) - len(speech)), constant_values=True),
                                         fine.db, -np.inf))
    windows, previous_end = [], 0.0
    for capture in result.windows:  # in order: each window starts where the previous one's words end
        windows.append(_window(capture, heads, options, lag_of, coarse, fine, noise, settings, previous_end))
        previous_end = windows[-1].words[-1].end if windows[-1].words else previous_end
    windows = tuple(windows)
    if not settings.use_silence_cut or result.without_silence is None or result.silence_cut is None:
        return windows
    # words timed on the clip without its digital silence (silence_cut.py); paths stay the clip's own
    shortened = align_tuned_windows(result.without_silence, heads, options, lags=lags, settings=settings)
    retimed = iter(retime_words([w for window in windows for w in window.words],
                                [w for window in shortened for w in window.words], result.silence_cut))
    return tuple(replace(window, words=tuple(next(retimed) for _ in window.words)) for window in windows)


def align_tuned(result: AnalysisResult, heads=None, options: AlignmentOptions | None = None, *,
                lags: dict | None = None, settings: TunedSettings | None = None, **changes) -> tuple[WordTiming, ...]:
    """Word timings by the tuned steps, seconds (for searches and ablations; the app goes through presets).

    heads: anything `parse_heads` accepts; None = the tuned heads of this model, or its official heads
    (lag 0) for models the search has not seen. changes: TunedSettings fields to change (ablations), e.g.
    `silence_gain=0.0`.
    """
    tuned = tuned_heads_for(result)
    head_set = parse_heads(tuned_heads(result) if heads is None else heads, result.shape,
                           official=result.alignment_heads)
    settings = replace(settings or (tuned.settings if tuned else TUNED_SETTINGS), **changes)
    windows = align_tuned_windows(result, head_set, options or TUNED_OPTIONS, lags=lags, settings=settings)
    return tuple(w for window in windows for w in window.words)
