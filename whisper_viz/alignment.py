"""Word timings from cross-attention: normalize -> median filter -> mean over heads -> DTW -> words.

Per window, the selected heads' attention (tokens, frames) is renormalized over frames, normalized
across tokens per frame, median-filtered along time and averaged; DTW on the negated matrix gives
each token's first frame (20 ms each); tokens are grouped into words and punctuation merged like
openai-whisper's `find_alignment` + `merge_punctuations` (+ `add_word_timestamps` heuristics when
`postprocess` is on). The per-head filtered matrices are cached, so a head toggle costs one masked
mean and one DTW.
"""

from __future__ import annotations

import string
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from .dtw import dtw_numba, median_filter
from .errors import AlignmentError
from .heads import HeadSet, parse_heads
from .results import AnalysisResult, Token, WindowCapture, WordTiming

import numba  # noqa: E402  (imported after .dtw has chosen numba's cache dir)

TOKENS_PER_SECOND = 50  # encoder frames per second (20 ms each)
NORMALIZATIONS = ("reference", "ct2", "l2", "none")
CT2_EPSILON = 0.0  # CTranslate2's Whisper align calls LayerNorm(axis=-2, epsilon=0)
CACHE_BYTES = 1 << 30  # budget of cached per-head matrices, over all captures
MEAN_BLOCK = 2048  # matrix cells summed per block (16 KiB of float64 accumulator)
UNICODE_SPLIT_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})  # no spaces between words
SENTENCE_END_MARKS = ".。!！?？"
MAX_MEDIAN_WORD_SECONDS = 0.7  # cap on the median word duration used by the heuristics
PAUSE_MEDIANS = 4  # a segment's first word ending this many median durations after speech follows a pause
SEGMENT_EDGE_SLACK = 0.5  # seconds a word may overhang its segment's timestamps before it is cut
REPLACEMENT_CHARACTER = "\ufffd"


@dataclass(frozen=True)
class AlignmentOptions:
    """How attention becomes word timings."""

    normalization: str = "reference"  # across tokens per frame: "reference" | "ct2" | "l2" | "none"
    medfilt_width: int = 7  # median filter along time, in frames (odd; 1 = off)
    postprocess: bool = True  # openai-whisper's word-duration heuristics; False shows raw DTW
    prepend_punctuations: str = "\"'“¿([{-"  # merged into the following word
    append_punctuations: str = "\"'.。,，!！?？:：”)]}、"  # merged into the previous word

    def __post_init__(self):
        if self.normalization not in NORMALIZATIONS:
            raise AlignmentError(
                f"unknown normalization {self.normalization!r}; use one of {', '.join(NORMALIZATIONS)}"
            )
        width = self.medfilt_width
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1 or width % 2 == 0:
            raise AlignmentError(f"medfilt_width must be a positive odd number of frames, got {width!r}")


@dataclass(frozen=True)
class AlignmentPreset:
    heads: object  # anything `parse_heads` accepts; "official" = the model's own heads
    options: AlignmentOptions
    aligner: object = None  # optional (result, heads or None, options) -> words, replacing the steps below
    heads_for: object = None  # optional (result) -> heads, when the preset's heads depend on the model

    def head_set(self, result: AnalysisResult) -> HeadSet:
        """The heads this preset aligns `result` with."""
        heads = self.heads_for(result) if self.heads_for is not None else self.heads
        return parse_heads(heads, result.shape, official=result.alignment_heads)


# named head set + options combinations; other modules may add entries (e.g. a tuned preset)
PRESETS: dict[str, AlignmentPreset] = {
    "reference": AlignmentPreset("official", AlignmentOptions()),
}


@dataclass(frozen=True, eq=False)
class WindowAlignment:
    """One window aligned with one head set."""

    window: int  # index of the window
    offset: float  # seconds from the start of the audio to the window start
    heads: HeadSet
    options: AlignmentOptions
    matrix: np.ndarray  # float32 (tokens, frames): normalized, filtered, mean over heads
    text_indices: np.ndarray  # int64 (steps,) token row of each DTW path step
    time_indices: np.ndarray  # int64 (steps,) frame of each DTW path step
    token_starts: np.ndarray  # float64 (tokens,) seconds from the window start where each row begins
    words: tuple[WordTiming, ...]  # absolute times


