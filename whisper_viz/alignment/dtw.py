"""Dynamic time warping of a (tokens, frames) cost matrix, and the median filter used before it.

The numba kernel reproduces openai-whisper's compiled `dtw_cpu` + `backtrace` exactly: the same step
costs accumulated in float64 (its `np.ones(..., float32) * np.inf` is typed float64 by numba, so
the compiled kernel, unlike its Python source under numpy 2, never rounds to float32), the same
tie-breaks (diagonal only when strictly cheapest, then up only when strictly cheapest, else left)
and the same boundary handling of the first row and column. A CUDA matrix is copied to the host first:
~2 MB for 150 x 1500, far cheaper than the 1 650 sequential steps a GPU recursion would take.
"""

from __future__ import annotations

import numpy as np

from ..errors import AlignmentError
from ..jit import numba

STEP_DIAGONAL = 0  # trace codes, as in openai-whisper's backtrace
STEP_UP = 1  # previous token, same frame
STEP_LEFT = 2  # same token, previous frame


@numba.njit(cache=True)
def _backtrace(trace: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walk a (tokens + 1, frames + 1) trace from the bottom-right corner back to (0, 0)."""
    i = trace.shape[0] - 1
    j = trace.shape[1] - 1
    trace[0, :] = STEP_LEFT  # first row: only left moves reach (0, 0)
    trace[:, 0] = STEP_UP  # first column: only up moves (this also sets trace[0, 0])
    text = np.empty(i + j, np.int64)
    time = np.empty(i + j, np.int64)
    n = 0
    while i > 0 or j > 0:
        text[n] = i - 1
        time[n] = j - 1
        n += 1
        step = trace[i, j]
        if step == STEP_DIAGONAL:
            i -= 1
            j -= 1
        elif step == STEP_UP:
            i -= 1
        else:
            j -= 1
    return text[:n][::-1].copy(), time[:n][::-1].copy()


@numba.njit(cache=True)
def _fill_trace(x: np.ndarray) -> np.ndarray:
    """Accumulate float64 cost x (tokens, frames). Returns the int8 trace."""
    n_rows, n_cols = x.shape
    cost = np.full((n_rows + 1, n_cols + 1), np.inf, dtype=np.float64)
    trace = np.full((n_rows + 1, n_cols + 1), -1, dtype=np.int8)
    cost[0, 0] = 0
    # row-major order visits cells in a different order than whisper's column loop, but every
    # cell only reads its up, left and diagonal neighbours, which both orders fill first
    for i in range(1, n_rows + 1):
        for j in range(1, n_cols + 1):
            c0 = cost[i - 1, j - 1]
            c1 = cost[i - 1, j]
            c2 = cost[i, j - 1]
            if c0 < c1 and c0 < c2:
                c, t = c0, STEP_DIAGONAL
            elif c1 < c0 and c1 < c2:
                c, t = c1, STEP_UP
            else:
                c, t = c2, STEP_LEFT
            cost[i, j] = x[i - 1, j - 1] + c
            trace[i, j] = t
    return trace


@numba.njit(cache=True)
def _dtw_kernel(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: float64 (tokens, frames) cost. Returns (text_indices, time_indices) of the cheapest path."""
    return _backtrace(_fill_trace(x))


def dtw_numba(cost) -> tuple[np.ndarray, np.ndarray]:
    """openai-whisper's `dtw_cpu` path, computed by a cached numba kernel."""
    if _is_torch(cost):
        cost = cost.detach().cpu().double().numpy()
    x = np.ascontiguousarray(cost, dtype=np.float64)
    _check_cost(x.shape)
    return _dtw_kernel(x)


@numba.njit(cache=True, inline="always")
def _before(a, b) -> bool:
    """Sort order of the median window: NaN counts as largest, like torch.sort."""
    return a < b or (b != b and a == a)


@numba.njit(cache=True, inline="always")
def _reflect(idx: int, n: int) -> int:
    if idx < 0:
        return -idx  # reflect without repeating the edge: x[1], x[0], x[1]...
    if idx >= n:
        return 2 * (n - 1) - idx
    return idx


@numba.njit(cache=True, parallel=True)
def _median_rows(x: np.ndarray, width: int) -> np.ndarray:
    """Median over a sliding window of `width` along axis 1 of x (rows, n), reflect padding.

    Keeps the window sorted: each step swaps the value that leaves for the one that enters and
    moves it into place, so a step costs O(width) instead of a full sort.
    """
    n_rows, n = x.shape
    half = width // 2
    out = np.empty_like(x)
    for r in numba.prange(n_rows):
        window = np.empty(width, x.dtype)
        for k in range(width):  # first window by insertion sort
            v = x[r, _reflect(k - half, n)]
            m = k
            while m > 0 and _before(v, window[m - 1]):
                window[m] = window[m - 1]
                m -= 1
            window[m] = v
        out[r, 0] = window[half]
        for t in range(1, n):
            leaving = x[r, _reflect(t - 1 - half, n)]
            entering = x[r, _reflect(t + half, n)]
            p = 0
            while not (window[p] == leaving or (window[p] != window[p] and leaving != leaving)):
                p += 1
            while p > 0 and _before(entering, window[p - 1]):
                window[p] = window[p - 1]
                p -= 1
            while p < width - 1 and _before(window[p + 1], entering):
                window[p] = window[p + 1]
                p += 1
            window[p] = entering
            out[r, t] = window[half]
    return out


def median_filter(x, width: int):
    """Median filter of odd `width` along the last axis, reflect-padded (numpy or torch input).

    Equals openai-whisper's `median_filter`: width 1 is the identity, and an axis no longer than
    width // 2 is returned unchanged. An even or non-positive width raises AlignmentError.
    """
    if not isinstance(width, (int, np.integer)) or width < 1 or width % 2 == 0:
        raise AlignmentError(f"median filter width must be a positive odd number of frames, got {width!r}")
    if _is_torch(x):
        import torch

        filtered = median_filter(x.detach().cpu().numpy(), width)
        return torch.from_numpy(np.asarray(filtered)).to(x.device)
    x = np.asarray(x)
    if width == 1 or x.ndim == 0 or x.shape[-1] <= width // 2:
        return x
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
    rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), dtype=dtype)  # (rows, n)
    return _median_rows(rows, int(width)).reshape(x.shape)


def _check_cost(shape: tuple) -> None:
    if len(shape) != 2:
        raise AlignmentError(f"DTW needs a 2-D (tokens, frames) cost matrix, got shape {tuple(shape)}")
    if shape[0] < 1 or shape[1] < 1:
        raise AlignmentError(f"DTW needs at least one token and one frame, got shape {tuple(shape)}")


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")
