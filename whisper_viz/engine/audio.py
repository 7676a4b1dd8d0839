"""Whisper's audio front end: decode a clip to 16 kHz mono float32, then its log-mel spectrogram.

Decoding uses libsndfile (through `soundfile`) and `soxr`; every failure is an `AudioError`.
"""

import io
import math
import numbers
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch
import torch.nn.functional as F

from ..constants import (
    HOP_LENGTH,
    N_FFT,
    N_MELS,
    N_SAMPLES,
    SAMPLE_RATE,
    VALID_N_MELS,
)
from ..errors import AudioError

MAX_AUDIO_SECONDS = 2 * 60 * 60.0  # default duration limit of load_audio (2 hours)
MAX_INPUT_BYTES = 1 << 30  # largest encoded input read (1 GiB)

MIN_SAMPLE_RATE = 1_000  # Hz; below this a header is corrupt rather than speech
MAX_SAMPLE_RATE = 768_000  # Hz; the highest rate real recorders write
MAX_SAMPLE_MAGNITUDE = 1e3  # 60 dB above full scale (±1): no recording is this loud; corrupt or unscaled data
MAX_CHANNELS = 64  # more channels than this means a corrupt header (or a transposed array)
READ_BLOCK_FRAMES = 1 << 16  # frames decoded per read, so memory stays bounded by the output
TRUNCATION_TOLERANCE_SECONDS = 0.1  # a file decoding this much shorter than its header is truncated
TRUNCATION_TOLERANCE_FRACTION = 0.01  # ... or this fraction shorter (MP3 frame counts are estimates)
UNKNOWN_WAV_DATA_SIZES = (0, 0x7FFFFFFF, 0xFFFFFFFF)  # placeholders that streaming WAV writers leave
HEAD_BYTES = 1 << 16  # bytes of a file's start kept for the WAV header check
LOG_FLOOR = 1e-10  # power floor before log10
DYNAMIC_RANGE = 8.0  # log10 units kept below the loudest bin (80 dB)
FORMATS_HINT = "WAV, FLAC, OGG/Vorbis or MP3 (or AIFF, AU, CAF and the other formats libsndfile reads)"


