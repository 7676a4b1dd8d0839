"""Where the audio holds speech energy, judged against the clip's own loud level and noise floor.

One threshold per clip: a frame is voiced when it is within VOICED_BELOW_PEAK_DB of the clip's loud frames
and VOICED_ABOVE_FLOOR_DB above its noise floor, so gain and a steady noise level do not matter. `silence`
turns the same threshold into a soft score in [0, 1] for the aligner's pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import HOP_LENGTH, SAMPLES_PER_ENCODER_FRAME

EDGE_HOP = HOP_LENGTH  # samples per voicing frame used to place word edges (10 ms)
PEAK_PERCENTILE = 99.0  # the clip's loud level: this percentile of frame energies (dB)
FLOOR_PERCENTILE = 5.0  # the clip's noise floor
VOICED_BELOW_PEAK_DB = 40.0  # a frame this far below the loud level is silence ...
VOICED_ABOVE_FLOOR_DB = 8.0  # ... and so is one less than this above the noise floor
SILENCE_RAMP_DB = 10.0  # `silence` rises from 0 at the threshold to 1 this far below it
POWER_FLOOR = 1e-12  # added to the mean square before log10 (digital silence is -120 dB)
DIGITAL_SILENCE_DB = -100.0  # frames this quiet are exact (or dithered) zeros: they do not set the noise floor
FLATNESS_WINDOW = 512  # samples per spectrum (32 ms, Hann) for the spectral flatness of a 20 ms frame
FLATNESS_BAND = (10, 128)  # FFT bins kept: ~310 Hz to 4 kHz, where speech has its harmonics and formants
FLATNESS_SMOOTH_FRAMES = 7  # median over this many frames: a fricative is brief, a cough or breath lasts
NOISY_FROM, NOISY_TO = 0.3, 0.5  # flatness where `noisiness` starts rising and where it reaches 1


@dataclass(frozen=True)
class Loudness:
    """Per-frame energy of a clip and its speech threshold."""

    hop: int  # samples per frame (16 kHz)
    db: np.ndarray  # float64 (frames,): mean power of each frame of `hop` samples from sample 0, dB
    threshold: float  # dB: frames above it are voiced

    @property
    def voiced(self) -> np.ndarray:
        """bool (frames,): frames above the threshold."""
        return self.db > self.threshold

    def silence(self) -> np.ndarray:
        """float64 (frames,) in [0, 1]: 0 at or above the threshold, 1 SILENCE_RAMP_DB or more below it."""
        return np.clip((self.threshold - self.db) / SILENCE_RAMP_DB, 0.0, 1.0)


def frame_db(audio: np.ndarray, hop: int) -> np.ndarray:
    """float64 (frames,): mean power in dB of each run of `hop` samples (the last one zero-padded)."""
    n = len(audio) // hop + 1
    padded = np.zeros(n * hop, np.float64)
    padded[: len(audio)] = audio
    return 10 * np.log10((padded.reshape(n, hop) ** 2).mean(axis=1) + POWER_FLOOR)


def loudness(audio: np.ndarray, hop: int = SAMPLES_PER_ENCODER_FRAME, threshold: float | None = None) -> Loudness:
    """Energy of `audio` (float32 16 kHz) in frames of `hop` samples, with the clip's speech threshold
    (or `threshold`, e.g. one measured at another hop, so 10 ms and 20 ms frames agree)."""
    db = frame_db(audio, hop)
    if threshold is None:
        coarse = frame_db(audio, SAMPLES_PER_ENCODER_FRAME)  # the threshold is set on 20 ms frames at every hop
        recorded = coarse[coarse > DIGITAL_SILENCE_DB]  # inserted digital silence must not lower the floor
        recorded = recorded if len(recorded) else coarse
        loud, floor = np.percentile(recorded, PEAK_PERCENTILE), np.percentile(recorded, FLOOR_PERCENTILE)
        threshold = float(max(loud - VOICED_BELOW_PEAK_DB, floor + VOICED_ABOVE_FLOOR_DB))
    return Loudness(hop, db, threshold)


def noisiness(audio: np.ndarray, hop: int = SAMPLES_PER_ENCODER_FRAME) -> np.ndarray:
    """float64 (frames,) in [0, 1]: how noise-like (flat-spectrum) each frame of `hop` samples is, over
    FLATNESS_SMOOTH_FRAMES frames. Voiced speech has harmonics (flatness ~0.02-0.1); a cough, a breath, a
    bang or hiss is flat (~0.3-0.6), so sound no word explains can be told from speech."""
    n = len(audio) // hop + 1
    padded = np.zeros(n * hop + FLATNESS_WINDOW, np.float64)
    padded[: len(audio)] = audio
    frames = np.lib.stride_tricks.sliding_window_view(padded, FLATNESS_WINDOW)[::hop][:n]  # (frames, window)
    power = np.abs(np.fft.rfft(frames * np.hanning(FLATNESS_WINDOW), axis=1)) ** 2
    power = power[:, FLATNESS_BAND[0]:FLATNESS_BAND[1]] + POWER_FLOOR  # (frames, bins)
    flatness = np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)
    half = FLATNESS_SMOOTH_FRAMES // 2
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(np.pad(flatness, half, mode="edge"),
                                                               FLATNESS_SMOOTH_FRAMES), axis=1)
    return np.clip((smooth - NOISY_FROM) / (NOISY_TO - NOISY_FROM), 0.0, 1.0)


def voiced_frames(audio: np.ndarray, hop: int = SAMPLES_PER_ENCODER_FRAME) -> np.ndarray:
    """bool (frames,): True where a frame of `hop` samples (from sample 0) holds speech energy."""
    return loudness(audio, hop).voiced