def normalize_attention(weights, normalization: str, context=None) -> np.ndarray:
    """Renormalize float (..., tokens, frames) over frames, then normalize across tokens per frame.

    "reference": z-score with the population std (openai-whisper's find_alignment);
    "ct2": z-score with a one-pass clamped variance, epsilon 0 (CTranslate2's LayerNorm(-2, 0));
    "l2": divide by the L2 norm over tokens (whisper-timestamped); "none": renormalize only.
    context: optional (..., rows, frames) attention of the other decoder rows (start-of-transcript
    sequence, the row after end-of-text); they join the per-frame statistics, as in find_alignment,
    and are dropped from the output. A frame where every row is equal becomes 0 instead of NaN.
    """
    import torch

    w = torch.as_tensor(np.asarray(weights), dtype=torch.float32)  # (..., tokens, frames)
    n_tokens = w.shape[-2]
    if context is not None:
        w = torch.cat([w, torch.as_tensor(np.asarray(context), dtype=torch.float32)], dim=-2)
    total = w.sum(dim=-1, keepdim=True)
    w = w / torch.where(total > 0, total, torch.ones_like(total))  # float16 capture rounding
    if normalization == "reference":
        std, mean = torch.std_mean(w, dim=-2, keepdim=True, unbiased=False)
        w = (w - mean) / torch.where(std > 0, std, torch.ones_like(std))
    elif normalization == "ct2":
        mean = w.mean(dim=-2, keepdim=True)
        var = torch.clamp((w * w).mean(dim=-2, keepdim=True) - mean * mean, min=0.0) + CT2_EPSILON
        w = (w - mean) * torch.where(var > 0, torch.rsqrt(var), torch.zeros_like(var))
    elif normalization == "l2":
        norm = w.norm(dim=-2, keepdim=True)
        w = w / torch.where(norm > 0, norm, torch.ones_like(norm))
    elif normalization != "none":
        raise AlignmentError(f"unknown normalization {normalization!r}; use one of {', '.join(NORMALIZATIONS)}")
    return w[..., :n_tokens, :].contiguous().numpy()


def head_matrices(capture: WindowCapture, heads, options: AlignmentOptions | None = None) -> np.ndarray:
    """float32 (k, tokens, frames): each selected head normalized and filtered, layer-major order."""
    options = options or AlignmentOptions()
    heads = _window_heads(capture, heads)
    rows = _CACHE.rows(capture, options, heads.flat_indices.astype(np.int64))
    return rows.reshape(len(heads), *capture.attention.shape[2:])


def align_window(capture: WindowCapture, heads, options: AlignmentOptions | None = None, *,
                 official=None, last_speech: float | None = None, segments=()) -> WindowAlignment:
    """Align one window with `heads` (a HeadSet, mask, dump, "l:h" text or preset name).

    last_speech: seconds where speech last ended before this window (the pause rule); None uses
    the window start. segments: this window's `Segment`s, for the segment-edge rules.
    """
    options = options or AlignmentOptions()
    heads = _window_heads(capture, heads, official)
    if heads.is_empty:
        raise AlignmentError("the head set is empty: select at least one head to align with")
    n_tokens, n_frames = capture.attention.shape[2:]
    matrix = _CACHE.mean(capture, options, heads.flat_indices.astype(np.int64)).reshape(n_tokens, n_frames)  # (tokens, frames)
    empty = np.zeros(0, np.int64)
    if n_tokens <= 1:  # end-of-text only: nothing to align
        return WindowAlignment(capture.index, capture.offset, heads, options, matrix, empty, empty,
                               np.zeros(n_tokens), ())
    if n_tokens > n_frames:
        raise AlignmentError(
            f"window {capture.index} has {n_tokens} tokens but only {n_frames} frames of audio "
            f"({n_frames * 0.02:.2f} s); DTW cannot give each token its own frame"
        )
    text_indices, time_indices = dtw_numba(-matrix)
    jumps = np.diff(text_indices, prepend=-1) > 0  # first step on each token row
    token_starts = time_indices[jumps] / TOKENS_PER_SECOND  # (tokens,) seconds
    words = _timed_words(capture, token_starts)
    words = _finish_words(words, capture, options, last_speech, segments)
    return WindowAlignment(capture.index, capture.offset, heads, options, matrix, text_indices, time_indices,
                           token_starts, words)