def load_audio(source, *, max_seconds: float = MAX_AUDIO_SECONDS) -> np.ndarray:
    """Decode `source` to float32 mono samples at 16 kHz, shape (samples,).

    `source` is a path, the encoded file's bytes (bytes, bytearray, memoryview or a binary
    file-like object), or a numpy array already at 16 kHz: float or int16, (samples,) or
    (samples, channels). Channels are averaged; other rates are resampled with soxr (HQ).
    Audio longer than `max_seconds` seconds is refused before it is decoded.
    """
    if not (isinstance(max_seconds, numbers.Real) and math.isfinite(max_seconds) and max_seconds > 0):
        raise AudioError(f"max_seconds must be a positive number of seconds, got {max_seconds!r}")
    if isinstance(source, np.ndarray):
        return _from_array(source, max_seconds)
    if isinstance(source, (str, os.PathLike)):
        path = _checked_path(Path(source))
        try:
            with open(path, "rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError as e:
            raise AudioError(f"cannot read audio file {path}: {e.strerror}; check its permissions") from None
        return _decode(str(path), path.name, head, path.stat().st_size, max_seconds)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        try:
            data = source.read(MAX_INPUT_BYTES + 1)
        except (OSError, ValueError) as e:
            raise AudioError(f"could not read the audio stream: {e}") from None
        if not isinstance(data, (bytes, bytearray)):
            raise AudioError("the file-like audio source must be opened in binary mode ('rb')")
    else:
        raise AudioError(
            f"cannot load audio from a {type(source).__name__}; pass a path, the file's bytes, "
            "a binary file object or a numpy array at 16 kHz"
        )
    if len(data) == 0:
        raise AudioError("the audio data is empty (0 bytes); upload a non-empty audio file")
    if len(data) > MAX_INPUT_BYTES:
        raise AudioError(f"the audio data is larger than {MAX_INPUT_BYTES / 2**30:g} GiB; cut or compress it")
    return _decode(io.BytesIO(data), "the uploaded audio", data[:HEAD_BYTES], len(data), max_seconds)


def _checked_path(path: Path) -> Path:
    """Refuse missing, non-file, empty or oversized paths with a message naming the file."""
    if not path.exists():
        raise AudioError(f"audio file not found: {path}; check the path")
    if not path.is_file():
        raise AudioError(f"{path} is a directory or special file, not an audio file")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(f"audio file {path} is empty (0 bytes)")
    if size > MAX_INPUT_BYTES:
        raise AudioError(
            f"audio file {path} is {size / 2**30:.1f} GiB, above the {MAX_INPUT_BYTES / 2**30:g} GiB limit; "
            "cut it or compress it (FLAC, MP3)"
        )
    return path


def _from_array(array: np.ndarray, max_seconds: float) -> np.ndarray:
    """Validate a 16 kHz array, (samples,) or (samples, channels), and mix it to float32 mono."""
    if array.dtype == np.int16:
        audio = array.astype(np.float32) / 32768.0
    elif np.issubdtype(array.dtype, np.floating):
        audio = array.astype(np.float32)
    else:
        raise AudioError(f"audio arrays must be float or int16, got {array.dtype}; convert to float32 in [-1, 1]")
    if audio.ndim == 2:
        if audio.shape[1] > MAX_CHANNELS:
            raise AudioError(
                f"audio array of shape {audio.shape} has more than {MAX_CHANNELS} channels; "
                "expected (samples, channels): transpose it?"
            )
        audio = audio.mean(axis=1)  # (samples,)
    elif audio.ndim != 1:
        raise AudioError(f"audio arrays must be (samples,) or (samples, channels), got shape {array.shape}")
    if audio.size == 0:
        raise AudioError("the audio array has no samples")
    _check_samples(audio, "the audio array")
    _check_duration(audio.size / SAMPLE_RATE, max_seconds, "the audio array")
    return np.ascontiguousarray(audio)


def _check_samples(samples: np.ndarray, label: str) -> None:
    """Refuse NaN, infinite and absurdly large sample values (they would overflow the spectrogram)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0  # NaN if any sample is NaN
    if not math.isfinite(peak):
        raise AudioError(f"{label} contains NaN or infinite samples; the file is corrupt")
    if peak > MAX_SAMPLE_MAGNITUDE:
        raise AudioError(
            f"{label} has samples as large as {peak:.3g}, far outside full scale (±1): the file is corrupt or "
            "was written without scaling; rescale it to [-1, 1] (e.g. divide by its peak) and try again"
        )


def _check_duration(seconds: float, max_seconds: float, label: str) -> None:
    if seconds > max_seconds:
        raise AudioError(
            f"{label} lasts {seconds:.1f} s, above the limit of {max_seconds:g} s; cut it into shorter clips"
        )


def _decode(file, label: str, head: bytes, n_bytes: int, max_seconds: float) -> np.ndarray:
    """Decode an encoded file (path or BytesIO) in bounded blocks to 16 kHz mono float32."""
    try:
        sound = sf.SoundFile(file)
    except (RuntimeError, ValueError, TypeError, OSError) as e:
        reason = getattr(e, "error_string", e)  # libsndfile's reason, without the file object's repr
        raise AudioError(f"{label} is not a readable audio file ({reason}); supported formats: {FORMATS_HINT}") from None
    with sound:
        rate, channels, declared = sound.samplerate, sound.channels, sound.frames
        if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
            raise AudioError(
                f"{label} has a sample rate of {rate} Hz, outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz; "
                "the file is corrupt or not speech audio"
            )
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioError(f"{label} declares {channels} channels (at most {MAX_CHANNELS}); the file is corrupt")
        _check_duration(declared / rate, max_seconds, label)  # from the header: nothing decoded yet
        audio, n_frames = _read_mono(sound, label, max_seconds)
    if n_frames == 0:
        raise AudioError(f"{label} contains no audio samples")
    shortfall = (declared - n_frames) / rate + _wav_missing_seconds(head, n_bytes)
    if shortfall > max(TRUNCATION_TOLERANCE_SECONDS, TRUNCATION_TOLERANCE_FRACTION * declared / rate):
        raise AudioError(
            f"{label} is truncated: its header promises {shortfall:.2f} s more audio than the file holds; "
            "re-export or re-download it"
        )
    return audio


def _read_mono(sound: sf.SoundFile, label: str, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode block by block, averaging channels and resampling as it goes (memory stays bounded by
    the 16 kHz output); returns (samples,) float32 at 16 kHz and the number of frames decoded."""
    rate = sound.samplerate
    resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, quality="HQ")
    blocks = []
    n_frames = 0
    while True:
        try:
            block = sound.read(READ_BLOCK_FRAMES, dtype="float32", always_2d=True)  # (frames, channels)
        except (RuntimeError, ValueError, TypeError, OSError, MemoryError) as e:
            reason = getattr(e, "error_string", e)
            raise AudioError(f"{label} is corrupt: decoding failed after {n_frames} frames ({reason})") from None
        if len(block) == 0:
            break
        n_frames += len(block)
        _check_duration(n_frames / rate, max_seconds, label)  # in case the header under-declared the length
        _check_samples(block, label)
        mono = block.mean(axis=1)  # (frames,)
        blocks.append(mono if resampler is None else resampler.resample_chunk(mono))
    if resampler is not None:
        blocks.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))  # flush the filter
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return audio.astype(np.float32, copy=False), n_frames


