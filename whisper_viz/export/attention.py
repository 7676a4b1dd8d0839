"""Captured attention as an NPZ file: every window's cross-attention, token ids and frame times."""

import io

import numpy as np

from ..constants import SECONDS_PER_ENCODER_FRAME
from ..results import AnalysisResult


def attention_npz(result: AnalysisResult) -> bytes:
    """NPZ with window 0's `attention` float16 (layers, heads, tokens, frames), `token_ids`, `frame_seconds`,
    and `context_attention` float16 (layers, heads, rows, frames) with `context_ids`: the rows read at the
    start-of-transcript tokens and at end-of-text, which join the per-frame normalization (so the app's normalized and
    filtered matrices can be rebuilt from the file).

    Audio longer than 30 s adds the same arrays with the suffix `_<i>` for every further window i, and
    `window_offsets` (seconds).
    """
    arrays = {}
    for window in result.windows:
        seconds = window.offset + np.arange(window.num_frames) * SECONDS_PER_ENCODER_FRAME
        ids = np.array([t.id for t in window.tokens], dtype=np.int64)
        suffix = "" if window.index == 0 else f"_{window.index}"
        arrays |= {f"attention{suffix}": window.attention, f"token_ids{suffix}": ids, f"frame_seconds{suffix}": seconds}
        if window.context_attention is not None:
            # rows: where the decoder read each start-of-transcript token, then the end-of-text token
            arrays[f"context_attention{suffix}"] = window.context_attention
            arrays[f"context_ids{suffix}"] = np.array([*window.sot_sequence, window.tokens[-1].id], dtype=np.int64)
    if len(result.windows) > 1:
        arrays["window_offsets"] = np.array([w.offset for w in result.windows])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