def get_preset(name: str) -> AlignmentPreset:
    """The preset called `name`; AlignmentError listing the known ones otherwise."""
    if name not in PRESETS:
        raise AlignmentError(f"unknown alignment preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def align_words(result: AnalysisResult, heads=None, *, normalization: str | None = None,
                medfilt_width: int | None = None, postprocess: bool | None = None,
                preset: str | None = None, options: AlignmentOptions | None = None) -> tuple[WordTiming, ...]:
    """Word timings of every window of `result` with the given heads and options.

    heads: anything `parse_heads` accepts; "official" (the default) = result.alignment_heads.
    preset: a name in PRESETS giving heads and options; explicit arguments override it.
    """
    if preset is not None:
        base_heads, base = get_preset(preset).heads, PRESETS[preset].options
    else:
        base_heads, base = "official", AlignmentOptions()
    options = options or base
    overrides = dict(normalization=normalization, medfilt_width=medfilt_width, postprocess=postprocess)
    options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
    if preset is not None and PRESETS[preset].aligner is not None:
        return tuple(PRESETS[preset].aligner(result, heads, options))
    head_set = parse_heads(base_heads if heads is None else heads, result.shape, official=result.alignment_heads)
    words: list[WordTiming] = []
    last_speech = 0.0
    for capture in result.windows:
        window_segments = tuple(s for s in result.segments if s.window == capture.index)
        aligned = align_window(capture, head_set, options, last_speech=last_speech, segments=window_segments)
        if aligned.words:
            last_speech = aligned.words[-1].end
        words.extend(aligned.words)
    return tuple(words)


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


def _timed_words(capture: WindowCapture, token_starts: np.ndarray) -> list[_Word]:
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


