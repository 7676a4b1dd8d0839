"""Analyses shared by every caller of a process (the app's browser sessions), keyed on content.

Two requests with the same audio bytes (SHA-256), model, device, language, transcript and task get
the same `AnalysisResult` object, computed once even when they arrive together. Results are read-only
(their arrays are frozen), so sharing them cannot leak one caller's changes into another's view. What
is derived from a result alone (figures, head scores) is shared the same way and dropped with it.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from typing import Callable, Hashable, TypeVar

import numpy as np

from ..budget_cache import BudgetCache, nbytes_of
from ..results import AnalysisResult
from .analysis import analyze
from .limits import AnalysisLimits, ProgressCallback
from .loading import LoadedModel

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisKey:
    """What makes two analyses the same."""

    audio_sha256: str  # hash of the encoded audio bytes
    model: str  # registry name or path the model was loaded from
    device: str  # e.g. "cpu", "cuda:0"
    dtype: str  # e.g. "torch.float32"
    language: str | None  # None: detected
    text: str | None  # transcript aligned in forced mode, None: recognised
    task: str  # "transcribe" | "translate"


def analysis_key(model: LoadedModel, audio: bytes, language: str | None, text: str | None,
                 task: str = "transcribe") -> AnalysisKey:
    return AnalysisKey(hashlib.sha256(audio).hexdigest(), model.name, str(model.device), str(model.dtype),
                       language, text, task)


def freeze(result: AnalysisResult) -> AnalysisResult:
    """Make the result's arrays read-only (in place) so callers sharing it cannot change it; returns it."""
    arrays = [result.audio, result.alignment_heads]
    for window in result.windows:
        arrays += [window.attention] + ([] if window.context_attention is None else [window.context_attention])
    for array in arrays:
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return result


def _derived_nbytes(value) -> int:
    """Bytes of a derived value: its own `nbytes`, or the sum over the arrays among its fields."""
    size = nbytes_of(value)
    if size or not hasattr(value, "__dict__"):
        return size
    return sum(nbytes_of(v) + (len(v) if isinstance(v, bytes) else 0) for v in vars(value).values())


class SharedAnalyses:
    """Content-keyed analyses (at most `analyses_bytes`) and values derived from them (`derived_bytes`)."""

    def __init__(self, analyses_bytes: int, derived_bytes: int):
        self.analyses: BudgetCache[AnalysisResult] = BudgetCache(analyses_bytes)
        self.derived_values: BudgetCache = BudgetCache(derived_bytes, _derived_nbytes)
        self._watched: set[int] = set()  # ids of results whose derived values are dropped when they die
        self._lock = threading.Lock()

    def analyze(self, model: LoadedModel, audio: bytes, language: str | None = None, text: str | None = None, *,
                task: str = "transcribe", limits: AnalysisLimits | None = None,
                progress: ProgressCallback | None = None,
                on_wait: Callable[[], None] | None = None) -> AnalysisResult:
        """`analyze(model, audio, ...)`, computed once per AnalysisKey for every caller (see BudgetCache:
        a caller waiting for another's computation calls `on_wait`)."""
        key = analysis_key(model, audio, language, text, task)
        return self.analyses.get_or_compute(
            key, lambda: freeze(analyze(model, audio, language=language, text=text, task=task, limits=limits,
                                        progress=progress)), on_wait)

    def cached(self, model: LoadedModel, audio: bytes, language: str | None = None, text: str | None = None,
               task: str = "transcribe") -> AnalysisResult | None:
        """The shared result of that request if one is cached, else None (nothing runs)."""
        return self.analyses.get(analysis_key(model, audio, language, text, task))

    def derived(self, result: AnalysisResult, key: Hashable, compute: Callable[[], T],
                on_wait: Callable[[], None] | None = None) -> T:
        """The value `compute()` derives from `result` alone under `key` (e.g. ("thumbnails", window,
        options)), computed once for every caller; dropped when `result` is garbage."""
        result_id = id(result)
        with self._lock:
            if result_id not in self._watched:
                self._watched.add(result_id)
                weakref.finalize(result, self._forget, result_id)
        return self.derived_values.get_or_compute((result_id, key), compute, on_wait)

    def _forget(self, result_id: int) -> None:
        self.derived_values.discard(lambda key: key[0] == result_id)
        with self._lock:
            self._watched.discard(result_id)

    def clear(self) -> None:
        self.analyses.clear()
        self.derived_values.clear()
