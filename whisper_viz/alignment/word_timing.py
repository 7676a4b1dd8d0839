"""Token start times to words: grouping tokens, merging punctuation, openai-whisper's heuristics.

Mirrors openai-whisper's `split_to_word_tokens`, `merge_punctuations` and the word-duration and
pause rules of `add_word_timestamps`, on the DTW token starts of one window.
"""

from __future__ import annotations

import string
import weakref
from dataclasses import dataclass

import numpy as np

from ..results import Token, WindowCapture, WordTiming
from .options import AlignmentOptions

UNICODE_SPLIT_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})  # no spaces between words
SENTENCE_END_MARKS = ".。!！?？"
MAX_MEDIAN_WORD_SECONDS = 0.7  # cap on the median word duration used by the heuristics
PAUSE_MEDIANS = 4  # a segment's first word ending this many median durations after speech follows a pause
SEGMENT_EDGE_SLACK = 0.5  # seconds a word may overhang its segment's timestamps before it is cut
REPLACEMENT_CHARACTER = "\ufffd"
_SPLITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # capture -> split_tokens result


def split_tokens(tokens: tuple[Token, ...], language: str) -> list[tuple[str, list[int]]]:
    """Group token rows into words, as openai-whisper's `Tokenizer.split_to_word_tokens` does.

    Text is rebuilt from each token's raw UTF-8 bytes; a character split across tokens stays in
    one piece. Languages written without spaces split at every complete character; the others
    start a word at a special token, a leading space or punctuation. Returns (text, rows) pairs.
    """
    pieces = [t.raw if (t.raw or not t.special) else t.text.encode("utf-8") for t in tokens]
    full = b"".join(pieces).decode("utf-8", errors="replace")
    subwords: list[tuple[str, list[int]]] = []
    rows: list[int] = []
    pending = b""
    consumed = 0  # characters of `full` taken by earlier subwords
    for row, piece in enumerate(pieces):
        rows.append(row)
        pending += piece
        text = pending.decode("utf-8", errors="replace")
        bad = text.find(REPLACEMENT_CHARACTER)
        # a replacement character ends the piece only when the full text has one there too
        if bad < 0 or full[consumed + bad] == REPLACEMENT_CHARACTER:
            subwords.append((text, rows))
            consumed += len(text)
            rows, pending = [], b""
    if language in UNICODE_SPLIT_LANGUAGES:
        return subwords
    words: list[tuple[str, list[int]]] = []
    for text, rows in subwords:
        # `in string.punctuation` is a substring test, as in the reference ("" and ".," count)
        if tokens[rows[0]].special or text.startswith(" ") or text.strip() in string.punctuation or not words:
            words.append((text, rows))
        else:
            words[-1] = (words[-1][0] + text, words[-1][1] + rows)
    return words


@dataclass
class _Word:
    """A word while punctuation is merged and heuristics move its edges (seconds)."""

    text: str
    rows: list[int]
    start: float
    end: float
    probability: float


def timed_words(capture: WindowCapture, token_starts: np.ndarray) -> list[_Word]:
    """Words with start = their first token's start, end = the next word's start (window seconds)."""
    tokens = capture.tokens
    split = _SPLITS.get(capture)
    if split is None:  # the same for every head set: computed once per capture
        split = _SPLITS[capture] = split_tokens(tokens, capture.language)
    words = []
    for (text, rows), (_, following) in zip(split[:-1], split[1:]):  # the last one is end-of-text
        probabilities = [tokens[r].probability for r in rows if not tokens[r].special]
        words.append(_Word(text, list(rows), float(token_starts[rows[0]]), float(token_starts[following[0]]),
                           _mean(probabilities)))
    return words


def clear_splits() -> None:
    """Forget every capture's cached token grouping."""
    _SPLITS.clear()


def _mean(values: list[float]) -> float:
    """Left-to-right mean (np.mean's result for the few tokens of a word, without its overhead)."""
    total = 0.0
    for value in values:
        total += value
    return total / len(values) if values else float("nan")


