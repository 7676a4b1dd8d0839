"""Models shared by every browser session, analyses kept per session.

A model is loaded once per (name, device) for the whole server (`st.cache_resource`); its lock makes
sessions take turns. Audio and analyses live only in the session that brought them (session state, in
memory), so no session ever sees another's audio.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import streamlit as st

from ..engine.analysis import analyze
from ..engine.loading import LoadedModel, load_model
from ..errors import WhisperVizError
from ..results import AnalysisResult

MAX_AUDIO_SECONDS = 10 * 60.0  # longest clip the app accepts (the library's own limit is 2 h)
MAX_MODELS = 3  # (name, device) pairs kept loaded on the server
KEPT_ANALYSES = 3  # analyses one session keeps, so switching back and forth does not re-run the model
_ANALYSES = "_analyses"


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse and how: the audio (encoded file bytes) and the model options."""

    audio: bytes = field(repr=False)  # encoded file (WAV, FLAC, OGG, MP3) as uploaded or recorded
    audio_name: str  # file name shown to the user
    model: str  # registry name or local path
    device: str  # "auto" | "cpu" | "cuda"
    language: str | None  # None = detect
    text: str | None  # transcript to align (forced mode), None = recognise

    @cached_property
    def key(self) -> tuple:
        """Identity of the analysis: same audio bytes and options give the same result."""
        digest = hashlib.sha256(self.audio).hexdigest()
        return (digest, self.model, self.device, self.language, self.text)


@st.cache_resource(show_spinner=False, max_entries=MAX_MODELS)
def shared_model(name: str, device: str) -> LoadedModel:
    """The model `name` on `device`, loaded once for every session (errors are not cached)."""
    return load_model(name, device=device)


def _store() -> OrderedDict:
    return st.session_state.setdefault(_ANALYSES, OrderedDict())


def cached_analysis(request: AnalysisRequest) -> AnalysisResult | None:
    """This session's result for `request`, if it was analysed already."""
    result = _store().get(request.key)
    if result is not None:
        _store().move_to_end(request.key)
    return result


def run_analysis(request: AnalysisRequest) -> AnalysisResult | None:
    """Load the model and analyse the audio with progress shown; None (with the error shown) on failure."""
    result = cached_analysis(request)
    if result is not None:
        return result
    with st.status(f"Analysing {request.audio_name} with {request.model}…", expanded=True) as status:
        try:
            started = time.perf_counter()
            st.write(f"Loading model {request.model} ({request.device})…")
            model = shared_model(request.model, request.device)
            st.write(f"Model ready on {model.device} ({time.perf_counter() - started:.1f} s). "
                     "Transcribing and capturing every head's attention…")
            started = time.perf_counter()
            result = analyze(model, request.audio, language=request.language, text=request.text,
                             max_seconds=MAX_AUDIO_SECONDS)
        except WhisperVizError as error:
            status.update(label=f"Could not analyse {request.audio_name}", state="error")
            st.error(str(error))
            return None
        except Exception as error:  # noqa: BLE001 - the page must survive anything a user uploads
            status.update(label=f"Could not analyse {request.audio_name}", state="error")
            st.error(f"Unexpected error while analysing the audio ({type(error).__name__}: {error}).")
            return None
        status.update(label=f"Analysed {request.audio_name}: {result.duration:.1f} s in "
                            f"{time.perf_counter() - started:.1f} s", state="complete", expanded=False)
    store = _store()
    store[request.key] = result
    while len(store) > KEPT_ANALYSES:
        store.popitem(last=False)
    return result
