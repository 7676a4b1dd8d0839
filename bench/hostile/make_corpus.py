"""Writes a corpus of malformed and hostile audio files for the robustness runner (run_corpus.py).

    python bench/hostile/make_corpus.py [--out /tmp/whisper-viz-hostile] [--quick]

Every file is made from the committed clips (tests/data) or synthesised, with a fixed seed, so the
corpus is the same on every machine: valid files at odd rates and channel counts, truncations of every
format, byte flips of WAV/FLAC/OGG/MP3, forged WAV headers (zero or absurd rate, channels, sizes, bit
depths), non-finite and huge float samples, very short and very long audio (10 minutes of noise), and
bytes that are not audio at all. `--quick` writes the few dozen the test suite runs.
"""

from __future__ import annotations

import argparse
import io
import struct
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
RATE = 16000
SEED = 13
WRITE_BLOCK = 1 << 16  # frames per write
FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "mp3": ("MP3", "MPEG_LAYER_III")}


def encode(samples: np.ndarray, rate: int, kind: str, subtype: str | None = None) -> bytes:
    """`samples` (frames,) or (frames, channels) encoded as `kind` (a key of FORMATS)."""
    container, default = FORMATS[kind]
    buffer = io.BytesIO()
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with sf.SoundFile(buffer, "w", rate, channels, subtype or default, format=container) as sound:
        for start in range(0, len(samples), WRITE_BLOCK):  # libsndfile's Vorbis encoder crashes on one huge write
            sound.write(samples[start:start + WRITE_BLOCK])
    return buffer.getvalue()


def tone(seconds: float, scale: float = 0.5, rate: int = RATE, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * hz * t) * scale).astype(np.float32)


