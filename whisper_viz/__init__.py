"""whisper-viz: see where Whisper listens. Transcribe, capture every head's cross-attention, align words.

The stages, one folder each, in the order they import one another (a folder imports only those above it):
  constants, errors, results, heads   numbers, errors, result dataclasses and head sets every stage shares
  weights/      where models come from: registry, CTranslate2 reader, converted-checkpoint cache
  alignment/    captured attention -> per-head matrices -> DTW -> word timings (reference and tuned presets)
  engine/       audio -> mel -> model -> decoding -> capture -> analyze() (uses alignment for official words)
  evaluation/   reference timings, the one word-boundary metric, head scoring and discovery
  experiments/  silence insertion and sweeps
  figures/, export/   Plotly figures; word, head and attention files
  cli/, ui/     the whisper-viz command; the Streamlit app (the only Streamlit code)
Names below load on first use, so `import whisper_viz` does not import torch or numba.
"""

from .lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "WhisperVizError": "errors", "AudioError": "errors", "ModelNotFound": "errors", "WeightsError": "errors",
    "HeadSetError": "errors", "AlignmentError": "errors", "ReferenceFormatError": "errors",
    "DecodingError": "errors", "DeviceError": "errors", "ExportError": "errors", "FigureExportError": "errors",
    "EngineError": "errors", "LimitExceeded": "errors", "AnalysisCancelled": "errors",
    "AnalysisResult": "results", "Segment": "results", "Token": "results", "WindowCapture": "results",
    "WordTiming": "results",
    "HeadSet": "heads", "parse_heads": "heads",
    "available_models": "weights.registry",
    "LoadedModel": "engine.loading", "load_model": "engine.loading",
    "analyze": "engine.analysis", "AnalysisLimits": "engine.limits", "AnalysisProgress": "engine.limits",
    "AlignmentOptions": "alignment.options", "align_window": "alignment.window",
    "align_words": "alignment.presets", "PRESETS": "alignment.presets",
})