def _merge_punctuation(words: list[_Word], prepend: str, append: str) -> None:
    """Move prepended punctuation into the next word and appended punctuation into the previous one.

    The receiving word keeps its own times and probability; the emptied word is left with text "".
    """
    target = len(words) - 1
    for i in range(len(words) - 2, -1, -1):
        word = words[i]
        if word.text.startswith(" ") and word.text.strip() in prepend:
            words[target].text = word.text + words[target].text
            words[target].rows = word.rows + words[target].rows
            word.text, word.rows = "", []
        else:
            target = i
    target = 0
    for j in range(1, len(words)):
        word = words[j]
        if not words[target].text.endswith(" ") and word.text in append:
            words[target].text += word.text
            words[target].rows = words[target].rows + word.rows
            word.text, word.rows = "", []
        else:
            target = j


def finish_words(words: list[_Word], capture: WindowCapture, options: AlignmentOptions,
                  last_speech: float | None, segments) -> tuple[WordTiming, ...]:
    durations = np.array([w.end - w.start for w in words])
    durations = durations[durations.nonzero()]
    median = min(MAX_MEDIAN_WORD_SECONDS, float(np.median(durations))) if len(durations) else 0.0
    longest = median * 2
    if options.postprocess and len(durations):
        for previous, word in zip(words[:-1], words[1:]):  # cut long words at sentence boundaries
            if word.end - word.start > longest:
                if word.text in SENTENCE_END_MARKS:
                    word.end = word.start + longest
                elif previous.text in SENTENCE_END_MARKS:
                    word.start = word.end - longest
    _merge_punctuation(words, options.prepend_punctuations, options.append_punctuations)
    kept = [w for w in words if w.text]
    for w in kept:  # absolute seconds; rounding to 10 ms drops float noise of the 20 ms grid
        w.start, w.end = round(capture.offset + w.start, 2), round(capture.offset + w.end, 2)
    if options.postprocess and kept:
        last = capture.offset if last_speech is None else last_speech
        for group, segment in _segment_groups(kept, segments):
            last = _fix_segment_edges(group, segment, median, longest, last)
    return tuple(WordTiming(w.text, float(w.start), float(w.end), w.probability, capture.index, tuple(w.rows))
                 for w in kept)


def _segment_groups(words: list[_Word], segments):
    """(words, segment) per segment when the segments' texts spell the words, else one group."""
    if not segments or "".join(s.text for s in segments) != "".join(w.text for w in words):
        yield words, None
        return
    position, ends, index = 0, np.cumsum([len(s.text) for s in segments]), 0
    groups: list[list[_Word]] = [[] for _ in segments]
    for w in words:
        while index < len(segments) - 1 and position >= ends[index]:
            index += 1
        groups[index].append(w)
        position += len(w.text)
    yield from ((group, segment) for group, segment in zip(groups, segments) if group)


def _fix_segment_edges(words: list[_Word], segment, median: float, longest: float, last_speech: float) -> float:
    """openai-whisper's segment heuristics; returns where speech last ended (seconds)."""
    first = words[0]
    after_pause = first.end - last_speech > median * PAUSE_MEDIANS
    too_long = first.end - first.start > longest or (len(words) > 1 and words[1].end - first.start > longest * 2)
    if after_pause and too_long:
        if len(words) > 1 and words[1].end - words[1].start > longest:
            boundary = max(words[1].end / 2, words[1].end - longest)
            first.end = words[1].start = boundary
        first.start = max(0, first.end - longest)
    if segment is None:
        return words[-1].end
    if first.end > segment.start and segment.start - SEGMENT_EDGE_SLACK > first.start:
        first.start = max(0, min(first.end - median, segment.start))
    if segment.end > words[-1].start and segment.end + SEGMENT_EDGE_SLACK < words[-1].end:
        words[-1].end = max(words[-1].start + median, segment.end)
        return segment.end
    return words[-1].end

