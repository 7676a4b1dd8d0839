"""whisper-viz: see where Whisper listens. Transcribe, capture every head's cross-attention, align words."""

from .errors import (AlignmentError, AudioError, DecodingError, DeviceError, HeadSetError, ModelNotFound,
                     ReferenceFormatError, WeightsError, WhisperVizError)
from .alignment import AlignmentOptions, align_window, align_words
from .analysis import analyze
from .heads import HeadSet, parse_heads
from .loading import LoadedModel, load_model
from .results import AnalysisResult, Segment, Token, WindowCapture, WordTiming
from .weights import available_models
