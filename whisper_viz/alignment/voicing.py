"""Where the audio holds speech energy, judged against the recording's own loud level and noise floor.

A frame is voiced when it is within VOICED_BELOW_PEAK_DB of the loud frames around it and VOICED_ABOVE_FLOOR_DB
above their noise floor, so gain and a steady noise level do not matter. One threshold holds for a clip of up
to LOCAL_SECONDS; a longer one is judged part by part (the LOCAL_SECONDS around each THRESHOLD_STEP_SECONDS),
so a recording whose level or noise changes (another speaker, another room, a phone moved) keeps its pauses
silent. `silence` turns the threshold into a soft score in [0, 1] for the aligner's pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import ENCODER_FRAMES_PER_SECOND, HOP_LENGTH, SAMPLES_PER_ENCODER_FRAME

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
LOCAL_SECONDS = 30.0  # audio a threshold is set on: a whole clip up to this long (one Whisper window) ...
THRESHOLD_STEP_SECONDS = 1.0  # ... else the LOCAL_SECONDS around each block of this many seconds


@dataclass(frozen=True)
class Loudness:
    """Per-frame energy of a clip and its speech threshold."""

    hop: int  # samples per frame (16 kHz)
    db: np.ndarray  # float64 (frames,): mean power of each frame of `hop` samples from sample 0, dB
    threshold: np.ndarray  # float64 (frames,) dB: frames above their threshold are voiced

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


def _threshold(coarse_db: np.ndarray) -> float:
    """dB: the speech threshold of a stretch of 20 ms frames (module docstring)."""
    recorded = coarse_db[coarse_db > DIGITAL_SILENCE_DB]  # inserted digital silence must not lower the floor
    recorded = recorded if len(recorded) else coarse_db
    loud, floor = np.percentile(recorded, PEAK_PERCENTILE), np.percentile(recorded, FLOOR_PERCENTILE)
    return float(max(loud - VOICED_BELOW_PEAK_DB, floor + VOICED_ABOVE_FLOOR_DB))


def speech_threshold(audio: np.ndarray) -> np.ndarray:
    """float64 (20 ms frames,) dB: the threshold of every frame of float32 16 kHz `audio`: one for a clip of
    up to LOCAL_SECONDS, else that of the LOCAL_SECONDS centred on its block (kept inside the clip)."""
    coarse = frame_db(audio, SAMPLES_PER_ENCODER_FRAME)
    span = round(LOCAL_SECONDS * ENCODER_FRAMES_PER_SECOND)
    if len(coarse) <= span + 1:  # frame_db counts a last, partial frame
        return np.full(len(coarse), _threshold(coarse))
    step = round(THRESHOLD_STEP_SECONDS * ENCODER_FRAMES_PER_SECOND)
    threshold = np.empty(len(coarse))
    for start in range(0, len(coarse), step):
        first = min(max(0, start + step // 2 - span // 2), len(coarse) - span)
        threshold[start: start + step] = _threshold(coarse[first: first + span])
    return threshold


def loudness(audio: np.ndarray, hop: int = SAMPLES_PER_ENCODER_FRAME, threshold: np.ndarray | None = None) -> Loudness:
    """Energy of `audio` (float32 16 kHz) in frames of `hop` samples, with its speech threshold per frame
    (`threshold`: one per 20 ms frame, e.g. measured once for frames of several hops, so they agree)."""
    db = frame_db(audio, hop)
    per_coarse = speech_threshold(audio) if threshold is None else np.asarray(threshold, np.float64)
    coarse_of = np.minimum(np.arange(len(db)) * hop // SAMPLES_PER_ENCODER_FRAME, len(per_coarse) - 1)
    return Loudness(hop, db, per_coarse[coarse_of])


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
