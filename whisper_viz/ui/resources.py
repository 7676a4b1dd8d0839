"""Models and analyses shared by every browser session, and what each session keeps.

A model is loaded once per (name, device) for the whole server (`st.cache_resource`); its lock makes
sessions take turns running it. Analyses are shared by content (engine.shared_analyses): the same audio
bytes, model and options give every session the same read-only result, computed once even when
sessions ask together, in a memory-budgeted LRU; so is what is derived from a result alone (figures,
scores). A session's own memory (its recent analyses, silence experiments) has a budget of its own.
Long work shows its progress and can be cancelled; every analysis is bounded (APP_LIMITS).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import cached_property

import streamlit as st

from ..budget_cache import BudgetCache
from ..engine.limits import AnalysisLimits, AnalysisProgress
from ..engine.loading import LoadedModel, load_model
from ..engine.shared_analyses import SharedAnalyses
from ..errors import WhisperVizError
from ..results import AnalysisResult

MAX_AUDIO_SECONDS = 10 * 60.0  # longest clip the app accepts (the library's own limit is 2 h)
# compute one analysis may take before it is stopped: 30 s + 0.4 s per second of audio (270 s for 10 min).
# tiny.en takes ~0.03 s per second of speech on 2 quiet cores, base about twice that; a 3 s tone on which
# the decoder hallucinates 224 tokens per window took over 60 s on this machine when other work crowded it
ANALYSIS_WALL_SECONDS = 30.0
ANALYSIS_WALL_SECONDS_PER_AUDIO_SECOND = 0.4
APP_LIMITS = AnalysisLimits(max_audio_seconds=MAX_AUDIO_SECONDS, max_wall_seconds=ANALYSIS_WALL_SECONDS,
                            wall_seconds_per_audio_second=ANALYSIS_WALL_SECONDS_PER_AUDIO_SECOND)
MAX_MODELS = 3  # (name, device) pairs kept loaded on the server
SHARED_ANALYSES_BYTES = 1 << 30  # analyses shared by all sessions (a 10 min clip: ~0.2 GB tiny.en, ~0.45 GB base)
SHARED_DERIVED_BYTES = 512 << 20  # figures, thumbnails, scores and aligned views derived from them
SESSION_BUDGET_BYTES = 1 << 30  # what one session keeps alive: its analyses and silence experiments
_MEMORY = "_session_memory"
_CANCELLED = "_cancelled_analysis"


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse and how: the audio (encoded file bytes) and the model options."""

    audio: bytes = field(repr=False)  # encoded file (WAV, FLAC, OGG, MP3) as uploaded or recorded
    audio_name: str  # file name shown to the user
    model: str  # what load_model is given: a registry name, or an operator-allowed path
    device: str  # "auto" | "cpu" | "cuda"
    language: str | None  # None = detect
    text: str | None  # transcript to align (forced mode), None = recognise
    model_label: str = ""  # the model's name as the visitor picked it (default: `model`)

    @cached_property
    def key(self) -> tuple:
        """Identity of the analysis: same audio bytes and options give the same result."""
        digest = hashlib.sha256(self.audio).hexdigest()
        return (digest, self.model, self.device, self.language, self.text)

    @property
    def label(self) -> str:
        return self.model_label or self.model


@st.cache_resource(show_spinner=False, max_entries=MAX_MODELS)
def shared_model(name: str, device: str) -> LoadedModel:
    """The model `name` on `device`, loaded once for every session (errors are not cached)."""
    return load_model(name, device=device)


@st.cache_resource(show_spinner=False)
def shared_analyses() -> SharedAnalyses:
    """The server's one store of analyses and their derived values."""
    return SharedAnalyses(SHARED_ANALYSES_BYTES, SHARED_DERIVED_BYTES)


def session_memory() -> BudgetCache:
    """What this session keeps alive, least recently used first out, within SESSION_BUDGET_BYTES."""
    return st.session_state.setdefault(_MEMORY, BudgetCache(SESSION_BUDGET_BYTES))


def cached_analysis(request: AnalysisRequest) -> AnalysisResult | None:
    """This session's result for `request`, if it was analysed already."""
    return session_memory().get(("analysis", request.key))


def run_analysis(request: AnalysisRequest) -> AnalysisResult | None:
    """The analysis of `request`: this session's, another session's (shared), or computed now with progress
    and a Cancel button; None (with the reason shown) on failure or cancel."""
    result = cached_analysis(request)
    if result is not None:
        return result
    if st.session_state.get(_CANCELLED) == request.key:
        st.info(f"The analysis of {request.audio_name} was cancelled.")
        st.button("Analyse it again", key="analyse_again", on_click=st.session_state.pop, args=(_CANCELLED, None))
        return None
    try:
        model = shared_model(request.model, request.device)
        shared = shared_analyses()
        result = shared.cached(model, request.audio, request.language, request.text)
        if result is None:
            result = _analyse_with_progress(shared, model, request)
    except WhisperVizError as error:
        st.error(str(error))
        return None
    except Exception as error:  # noqa: BLE001 - the page must survive anything a user uploads
        # (Streamlit's stop and rerun signals, e.g. from the Cancel button, are BaseExceptions: they pass)
        st.error(f"Unexpected error while analysing the audio ({type(error).__name__}: {error}).")
        return None
    session_memory().put(("analysis", request.key), result)
    return result


def _analyse_with_progress(shared: SharedAnalyses, model: LoadedModel, request: AnalysisRequest) -> AnalysisResult:
    """Analyse with a progress bar and a Cancel button (it reruns the page, which stops the analysis at its
    next progress report, and marks the request cancelled)."""
    box = st.empty()
    with box.container():
        bar = st.progress(0.0, text=f"Analysing {request.audio_name} with {request.label}…")
        st.button("Cancel", key=f"cancel_analysis_{request.key[0][:12]}", on_click=st.session_state.__setitem__,
                  args=(_CANCELLED, request.key))

    def progress(p: AnalysisProgress) -> None:
        if p.waiting:
            bar.progress(0.0, text=f"Waiting for {request.label}: another analysis is running on it…")
        else:
            bar.progress(p.fraction, text=f"Analysing {request.audio_name}: {p.seconds_done:.0f} of "
                                          f"{p.audio_seconds:.0f} s, window {p.windows_done + 1}, "
                                          f"{p.tokens} tokens ({p.elapsed:.0f} s)")

    def waiting() -> None:
        bar.progress(0.0, text=f"Another session is analysing {request.audio_name} with {request.label}; "
                               "its result will be shared…")

    started = time.perf_counter()
    try:
        result = shared.analyze(model, request.audio, request.language, request.text, limits=APP_LIMITS,
                                progress=progress, on_wait=waiting)
    finally:
        box.empty()
    st.toast(f"Analysed {request.audio_name}: {result.duration:.1f} s of audio in "
             f"{time.perf_counter() - started:.1f} s")
    return result


def keep_in_session(key, value) -> None:
    """Keep `value` (with an `nbytes`) alive in this session's memory under `key`."""
    session_memory().put(key, value)


def kept_in_session(key):
    """The value kept under `key`, or None (never kept, or dropped for the session's budget)."""
    return session_memory().get(key)
