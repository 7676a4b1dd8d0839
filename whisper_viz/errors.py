"""Errors raised by whisper-viz. Each message says what went wrong and what the user can do."""


class WhisperVizError(Exception):
    """Base class of every error whisper-viz raises on purpose."""


class AudioError(WhisperVizError, ValueError):
    """The audio cannot be read or used (empty, corrupt, unsupported, too long, non-finite)."""


class ModelNotFound(WhisperVizError, LookupError):
    """No model with that name or path is installed."""


class WeightsError(WhisperVizError):
    """A model file exists but cannot be read or converted."""


class HeadSetError(WhisperVizError, ValueError):
    """A head set (mask, dump, pair list or text) is malformed or does not fit the model."""


class AlignmentError(WhisperVizError, ValueError):
    """Attention cannot be aligned (wrong shape, more tokens than frames, empty head set)."""


class ReferenceFormatError(WhisperVizError, ValueError):
    """A reference word-timing file (JSON, CSV, TextGrid, SRT, VTT) cannot be parsed."""


class DecodingError(WhisperVizError, ValueError):
    """Decoding options are invalid (unknown language, forced text too long for a window)."""


class DeviceError(WhisperVizError, RuntimeError):
    """The requested device (e.g. CUDA) is not available here."""


class ExportError(WhisperVizError, ValueError):
    """Results cannot be written in the requested format."""


class FigureExportError(WhisperVizError, RuntimeError):
    """A figure cannot be rendered to PNG here (kaleido or a Chrome/Chromium binary is missing)."""


class EngineError(WhisperVizError, RuntimeError):
    """Clips cannot be scored where asked (Ray not installed, cluster unreachable, unknown engine)."""


class LimitExceeded(WhisperVizError, RuntimeError):
    """An analysis passed one of its bounds (windows, wall time, memory) and was stopped."""


class AnalysisCancelled(WhisperVizError):
    """An analysis was cancelled before it finished (by the user, or because its page went away)."""
