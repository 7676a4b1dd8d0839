"""The error classes: one base to catch them all, the built-in kind each also is, and messages that say what to do."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz import errors
from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.engine.audio import load_audio
from whisper_viz.engine.loading import pick_device
from whisper_viz.evaluation.references import read_reference
from whisper_viz.heads import parse_heads
from whisper_viz.weights.ctranslate2 import read_ctranslate2_whisper
from whisper_viz.weights.registry import resolve_source

ERROR_CLASSES = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if cls.__module__ == errors.__name__]
# the built-in kind each error also is, so code that catches ValueError or LookupError keeps working
BUILTIN_KIND = {"AudioError": ValueError, "ModelNotFound": LookupError, "HeadSetError": ValueError,
                "AlignmentError": ValueError, "ReferenceFormatError": ValueError, "DecodingError": ValueError,
                "DeviceError": RuntimeError, "ExportError": ValueError, "FigureExportError": RuntimeError,
                "EngineError": RuntimeError, "LimitExceeded": RuntimeError, "AnalysisCancelled": Exception}


def test_every_error_is_a_whisper_viz_error_of_its_builtin_kind_and_exported():
    assert {cls.__name__ for cls in ERROR_CLASSES} == {"WhisperVizError", "WeightsError", *BUILTIN_KIND}
    for cls in ERROR_CLASSES:
        assert issubclass(cls, errors.WhisperVizError) and cls.__doc__, cls
        assert issubclass(cls, BUILTIN_KIND.get(cls.__name__, Exception)), cls
        assert getattr(wv, cls.__name__) is cls  # `wv.AudioError` is the class the code raises


def test_error_classes_are_defined_only_in_errors_py():
    package = Path(errors.__file__).parent
    elsewhere = [(path.name, node.name) for path in package.rglob("*.py") if path.name != "errors.py"
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "").endswith(("Error", "Exception"))
                                                           for b in node.bases)]
    assert not elsewhere


@pytest.mark.parametrize("fail, error, message", [
    (lambda: load_audio(b""), wv.AudioError, "the audio data is empty (0 bytes); upload a non-empty audio file"),
    (lambda: load_audio(np.full(100, np.inf, np.float32)), wv.AudioError, "finite"),
    (lambda: resolve_source("huge"), wv.ModelNotFound,
     "No model called 'huge'. Installed models: tiny.en, base. Or give the path of a CTranslate2 Whisper folder"),
    (lambda: read_ctranslate2_whisper(b"\x06\x00"), wv.WeightsError, "is truncated"),
    (lambda: parse_heads("9:0", (4, 6)), wv.HeadSetError, "out of range"),
    (lambda: AlignmentOptions(medfilt_width=4), wv.AlignmentError,
     "medfilt_width must be a positive odd number of frames, got 4"),
    (lambda: read_reference(b'{"word": "hi"}', "ref.json"), wv.ReferenceFormatError, "JSON must be a list of"),
    (lambda: pick_device("tpu"), wv.DeviceError, "Unknown device 'tpu'; use one of auto, cpu, cuda."),
])
def test_messages_say_what_went_wrong_and_what_to_do(fail, error, message):
    with pytest.raises(error) as raised:
        fail()
    assert message in str(raised.value)
    assert isinstance(raised.value, errors.WhisperVizError)  # one `except wv.WhisperVizError` catches it
