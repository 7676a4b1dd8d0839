"""Dynamic time warping of a (tokens, frames) cost matrix, and the median filter used before it.

The numba kernel reproduces openai-whisper's compiled `dtw_cpu` + `backtrace` exactly: the same step
costs accumulated in float64 (its `np.ones(..., float32) * np.inf` is typed float64 by numba, so
the compiled kernel, unlike its Python source under numpy 2, never rounds to float32), the same
tie-breaks (diagonal only when strictly cheapest, then up only when strictly cheapest, else left)
and the same boundary handling of the first row and column. The torch kernel computes the same
recursion one anti-diagonal at a time, so it also runs on CUDA, and returns the same path (it is
launch-bound there: use it to keep a computation on the GPU, not for speed).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _ensure_numba_cache_dir() -> None:
    """Point numba's on-disk cache at a user cache dir when the package dir is read-only."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    package_dir = Path(__file__).resolve().parent
    if os.access(package_dir, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cache_dir = os.path.join(base, "whisper-viz", "numba")
    try:
        os.makedirs(cache_dir, exist_ok=True)
    except OSError:
        cache_dir = os.path.join(tempfile.gettempdir(), "whisper-viz-numba")
        os.makedirs(cache_dir, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = cache_dir


_ensure_numba_cache_dir()

import numba  # noqa: E402  (after the cache dir is chosen)
import numpy as np  # noqa: E402

if os.environ.get("NUMBA_CACHE_DIR") and not numba.config.CACHE_DIR:
    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]  # numba was imported before us

from .errors import AlignmentError  # noqa: E402

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
def _fill_trace(x: np.ndarray, left_penalty: np.ndarray) -> np.ndarray:
    """Accumulate float64 cost x (tokens, frames); staying on a token into frame j costs
    left_penalty[j] more, except on the last row. Returns the int8 trace."""
    n_rows, n_cols = x.shape
    cost = np.full((n_rows + 1, n_cols + 1), np.inf, dtype=np.float64)
    trace = np.full((n_rows + 1, n_cols + 1), -1, dtype=np.int8)
    cost[0, 0] = 0
    # row-major order visits cells in a different order than whisper's column loop, but every
    # cell only reads its up, left and diagonal neighbours, which both orders fill first
    for i in range(1, n_rows + 1):
        for j in range(1, n_cols + 1):
            stay = left_penalty[j - 1] if i < n_rows else 0.0
            c0 = cost[i - 1, j - 1]
            c1 = cost[i - 1, j]
            c2 = cost[i, j - 1] + stay  # + 0.0 leaves every value (inf included) as it was
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
    return _backtrace(_fill_trace(x, np.zeros(x.shape[1])))


def dtw_with_gaps(cost: np.ndarray, left_penalty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DTW with the reference's steps and tie-breaks, where staying on a token into column j costs
    left_penalty[j] more, except on the last row (end-of-text, which takes whatever audio follows
    the transcript). cost: float (tokens, columns); returns (rows, columns) of the path."""
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    penalty = np.ascontiguousarray(left_penalty, dtype=np.float64)
    if cost.ndim != 2 or penalty.shape != (cost.shape[1],):
        raise AlignmentError(f"dtw_with_gaps needs cost (tokens, columns) and one penalty per column, "
                             f"got {cost.shape} and {penalty.shape}")
    return _backtrace(_fill_trace(cost, penalty))


def dtw(cost) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotonic path through `cost` (tokens, frames), numpy or torch (any device).

    Returns (text_indices, time_indices): int64 arrays of equal length, starting at (0, 0) and
    ending at (tokens - 1, frames - 1). Runs the numba kernel: copying a CUDA matrix to the host
    (~2 MB for 150 x 1500) is far cheaper than `dtw_torch`'s 1 650 sequential GPU steps
    (about 0.5 s on an H100 against 1-2 ms here).
    """
    return dtw_numba(cost)


def dtw_numba(cost) -> tuple[np.ndarray, np.ndarray]:
    """openai-whisper's `dtw_cpu` path, computed by a cached numba kernel."""
    if _is_torch(cost):
        cost = cost.detach().cpu().double().numpy()
    x = np.ascontiguousarray(cost, dtype=np.float64)
    _check_cost(x.shape)
    return _dtw_kernel(x)


def dtw_torch(cost) -> tuple[np.ndarray, np.ndarray]:
    """The same path as `dtw_numba`, with the recursion run one anti-diagonal at a time in torch.

    Works on any device; the (tokens + frames) sequential steps make it slower than numba on CPU.
    """
    import torch

    x = torch.as_tensor(cost).double()  # (tokens, frames), float64 like whisper's input
    _check_cost(tuple(x.shape))
    n_rows, n_cols = x.shape
    device = x.device
    n_diagonals = n_rows + n_cols + 1
    rows = torch.arange(n_rows + 1, device=device)  # i, the token index of the cost grid
    diagonals = torch.arange(n_diagonals, device=device)
    cols = diagonals[:, None] - rows[None, :]  # (diagonals, rows) j = d - i
    valid = (rows[None, :] >= 1) & (cols >= 1) & (cols <= n_cols)
    # x laid out by anti-diagonal: skewed[d, i] = x[i - 1, d - i - 1]
    skewed = torch.full((n_diagonals, n_rows + 1), float("inf"), dtype=torch.float64, device=device)
    d_idx, i_idx = valid.nonzero(as_tuple=True)
    skewed[d_idx, i_idx] = x[i_idx - 1, cols[d_idx, i_idx] - 1]

    inf = torch.tensor(float("inf"), dtype=torch.float64, device=device)
    cost_skew = torch.full((n_diagonals, n_rows + 1), float("inf"), dtype=torch.float64, device=device)
    cost_skew[0, 0] = 0
    trace_skew = torch.full((n_diagonals, n_rows + 1), -1, dtype=torch.int8, device=device)
    for d in range(2, n_diagonals):
        c0 = cost_skew[d - 2, :-1]  # (i - 1, j - 1)
        c1 = cost_skew[d - 1, :-1]  # (i - 1, j)
        c2 = cost_skew[d - 1, 1:]  # (i, j - 1)
        take_diagonal = (c0 < c1) & (c0 < c2)
        take_up = ~take_diagonal & (c1 < c0) & (c1 < c2)
        best = torch.where(take_diagonal, c0, torch.where(take_up, c1, c2))
        step = torch.where(take_diagonal, 0, torch.where(take_up, 1, 2)).to(torch.int8)
        total = skewed[d, 1:] + best
        cost_skew[d, 1:] = torch.where(valid[d, 1:], total, inf)
        trace_skew[d, 1:] = step

    # back to the (tokens + 1, frames + 1) grid for the shared backtrace
    grid_rows = torch.arange(n_rows + 1, device=device)[:, None]
    grid_cols = torch.arange(n_cols + 1, device=device)[None, :]
    trace = trace_skew[grid_rows + grid_cols, grid_rows.expand(-1, n_cols + 1)]
    return _backtrace(np.ascontiguousarray(trace.cpu().numpy()))


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