def wav_header(rate: int, channels: int, bits: int, data_bytes: int, format_tag: int = 1,
               riff_size: int | None = None, byte_rate: int | None = None) -> bytes:
    """A RIFF/WAVE header with any field forged."""
    block = channels * bits // 8
    byte_rate = rate * block if byte_rate is None else byte_rate
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, byte_rate & 0xFFFFFFFF, block & 0xFFFF, bits)
    riff_size = 36 + data_bytes if riff_size is None else riff_size
    return (b"RIFF" + struct.pack("<I", riff_size & 0xFFFFFFFF) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", data_bytes & 0xFFFFFFFF))


def _speech() -> tuple[np.ndarray, int]:
    audio, rate = sf.read(DATA / "hello.flac", dtype="float32")
    return audio, rate


def _flip(data: bytes, n: int, rng: np.random.Generator, start: int = 0) -> bytes:
    """`data` with `n` random bytes (from offset `start` on) replaced by random values."""
    array = bytearray(data)
    for position in rng.integers(min(start, len(array) - 1), len(array), n):
        array[position] = int(rng.integers(0, 256))
    return bytes(array)


def _valid_files(speech: np.ndarray, rate: int) -> dict[str, bytes]:
    files = {f"valid_speech.{k}": encode(speech, rate, k) for k in FORMATS}
    for r in (1000, 8000, 22050, 44100, 96000, 192000, 768000):
        files[f"valid_tone_{r}hz.wav"] = encode(tone(1.0, rate=r), r, "wav")
    for channels in (2, 6, 8, 64):
        files[f"valid_{channels}ch.wav"] = encode(np.tile(tone(1.0)[:, None], (1, channels)) / channels, RATE, "wav")
    for subtype in ("PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"):
        files[f"valid_speech_{subtype.lower()}.wav"] = encode(speech, rate, "wav", subtype)
    files["silence_3s.wav"] = encode(np.zeros(3 * RATE, np.float32), RATE, "wav")
    files["dc_full_scale.wav"] = encode(np.ones(2 * RATE, np.float32), RATE, "wav", "FLOAT")
    files["square_clipped.wav"] = encode(np.sign(tone(2.0)), RATE, "wav")
    files["one_sample.wav"] = encode(np.zeros(1, np.float32), RATE, "wav")
    files["ten_samples.flac"] = encode(np.zeros(10, np.float32), RATE, "flac")
    files["0.01s.wav"] = encode(tone(0.01), RATE, "wav")
    files["denormals.wav"] = encode(np.full(RATE, 1e-40, np.float32), RATE, "wav", "FLOAT")
    return files


def _sample_values() -> dict[str, bytes]:
    files = {}
    for name, value in {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}.items():
        for where in ("one", "all"):
            samples = tone(2.0)
            if where == "one":
                samples[RATE // 2] = value
            else:
                samples[:] = value
            files[f"float_{name}_{where}.wav"] = encode(samples, RATE, "wav", "FLOAT")
    for scale in (1e3, 1e5, 1e10, 1e20, 1e30, 3e38):
        files[f"float_tone_x{scale:g}.wav"] = encode(tone(3.0, scale), RATE, "wav", "FLOAT")
        files[f"double_tone_x{scale:g}.wav"] = encode(tone(3.0, 1.0).astype(np.float64) * scale, RATE, "wav", "DOUBLE")
    files["double_tone_x1e300.wav"] = encode(tone(3.0, 1.0).astype(np.float64) * 1e300, RATE, "wav", "DOUBLE")
    return files


def _forged_headers() -> dict[str, bytes]:
    body = (tone(1.0) * 32767).astype("<i2").tobytes()
    files = {}
    for rate in (0, 1, 999, 768001, 4_000_000_000):
        files[f"header_rate_{rate}.wav"] = wav_header(rate, 1, 16, len(body)) + body
    for channels in (0, 3, 6, 255, 65535):
        files[f"header_channels_{channels}.wav"] = wav_header(RATE, channels, 16, len(body)) + body
    for bits in (0, 1, 7, 12, 64, 65535):
        files[f"header_bits_{bits}.wav"] = wav_header(RATE, 1, bits, len(body)) + body
    for tag in (0, 2, 3, 0x55, 0xFFFE, 0xFFFF):
        files[f"header_format_{tag:#x}.wav"] = wav_header(RATE, 1, 16, len(body), format_tag=tag) + body
    for size in (0, 1, len(body) // 2, len(body) * 10, 0x7FFFFFFF, 0xFFFFFFFF):
        files[f"header_data_size_{size}.wav"] = wav_header(RATE, 1, 16, size) + body
    files["header_riff_size_0.wav"] = wav_header(RATE, 1, 16, len(body), riff_size=0) + body
    files["header_byte_rate_0.wav"] = wav_header(RATE, 1, 16, len(body), byte_rate=0) + body
    files["header_only.wav"] = wav_header(RATE, 1, 16, len(body))
    files["header_2h_declared.wav"] = wav_header(RATE, 1, 16, 2 * 3600 * RATE * 2) + body
    files["header_no_fmt.wav"] = b"RIFF" + struct.pack("<I", 4 + 8 + len(body)) + b"WAVE" + b"data" \
        + struct.pack("<I", len(body)) + body
    files["header_fmt_truncated.wav"] = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"
    files["header_riff_not_wave.wav"] = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"AVI " + body
    files["header_fmt_size_huge.wav"] = b"RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\x7f" + body
    return files


def _truncations(encoded: dict[str, bytes]) -> dict[str, bytes]:
    files = {}
    for kind, data in encoded.items():
        for cut in (1, 4, 12, 44, 100, 1000, len(data) // 4, len(data) // 2, 9 * len(data) // 10, len(data) - 1):
            files[f"truncated_{kind}_{cut}.{kind}"] = data[:cut]
    return files


def _byte_flips(encoded: dict[str, bytes], rng: np.random.Generator, variants: int) -> dict[str, bytes]:
    files = {}
    for kind, data in encoded.items():
        for i in range(variants):
            n = (1, 4, 16, 64, 256)[i % 5]
            start = 0 if i % 2 == 0 else len(data) // 8  # headers too, or the body only
            files[f"flipped_{kind}_{i:02d}_{n}bytes.{kind}"] = _flip(data, n, rng, start)
    return files


def _not_audio(rng: np.random.Generator) -> dict[str, bytes]:
    files = {"empty.wav": b"", "one_byte.wav": b"\0", "text.mp3": b"hello, this is not audio\n" * 40,
             "png.flac": b"\x89PNG\r\n\x1a\n" + bytes(rng.integers(0, 256, 2000, dtype=np.uint8)),
             "zip.ogg": b"PK\x03\x04" + bytes(rng.integers(0, 256, 5000, dtype=np.uint8)),
             "fake_flac_magic.flac": b"fLaC" + bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
             "fake_ogg_magic.ogg": b"OggS" + bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
             "fake_mp3_sync.mp3": b"\xff\xfb\x90\x00" * 2000, "id3_only.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
             "zeros_1mb.wav": bytes(1 << 20)}
    for size in (2, 16, 100, 1000, 10_000, 100_000, 1 << 20):
        for i in range(2):
            files[f"random_{size}_{i}.{('wav', 'mp3')[i]}"] = bytes(rng.integers(0, 256, size, dtype=np.uint8))
    return files


def _long_audio(rng: np.random.Generator) -> dict[str, bytes]:
    noise = lambda seconds: (rng.standard_normal(int(seconds * RATE)) * 0.1).astype(np.float32)  # noqa: E731
    return {"noise_10min.flac": encode(noise(600), RATE, "flac"), "noise_60s.wav": encode(noise(60), RATE, "wav"),
            "noise_11min_over_limit.flac": encode(noise(660), RATE, "flac"),
            "tone_10min_44k.ogg": encode(tone(600, 0.3, rate=8000), 8000, "ogg")}


QUICK = ("float_tone_x1e+30.wav", "float_nan_one.wav", "float_inf_all.wav", "double_tone_x1e300.wav",
         "header_rate_0.wav", "header_channels_6.wav", "header_data_size_4294967295.wav", "valid_6ch.wav",
         "valid_tone_768000hz.wav", "truncated_flac_100.flac", "truncated_mp3_1000.mp3", "truncated_wav_44.wav",
         "flipped_flac_00_1bytes.flac", "flipped_ogg_03_64bytes.ogg", "flipped_mp3_04_256bytes.mp3",
         "flipped_wav_01_4bytes.wav", "random_10000_0.wav", "empty.wav", "one_sample.wav", "noise_60s.wav")


def build_corpus(out: Path, quick: bool = False) -> list[Path]:
    """Write the corpus into `out`; returns the files written, sorted."""
    rng = np.random.default_rng(SEED)
    speech, rate = _speech()
    encoded = {kind: encode(speech, rate, kind) for kind in FORMATS}
    makers: list[Callable[[], dict[str, bytes]]] = [
        lambda: _valid_files(speech, rate), _sample_values, _forged_headers, lambda: _truncations(encoded),
        lambda: _byte_flips(encoded, rng, variants=40), lambda: _not_audio(rng), lambda: _long_audio(rng)]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for make in makers:
        for name, data in make().items():
            if quick and name not in QUICK:
                continue
            path = out / name
            path.write_bytes(data)
            written.append(path)
    return sorted(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/whisper-viz-hostile"))
    parser.add_argument("--quick", action="store_true", help="only the files the test suite runs")
    args = parser.parse_args()
    files = build_corpus(args.out, args.quick)
    print(f"wrote {len(files)} files to {args.out} ({sum(f.stat().st_size for f in files) / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
