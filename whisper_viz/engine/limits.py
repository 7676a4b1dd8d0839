"""Bounds on one analysis (windows, tokens per window, wall time) and the progress it reports.

`analyze` checks its bounds between decoding steps, so no input makes it run without end: a window
decodes at most `max_tokens_per_window` tokens, the seek through the audio takes at most `max_windows`
windows, and past `max_wall_seconds` of compute the analysis stops with a `LimitExceeded` error.
A progress callback sees where the analysis is; raising from it cancels the analysis.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from ..constants import CHUNK_LENGTH
from ..errors import LimitExceeded
from .audio import MAX_AUDIO_SECONDS

WINDOWS_PER_CHUNK = 3  # default window bound: this many windows per 30 s of audio, plus EXTRA_WINDOWS
EXTRA_WINDOWS = 2
PROGRESS_EVERY_SECONDS = 0.25  # a progress callback is called at most this often during decoding
LOCK_POLL_SECONDS = 0.25  # while waiting for the model, the progress callback is called this often


@dataclass(frozen=True)
class AnalysisLimits:
    """How much work one analysis may do; `None` picks the default described on each field."""

    max_audio_seconds: float = MAX_AUDIO_SECONDS  # longer audio is refused before it is decoded
    max_tokens_per_window: int | None = None  # tokens sampled per 30 s window; None: half the text context (224)
    max_windows: int | None = None  # None: WINDOWS_PER_CHUNK per 30 s of audio + EXTRA_WINDOWS
    max_wall_seconds: float | None = None  # seconds of compute (waiting for the model excluded); None: no bound
    wall_seconds_per_audio_second: float = 0.0  # added to max_wall_seconds per second of audio

    def wall_bound(self, audio_seconds: float) -> float | None:
        """Seconds of compute allowed for `audio_seconds` of audio, None for no bound."""
        if self.max_wall_seconds is None:
            return None
        return self.max_wall_seconds + self.wall_seconds_per_audio_second * audio_seconds

    def window_bound(self, audio_seconds: float) -> int:
        """Windows the seek may take through `audio_seconds` of audio (openai-whisper usually needs one per
        20-30 s; many more means decoding is not advancing, as on noise or corrupt audio)."""
        if self.max_windows is not None:
            return self.max_windows
        return WINDOWS_PER_CHUNK * max(1, math.ceil(audio_seconds / CHUNK_LENGTH)) + EXTRA_WINDOWS


@dataclass(frozen=True)
class AnalysisProgress:
    """Where an analysis is, as its progress callback sees it."""

    audio_seconds: float  # length of the audio
    seconds_done: float  # audio before the current window's start
    windows_done: int  # windows finished
    tokens: int  # tokens decoded so far in the current window
    elapsed: float  # seconds of compute so far
    waiting: bool = False  # True while waiting for the model (another analysis is running on it)

    @property
    def fraction(self) -> float:
        """Rough fraction done, in [0, 1]."""
        if self.audio_seconds <= 0:
            return 0.0
        return min(1.0, self.seconds_done / self.audio_seconds)


ProgressCallback = Callable[[AnalysisProgress], None]


@contextmanager
def model_turn(lock: threading.Lock, audio_seconds: float, progress: ProgressCallback | None = None):
    """Hold `lock` (the model's) for the block; while another analysis holds it, tell `progress` every
    LOCK_POLL_SECONDS that this one is waiting (the callback may raise to give up waiting)."""
    while not lock.acquire(timeout=LOCK_POLL_SECONDS):
        if progress is not None:
            progress(AnalysisProgress(audio_seconds, 0.0, 0, 0, 0.0, waiting=True))
    try:
        yield
    finally:
        lock.release()


class AnalysisWatch:
    """Enforces `limits` while an analysis runs and reports its progress (throttled)."""

    def __init__(self, limits: AnalysisLimits, audio_seconds: float, progress: ProgressCallback | None = None):
        self.limits = limits
        self.audio_seconds = audio_seconds
        self.progress = progress
        self.max_windows = limits.window_bound(audio_seconds)
        self.max_wall = limits.wall_bound(audio_seconds)
        self.started = time.monotonic()
        self.windows_done = 0
        self.seconds_done = 0.0
        self._last_report = -math.inf

    def start_window(self, offset: float) -> None:
        """Before a window at `offset` seconds: stop if the window bound is reached."""
        if self.windows_done >= self.max_windows:
            raise LimitExceeded(
                f"Decoding made too little progress: {self.audio_seconds:.1f} s of audio needed more than "
                f"{self.max_windows} window(s) of 30 s and was stopped at {offset:.1f} s. The audio may be "
                "noise or corrupt; try a cleaner clip, or paste its transcript (forced mode).")
        self.seconds_done = offset
        self.step(0, force=True)

    def end_window(self) -> None:
        self.windows_done += 1

    def step(self, tokens: int, force: bool = False) -> None:
        """During decoding (after `tokens` tokens of the current window): check the wall time, report progress."""
        now = time.monotonic()
        elapsed = now - self.started
        wall = self.max_wall
        if wall is not None and elapsed > wall:
            raise LimitExceeded(
                f"The analysis took longer than its limit of {wall:.3g} s and was stopped after "
                f"{self.seconds_done:.0f} s of {self.audio_seconds:.0f} s of audio; analyse a shorter clip "
                "or use a smaller model.")
        if self.progress is not None and (force or now - self._last_report >= PROGRESS_EVERY_SECONDS):
            self._last_report = now
            self.progress(AnalysisProgress(self.audio_seconds, self.seconds_done, self.windows_done, tokens, elapsed))
