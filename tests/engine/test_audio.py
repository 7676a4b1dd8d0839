"""whisper_viz.audio: decoding every container, resampling, mel parity with openai-whisper, bad inputs."""

import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from whisper_viz.constants import HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE
from whisper_viz.engine import audio as wva
from whisper_viz.engine.audio import (
    load_audio,
    log_mel_spectrogram,
    mel_filters,
    pad_or_trim,
)
from whisper_viz.errors import AudioError

whisper_audio = pytest.importorskip("whisper.audio")

HELLO_FORMATS = ("hello.wav", "hello.flac", "hello.ogg", "hello.mp3", "hello_stereo44k.wav")
DURATION_TOLERANCE_SECONDS = 0.005
MIN_LOSSY_CORRELATION = 0.99  # ogg and mp3 against the wav they were encoded from
STEREO_MIX_GAIN = 0.75  # the stereo clip is (speech, speech / 2): its mean is 0.75 x speech
MEL_TOLERANCE = 1e-4
FILTER_TOLERANCE = 1e-6
PAUSE_SECONDS = 7.0  # digital silence planted in pause7.flac by make_clips.sh


@pytest.fixture(scope="module")
def hello(data_dir: Path) -> np.ndarray:
    return load_audio(data_dir / "hello.wav")


def _wav_header(n_data_bytes: int, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """A 44-byte 16-bit PCM WAV header declaring `n_data_bytes` of samples."""
    block_align = 2 * channels
    fmt = struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, 16)
    return b"RIFF" + struct.pack("<I", 36 + n_data_bytes) + b"WAVE" + b"fmt " + fmt + b"data" + struct.pack(
        "<I", n_data_bytes
    )


# --- decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HELLO_FORMATS)
def test_every_format_loads_to_the_same_clip(data_dir, hello, name):
    audio = load_audio(data_dir / name)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs((len(audio) / SAMPLE_RATE) - (len(hello) / SAMPLE_RATE)) < DURATION_TOLERANCE_SECONDS
    n = min(len(audio), len(hello))
    assert np.corrcoef(audio[:n], hello[:n])[0, 1] > MIN_LOSSY_CORRELATION


def test_stereo_44k_is_mixed_to_mono_and_resampled(data_dir, hello):
    assert sf.info(str(data_dir / "hello_stereo44k.wav")).samplerate == 44100
    audio = load_audio(data_dir / "hello_stereo44k.wav")
    assert len(audio) == len(hello)
    gain = np.dot(audio, hello) / np.dot(hello, hello)  # least-squares scale of the mix
    assert gain == pytest.approx(STEREO_MIX_GAIN, rel=0.01)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview, io.BytesIO])
def test_bytes_and_file_objects_load_like_paths(data_dir, hello, wrap):
    data = (data_dir / "hello.flac").read_bytes()
    np.testing.assert_array_equal(load_audio(wrap(data)), hello)


def test_open_binary_file_and_str_path(data_dir, hello):
    with open(data_dir / "hello.wav", "rb") as f:
        np.testing.assert_array_equal(load_audio(f), hello)
    np.testing.assert_array_equal(load_audio(str(data_dir / "hello.wav")), hello)


def test_arrays_int16_and_stereo(hello):
    int16 = np.round(hello * 32768).clip(-32768, 32767).astype(np.int16)
    np.testing.assert_allclose(load_audio(int16), hello, atol=1 / 32768)
    stereo = np.stack([hello, np.zeros_like(hello)], axis=1)  # (samples, 2)
    np.testing.assert_allclose(load_audio(stereo), hello / 2)
    np.testing.assert_array_equal(load_audio(hello.astype(np.float64)), hello)


def test_loud_float_arrays_are_not_clipped():
    audio = np.full(SAMPLE_RATE, 2.5, dtype=np.float32)
    assert load_audio(audio).max() == 2.5


def test_silence_is_valid(data_dir):
    audio = load_audio(data_dir / "silence3.wav")
    assert (len(audio) / SAMPLE_RATE) == 3.0 and not audio.any()
    assert not load_audio(np.zeros(SAMPLE_RATE, np.float32)).any()