def _finish_words(words: list[_Word], capture: WindowCapture, options: AlignmentOptions,
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


def clear_cache() -> None:
    """Drop every cached per-head matrix."""
    _CACHE.clear()
    _SPLITS.clear()


def _window_heads(capture: WindowCapture, heads, official=None) -> HeadSet:
    attention = capture.attention
    if not isinstance(attention, np.ndarray) or attention.ndim != 4:
        raise AlignmentError(
            f"window attention must be a 4-D array (layers, heads, tokens, frames), "
            f"got shape {getattr(attention, 'shape', None)}"
        )
    n_layers, n_heads, n_tokens, n_frames = attention.shape
    if n_tokens != len(capture.tokens):
        raise AlignmentError(f"window {capture.index} attention has {n_tokens} token rows for {len(capture.tokens)} tokens")
    if n_frames < 1:
        raise AlignmentError(f"window {capture.index} has no audio frames to align to")
    if isinstance(heads, HeadSet) and heads.shape != (n_layers, n_heads):
        raise AlignmentError(f"head set has shape {heads.shape} but the attention has {(n_layers, n_heads)} (layers, heads)")
    return parse_heads(heads, (n_layers, n_heads), official=official)


@numba.njit(cache=True)
def _combine(flat, layer_sums, layers, heads, signs, count):
    """(sum of layer_sums[layers] + sum of signs * flat[heads]) / count per cell, float64 accumulator.

    flat: float32 (layers * heads, cells); layer_sums: float64 (layers, cells). Cells go in blocks
    that stay in L1 while every row is added; float64 keeps the result (nearly) independent of how
    the sum is split. One thread: memory-bound, and threads cost more than they give on busy CPUs.
    """
    n = flat.shape[1]
    out = np.empty(n, np.float32)
    for block in range((n + MEAN_BLOCK - 1) // MEAN_BLOCK):
        lo = block * MEAN_BLOCK
        hi = min(n, lo + MEAN_BLOCK)
        acc = np.zeros(hi - lo, np.float64)
        for k in range(len(layers)):
            row = layer_sums[layers[k], lo:hi]
            for c in range(hi - lo):
                acc[c] += row[c]
        for k in range(len(heads)):
            row32 = flat[heads[k], lo:hi]
            sign = signs[k]
            for c in range(hi - lo):
                acc[c] += sign * row32[c]
        for c in range(hi - lo):
            out[lo + c] = acc[c] / count
    return out


class _Entry:
    """Cached matrices of one (capture, normalization, width)."""

    def __init__(self, capture_ref, n_layers: int, n_heads: int, n_cells: int):
        self.capture_ref = capture_ref
        self.shape = (n_layers, n_heads)
        self.flat = np.empty((n_layers * n_heads, n_cells), np.float32)  # pages touched when filled
        self.ready = np.zeros(n_layers * n_heads, bool)
        self.layer_sums = np.empty((n_layers, n_cells), np.float64)  # sum over each layer's heads
        self.layer_ready = np.zeros(n_layers, bool)

    @property
    def nbytes(self) -> int:
        return int(self.ready.sum()) * self.flat.shape[1] * 4 + int(self.layer_ready.sum()) * self.flat.shape[1] * 8


class _HeadMatrixCache:
    """LRU of per-head normalized+filtered matrices, keyed on (capture identity, normalization, width).

    Heads are computed on first request. A mean over a layer with most of its heads selected is
    taken as the layer's cached sum minus the unselected heads, so no selection reads more than
    about half of the heads. The capture is held weakly; its entry goes when it dies.
    """

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.RLock()  # re-entered by weakref callbacks during GC

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def rows(self, capture: WindowCapture, options: AlignmentOptions, flat_heads: np.ndarray) -> np.ndarray:
        entry = self._entry(capture, options)
        self._fill(entry, capture, options, flat_heads)
        return entry.flat[flat_heads]

    def mean(self, capture: WindowCapture, options: AlignmentOptions, flat_heads: np.ndarray) -> np.ndarray:
        entry = self._entry(capture, options)
        n_layers, n_heads = entry.shape
        mask = np.zeros(n_layers * n_heads, bool)
        mask[flat_heads] = True
        mask = mask.reshape(n_layers, n_heads)
        per_layer = mask.sum(axis=1)
        by_sum = np.flatnonzero(per_layer > (n_heads + 1) // 2)  # layers cheaper as sum minus the rest
        added = np.flatnonzero(mask & (per_layer <= (n_heads + 1) // 2)[:, None])
        removed = np.flatnonzero(~mask & np.isin(np.arange(n_layers), by_sum)[:, None])
        needed = np.concatenate([flat_heads, removed, (by_sum[:, None] * n_heads + np.arange(n_heads)).ravel()])
        self._fill(entry, capture, options, np.unique(needed).astype(np.int64))
        with self.lock:
            for layer in by_sum[~entry.layer_ready[by_sum]]:
                entry.layer_sums[layer] = entry.flat[layer * n_heads:(layer + 1) * n_heads].sum(0, dtype=np.float64)
                entry.layer_ready[layer] = True
        heads = np.concatenate([added, removed]).astype(np.int64)
        signs = np.concatenate([np.ones(len(added)), -np.ones(len(removed))])
        return _combine(entry.flat, entry.layer_sums, by_sum.astype(np.int64), heads, signs, float(len(flat_heads)))

    def _entry(self, capture: WindowCapture, options: AlignmentOptions) -> _Entry:
        key = (id(capture), options.normalization, int(options.medfilt_width))
        n_layers, n_heads, n_tokens, n_frames = capture.attention.shape
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.capture_ref() is not capture:
                ref = weakref.ref(capture, lambda _, key=key: self._drop(key))
                entry = self.entries[key] = _Entry(ref, n_layers, n_heads, n_tokens * n_frames)
            self.entries.move_to_end(key)
            return entry

    def _fill(self, entry: _Entry, capture: WindowCapture, options: AlignmentOptions, flat_heads) -> None:
        with self.lock:
            missing = flat_heads[~entry.ready[flat_heads]]
            if len(missing):
                n_tokens, n_frames = capture.attention.shape[2:]
                attention = capture.attention.reshape(-1, n_tokens, n_frames)  # (layers * heads, tokens, frames)
                # optional rows of the sot sequence and after eot, if the capture carries them
                context = getattr(capture, "context_attention", None)
                if context is not None:
                    context = context.reshape(-1, context.shape[-2], n_frames)[missing]
                weights = normalize_attention(attention[missing], options.normalization, context)
                weights = median_filter(weights, int(options.medfilt_width))
                entry.flat[missing] = weights.reshape(len(missing), -1)
                entry.ready[missing] = True
                self._evict()

    def _drop(self, key) -> None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry.capture_ref() is None:
                del self.entries[key]

    def _evict(self) -> None:
        """Drop least recently used entries (never the newest) until within the byte budget."""
        entries = list(self.entries.items())
        total = sum(entry.nbytes for _, entry in entries)
        for key, entry in entries[:-1]:
            if total <= self.budget:
                break
            self.entries.pop(key, None)
            total -= entry.nbytes


_CACHE = _HeadMatrixCache(CACHE_BYTES)
_SPLITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # capture -> split_tokens result

from . import tuning  # noqa: E402,F401  registers the "tuned" preset (it imports this module)
