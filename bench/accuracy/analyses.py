"""Analyses of benchmark clips, cached on disk, so searches and benchmarks re-align without re-running the model.

A cached analysis is keyed by the model, the mode and a hash of the audio samples and the forced text; it
lives under bench/out/analyses/ (git-ignored) as a pickle of the AnalysisResult (the key's version changes
when what `analyze` returns does).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

from whisper_viz.engine.analysis import analyze
from whisper_viz.engine.audio import load_audio
from whisper_viz.engine.loading import LoadedModel
from whisper_viz.errors import WhisperVizError
from whisper_viz.results import AnalysisResult

CACHE = Path(__file__).resolve().parents[1] / "out" / "analyses"
MODES = ("recognition", "forced")


def language_for(model: LoadedModel, clip_language: str) -> str | None:
    """The language to decode a clip in: its own on multilingual models, None (English) on English-only ones."""
    return clip_language.split("-")[0] if model.is_multilingual else None


def cached_analysis(model: LoadedModel, audio: np.ndarray, mode: str, text: str, language: str | None,
                    cache: Path = CACHE) -> AnalysisResult | None:
    """`analyze` of float32 16 kHz `audio` in `mode` ("recognition" or "forced" on `text`); None when the model
    refuses the clip (e.g. a transcript too long for a window), so a benchmark can report and go on."""
    key = hashlib.sha256(np.ascontiguousarray(audio, np.float32).tobytes())
    key.update(f"|v2|{model.name}|{mode}|{language}|{text if mode == 'forced' else ''}".encode())
    path = cache / model.name / f"{key.hexdigest()[:24]}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    try:
        result = analyze(model, audio, language=language, text=text if mode == "forced" else None)
    except WhisperVizError:
        result = None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(result))
    return result


def clip_analysis(model: LoadedModel, clip, mode: str, cache: Path = CACHE) -> AnalysisResult | None:
    """The cached analysis of a BenchmarkClip (dataset.py) in `mode`."""
    if not model.is_multilingual and not clip.language.startswith("en"):
        return None  # an English-only model has nothing to say about other languages
    return cached_analysis(model, load_audio(clip.path), mode, clip.text, language_for(model, clip.language), cache)
