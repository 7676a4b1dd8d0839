"""Digital silence taken out before words are timed, and word times mapped back onto the original clip.

A long stretch of digital silence (an inserted one, a gated recording's gap) carries no speech but changes
what the encoder sees around it: heads attend to its edges and words slide across it (the Silence lab shows
this). `analyze` therefore analyses a clip that holds such runs a second time with them taken out
(`AnalysisResult.without_silence`); the tuned aligner times words on that shortened clip, pairs them with the
clip's own words by text, and maps their times back. A word cannot land inside a run taken out, and one the
shortened clip places across a cut point is kept to the side that holds most of it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from ..constants import SAMPLE_RATE
from ..results import SilenceCut, WordTiming
from .word_pairing import match_words

DIGITAL_SILENCE_LEVEL = 2.0 ** -14  # |sample| at or under this (two 16-bit steps) is digital silence or dither
MIN_CUT_SECONDS = 1.0  # runs at least this long are taken out; shorter ones are ordinary pauses


def find_silence_cut(audio: np.ndarray, min_seconds: float = MIN_CUT_SECONDS) -> SilenceCut | None:
    """The runs of digital silence of at least `min_seconds` in float32 16 kHz `audio`, to the sample; None
    when there are none, or when nothing but silence would be left."""
    quiet = np.abs(audio) <= DIGITAL_SILENCE_LEVEL  # bool (samples,)
    change = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    long_enough = ends - starts >= min_seconds * SAMPLE_RATE
    runs = tuple((int(s), int(e - s)) for s, e in zip(starts[long_enough], ends[long_enough]))
    if not runs or sum(length for _, length in runs) >= len(audio):
        return None
    return SilenceCut(runs)


def cut_audio(audio: np.ndarray, cut: SilenceCut) -> np.ndarray:
    """float32 (samples,): `audio` without the runs of `cut`."""
    keep = np.ones(len(audio), bool)
    for start, length in cut.runs:
        keep[start: start + length] = False
    return np.ascontiguousarray(audio[keep])


def _kept_to_one_side(start: float, end: float, points: np.ndarray) -> tuple[float, float]:
    """(start, end) of a word, seconds of the shortened clip, clipped at any cut point inside it to the side
    that holds more of the word; a word split evenly (to the millisecond) keeps to the side it starts on."""
    for point in points:
        if start < point < end:
            if round(point - start, 3) >= round(end - point, 3):  # word times are on a 10 ms grid: ties happen
                end = float(point)
            else:
                start = float(point)
    return start, end


def retime_words(own: Sequence[WordTiming], shortened: Sequence[WordTiming], cut: SilenceCut) -> list[WordTiming]:
    """`own` (words of the clip) with the times of the words of the shortened clip they pair with, mapped back
    to the clip's seconds; a word with no partner (one the silence made the model add) keeps its own times.
    Window and token rows stay the clip's own, so the words still point into its attention."""
    # equal words pair; so do words the silence made the model write differently, one for one between
    # paired neighbours ("first importance that" -> "first time that"): they are where those words were said
    partner = dict(match_words(own, shortened))
    points = cut.cut_points()
    words = []
    for i, word in enumerate(own):
        if i not in partner:
            words.append(word)
            continue
        twin = shortened[partner[i]]
        start, end = _kept_to_one_side(twin.start, twin.end, points)
        words.append(replace(word, start=round(cut.to_original(start, is_end=False), 3),
                             end=round(cut.to_original(end, is_end=True), 3), confidence=twin.confidence))
    return words