def _wav_missing_seconds(head: bytes, n_bytes: int) -> float:
    """Seconds of audio a RIFF/WAVE header's data chunk declares beyond the end of the file (0 if not WAV)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0.0
    byte_rate = 0
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if chunk_id == b"fmt " and pos + 20 <= len(head):
            byte_rate = int.from_bytes(head[pos + 16 : pos + 20], "little")  # average bytes per second
        if chunk_id == b"data":
            if size in UNKNOWN_WAV_DATA_SIZES or byte_rate == 0:
                return 0.0
            return max(0, pos + 8 + size - n_bytes) / byte_rate
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return 0.0


def pad_or_trim(array: np.ndarray | torch.Tensor, length: int = N_SAMPLES, *, axis: int = -1):
    """Zero-pad or cut `array` along `axis` to `length` (default: one 30 s window of 16 kHz samples)."""
    size = array.shape[axis]
    if torch.is_tensor(array):
        if size > length:
            return array.narrow(axis, 0, length)
        if size < length:
            dim = axis % array.ndim
            widths = [0, 0] * (array.ndim - 1 - dim) + [0, length - size]  # F.pad lists the last dim first
            return F.pad(array, widths)
        return array
    if size > length:
        return np.take(array, np.arange(length), axis=axis)
    if size < length:
        widths = [(0, 0)] * array.ndim
        widths[axis] = (0, length - size)
        return np.pad(array, widths)
    return array


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear (3 mels per 200 Hz) below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz * 3.0 / 200.0
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of `_hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * 200.0 / 3.0
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@lru_cache(maxsize=None)
def mel_filters(n_mels: int) -> np.ndarray:
    """Slaney-normalized triangular mel filterbank for 16 kHz and N_FFT, float32 (n_mels, N_FFT // 2 + 1)."""
    if n_mels not in VALID_N_MELS:
        raise AudioError(f"n_mels must be one of {VALID_N_MELS} (Whisper's filterbanks), got {n_mels!r}")
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)  # (bins,)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))  # (n_mels + 2,)
    widths = np.diff(edges_hz)  # (n_mels + 1,)
    offsets = edges_hz[:, None] - fft_hz[None, :]  # (n_mels + 2, bins)
    rising = -offsets[:-2] / widths[:-1, None]  # (n_mels, bins)
    falling = offsets[2:] / widths[1:, None]  # (n_mels, bins)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]  # equal area per filter
    return weights.astype(np.float32)


def log_mel_spectrogram(
    audio: np.ndarray | torch.Tensor, n_mels: int = N_MELS, padding: int = 0, device=None
) -> torch.Tensor:
    """Whisper's log-mel spectrogram of 16 kHz samples, float32 (n_mels, frames) at 100 frames per second.

    `padding` zero samples are appended first (N_SAMPLES pads a full 30 s window).
    """
    if isinstance(audio, np.ndarray):
        audio = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    if not torch.is_tensor(audio) or audio.ndim != 1:
        raise AudioError("log_mel_spectrogram needs 1-D samples (numpy array or tensor); load files with load_audio")
    filters = torch.from_numpy(mel_filters(n_mels))
    audio = audio.to(device=device, dtype=torch.float32)
    if padding > 0:
        audio = F.pad(audio, (0, padding))
    if audio.shape[0] <= N_FFT // 2:  # reflect padding needs more samples than half a window
        raise AudioError(f"audio too short for a spectrogram: {audio.shape[0]} samples, need over {N_FFT // 2}")
    window = torch.hann_window(N_FFT, device=audio.device)
    stft = torch.stft(audio, N_FFT, HOP_LENGTH, window=window, return_complex=True)  # (bins, frames + 1)
    power = stft[..., :-1].abs() ** 2  # (bins, frames): the last frame only sees reflected padding
    mel = filters.to(audio.device) @ power  # (n_mels, frames)
    log_spec = torch.clamp(mel, min=LOG_FLOOR).log10()
    if not bool(torch.isfinite(log_spec).all()):  # load_audio's sample checks make this unreachable from files
        raise AudioError("the audio's spectrogram is not finite (NaN, infinite or huge samples); "
                         "rescale the samples to [-1, 1]")
    log_spec = torch.maximum(log_spec, log_spec.max() - DYNAMIC_RANGE)
    return (log_spec + 4.0) / 4.0  # roughly into [-1, 1]
