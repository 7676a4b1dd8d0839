"""Where the audio holds speech energy: per-frame voicing from the clip's own loud level and noise floor."""

from __future__ import annotations

import numpy as np

from ..constants import HOP_LENGTH, SAMPLES_PER_ENCODER_FRAME

EDGE_HOP = HOP_LENGTH  # samples per voicing frame used to place word edges (10 ms)
PEAK_PERCENTILE = 99.0  # the clip's loud level: this percentile of frame energies (dB)
FLOOR_PERCENTILE = 5.0  # the clip's noise floor
VOICED_BELOW_PEAK_DB = 40.0  # a frame this far below the loud level is silence ...
VOICED_ABOVE_FLOOR_DB = 8.0  # ... and so is one less than this above the noise floor


def voiced_frames(audio: np.ndarray, hop: int = SAMPLES_PER_ENCODER_FRAME) -> np.ndarray:
    """bool (frames,): True where a frame of `hop` samples (from sample 0) holds speech energy.

    Relative thresholds: a frame is voiced when it is within VOICED_BELOW_PEAK_DB of the clip's
    loud frames and VOICED_ABOVE_FLOOR_DB above its noise floor, so gain and noise level do not matter.
    """
    n = len(audio) // hop + 1
    padded = np.zeros(n * hop, np.float64)
    padded[: len(audio)] = audio
    power_db = 10 * np.log10((padded.reshape(n, hop) ** 2).mean(axis=1) + 1e-12)  # (frames,)
    loud, floor = np.percentile(power_db, PEAK_PERCENTILE), np.percentile(power_db, FLOOR_PERCENTILE)
    return power_db > max(loud - VOICED_BELOW_PEAK_DB, floor + VOICED_ABOVE_FLOOR_DB)


def dilate(mask: np.ndarray, frames: int) -> np.ndarray:
    """bool (n,): `mask` widened by `frames` on each side."""
    out = mask.copy()
    for k in range(1, frames + 1):
        out[k:] |= mask[:-k]
        out[:-k] |= mask[k:]
    return out
