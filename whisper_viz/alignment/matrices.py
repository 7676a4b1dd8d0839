"""Each head's attention normalized across tokens and median-filtered, cached per capture.

A head toggle in the app re-aligns from these matrices: the first request of a (capture,
normalization, filter width) computes the heads it needs, later ones reuse them, and the mean over
a selection is taken from cached per-layer sums where that reads fewer rows.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np

from ..errors import AlignmentError
from ..jit import numba
from ..results import WindowCapture
from .dtw import median_filter
from .options import NORMALIZATIONS, AlignmentOptions

CT2_EPSILON = 0.0  # CTranslate2's Whisper align calls LayerNorm(axis=-2, epsilon=0)
CACHE_BYTES = 1 << 30  # budget of cached per-head matrices, over all captures
MEAN_BLOCK = 2048  # matrix cells summed per block (16 KiB of float64 accumulator)


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
        self.lock = threading.Lock()  # held while this entry's heads are computed (other entries go on)
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

    The cache's lock guards only its table of entries; an entry's heads are normalized and filtered
    under that entry's own lock, so a long capture being filled for one app session never holds up
    another session's toggles on other captures.
    """

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.RLock()  # the table only; re-entered by weakref callbacks during GC

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
        with entry.lock:
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
        with entry.lock:
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
        with self.lock:
            entries = list(self.entries.items())
            total = sum(entry.nbytes for _, entry in entries)
            for key, entry in entries[:-1]:
                if total <= self.budget:
                    break
                self.entries.pop(key, None)
                total -= entry.nbytes


MATRIX_CACHE = _HeadMatrixCache(CACHE_BYTES)  # shared by every window of every result in this process