def test_pause7_holds_exactly_seven_seconds_of_digital_silence(data_dir):
    audio = load_audio(data_dir / "pause7.flac")
    zero = np.concatenate([[False], audio == 0, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(zero))  # starts and ends of zero runs
    longest = (edges[1::2] - edges[::2]).max()
    assert longest == PAUSE_SECONDS * SAMPLE_RATE


def test_long_clip_spans_more_than_one_window(data_dir):
    assert (len(load_audio(data_dir / "long45.flac")) / SAMPLE_RATE) > 40.0
    assert 18.0 < (len(load_audio(data_dir / "speech20.flac")) / SAMPLE_RATE) < 22.0


# --- bad inputs -----------------------------------------------------------------------------------


def _error(source, **kwargs) -> str:
    with pytest.raises(AudioError) as info:
        load_audio(source, **kwargs)
    return str(info.value)


def test_missing_path_and_directory(tmp_path):
    assert "not found" in _error(tmp_path / "nope.wav")
    assert "directory" in _error(tmp_path)


def test_empty_file_and_empty_bytes(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "empty" in _error(tmp_path / "empty.wav")
    assert "empty" in _error(b"")
    assert "empty" in _error(io.BytesIO())


def test_text_renamed_wav_names_the_supported_formats(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are my meeting notes, not audio\n" * 20)
    message = _error(path)
    assert "not a readable audio file" in message and "FLAC" in message and "MP3" in message


@pytest.mark.parametrize("name", ["hello.wav", "hello.flac", "hello.mp3"])
def test_truncated_files_are_refused(data_dir, name):
    data = (data_dir / name).read_bytes()
    message = _error(data[: len(data) // 2])
    assert "truncated" in message or "corrupt" in message


def test_header_without_samples(tmp_path):
    assert "no audio samples" in _error(_wav_header(0))


def test_nan_samples_in_a_float_wav():
    buffer = io.BytesIO()
    samples = np.tile(np.array([0.1, np.nan, -0.1], np.float32), 1000)
    sf.write(buffer, samples, SAMPLE_RATE, format="WAV", subtype="FLOAT")
    assert "NaN" in _error(buffer.getvalue())


def test_absurd_sample_rate(data_dir):
    data = bytearray((data_dir / "hello.wav").read_bytes())
    data[24:28] = struct.pack("<I", 5)  # the fmt chunk's sample rate
    assert "5 Hz" in _error(bytes(data))


def test_three_hours_declared_in_a_sparse_wav_are_refused_before_decoding(tmp_path):
    n_bytes = 3 * 60 * 60 * SAMPLE_RATE * 2
    path = tmp_path / "three_hours.wav"
    path.write_bytes(_wav_header(n_bytes))
    os.truncate(path, 44 + n_bytes)  # sparse: no disk used, and reading it whole would take seconds
    message = _error(path)
    assert "10800" in message and "7200" in message


def test_three_hours_declared_in_a_tiny_flac_are_refused(data_dir):
    data = bytearray((data_dir / "hello.flac").read_bytes())
    low_36_bits = (1 << 36) - 1  # STREAMINFO's total-samples field ends at byte 26
    fields = int.from_bytes(data[18:26], "big") & ~low_36_bits | 3 * 60 * 60 * SAMPLE_RATE
    data[18:26] = fields.to_bytes(8, "big")
    assert "10800" in _error(bytes(data))


def test_max_seconds_is_enforced_for_files_and_arrays(data_dir, hello):
    assert "limit of 1 s" in _error(data_dir / "hello.wav", max_seconds=1)
    assert "limit of 1 s" in _error(hello, max_seconds=1)
    assert "max_seconds" in _error(hello, max_seconds=0)
    assert "max_seconds" in _error(hello, max_seconds=float("nan"))


def test_inputs_above_the_byte_limit(tmp_path, monkeypatch, data_dir):
    monkeypatch.setattr(wva, "MAX_INPUT_BYTES", 1000)
    assert "GiB" in _error(data_dir / "hello.wav")
    assert "GiB" in _error((data_dir / "hello.wav").read_bytes())
    assert "GiB" in _error(io.BytesIO((data_dir / "hello.wav").read_bytes()))


@pytest.mark.parametrize(
    "array, words",
    [
        (np.array([0.0, np.nan, 0.1], np.float32), "NaN"),
        (np.array([0.0, np.inf], np.float64), "infinite"),
        (np.zeros(0, np.float32), "no samples"),
        (np.zeros(100, np.int32), "int16"),
        (np.zeros(100, bool), "int16"),
        (np.zeros((2, 3, 100), np.float32), "(samples, channels)"),
        (np.zeros((2, SAMPLE_RATE), np.float32), "transpose"),
    ],
)
def test_bad_arrays(array, words):
    assert words in _error(array)


def test_text_mode_file_and_unknown_types(data_dir):
    with open(data_dir / "hello.txt") as f:
        assert "binary mode" in _error(f)
    assert "cannot load audio from a int" in _error(42)


# --- mel ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_mels", [80, 128])
def test_mel_filters_match_whisper_assets(n_mels):
    bundled = np.load(Path(whisper_audio.__file__).parent / "assets" / "mel_filters.npz")[f"mel_{n_mels}"]
    ours = mel_filters(n_mels)
    assert ours.dtype == np.float32 and ours.shape == (n_mels, 201)
    np.testing.assert_allclose(ours, bundled, atol=FILTER_TOLERANCE)
    assert mel_filters(n_mels) is ours  # cached


def test_mel_filters_refuse_other_sizes():
    with pytest.raises(AudioError, match="80, 128"):
        mel_filters(40)


@pytest.mark.parametrize("n_mels", [80, 128])
@pytest.mark.parametrize("padding", [0, N_SAMPLES])
def test_log_mel_matches_whisper(hello, n_mels, padding):
    ours = log_mel_spectrogram(hello, n_mels, padding=padding)
    theirs = whisper_audio.log_mel_spectrogram(torch.from_numpy(hello), n_mels, padding=padding)
    assert ours.dtype == torch.float32 and ours.shape == theirs.shape
    assert ours.shape == (n_mels, (len(hello) + padding) // HOP_LENGTH)
    torch.testing.assert_close(ours, theirs, atol=MEL_TOLERANCE, rtol=0)


def test_log_mel_of_one_padded_window_has_n_frames(hello):
    mel = log_mel_spectrogram(pad_or_trim(hello))
    assert mel.shape == (80, N_FRAMES)
    torch.testing.assert_close(mel, log_mel_spectrogram(torch.from_numpy(pad_or_trim(hello))))


def test_log_mel_refuses_bad_input():
    with pytest.raises(AudioError, match="1-D"):
        log_mel_spectrogram(np.zeros((2, 1000), np.float32))
    with pytest.raises(AudioError, match="too short"):
        log_mel_spectrogram(np.zeros(100, np.float32))
    assert log_mel_spectrogram(np.zeros(0, np.float32), padding=N_SAMPLES).shape == (80, N_FRAMES)


# --- pad_or_trim ----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [5, 10, 15])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_pad_or_trim_matches_whisper_for_numpy_and_torch(length, axis):
    array = np.arange(2 * 10 * 10, dtype=np.float32).reshape(2, 10, 10) + 1
    expected = whisper_audio.pad_or_trim(array, length, axis=axis)
    np.testing.assert_array_equal(pad_or_trim(array, length, axis=axis), expected)
    tensor = pad_or_trim(torch.from_numpy(array), length, axis=axis)
    np.testing.assert_array_equal(tensor.numpy(), expected)


def test_pad_or_trim_defaults_to_one_window():
    assert pad_or_trim(np.ones(10, np.float32)).shape == (N_SAMPLES,)
    assert pad_or_trim(torch.ones(N_SAMPLES + 7)).shape == (N_SAMPLES,)
