"""The CUDA path (fp16): run on a GPU machine; skipped where torch sees no GPU."""

import numpy as np
import pytest
import torch

import whisper_viz as wv

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")]
CLIPS = ["hello.wav", "pause7.flac", "speech20.flac", "long45.flac"]


@pytest.fixture(scope="module")
def tiny_cuda():
    return wv.load_model("tiny.en", device="cuda")


def test_auto_device_picks_cuda_in_fp16(tiny_cuda):
    model = wv.load_model("tiny.en", device="auto")
    assert model.device.type == "cuda" and model.dtype == torch.float16
    assert tiny_cuda.model.alignment_heads.device.type == "cuda"


@pytest.mark.parametrize("clip", CLIPS)
def test_fp16_transcript_matches_cpu(tiny_cuda, tiny_model, data_dir, clip):
    gpu = wv.analyze(tiny_cuda, data_dir / clip)
    cpu = wv.analyze(tiny_model, data_dir / clip)
    assert gpu.text == cpu.text
    assert gpu.attention.dtype == np.float16 and gpu.attention.shape == cpu.attention.shape
    assert len(gpu.words) == len(cpu.words)
    # fp16 activations move attention slightly; word boundaries stay within a few frames
    assert max(abs(a.start - b.start) for a, b in zip(gpu.words, cpu.words)) <= 0.1


def test_forced_mode_on_gpu(tiny_cuda, data_dir):
    text = (data_dir / "pause7.txt").read_text().strip()
    result = wv.analyze(tiny_cuda, data_dir / "pause7.flac", text=text)
    assert [w.word.strip() for w in result.words] == text.split()


def test_base_on_gpu_detects_english(data_dir):
    model = wv.load_model("base", device="cuda")
    result = wv.analyze(model, data_dir / "hello.wav")
    assert result.language == "en" and "world" in result.text.lower()
