"""load_model and pick_device: what a LoadedModel holds, which device and dtype it gets, and device errors."""

import threading

import numpy as np
import pytest
import torch
from whisper.tokenizer import get_tokenizer

import whisper_viz as wv
from whisper_viz.engine.loading import pick_device
from whisper_viz.engine.model import LayerNorm

TINY_EN_HEADS = [(1, 0), (2, 0), (2, 5), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4)]


def test_tiny_en_dims_and_official_heads(tiny_model):
    d = tiny_model.dims
    assert (d.n_mels, d.n_audio_layer, d.n_text_layer, d.n_text_head, d.n_vocab) == (80, 4, 4, 6, 51864)
    assert sorted(zip(*np.nonzero(tiny_model.official_heads))) == TINY_EN_HEADS
    assert tiny_model.dtype == torch.float32 and tiny_model.device.type == "cpu"


def test_alignment_heads_buffer_is_sparse_persistent_and_set_from_dump(tiny_model):
    from whisper_viz.heads import OFFICIAL_HEADS

    model = tiny_model.model
    assert model.alignment_heads.is_sparse
    assert "alignment_heads" in model.state_dict()
    model.set_alignment_heads(OFFICIAL_HEADS["tiny.en"][0])
    assert np.array_equal(model.alignment_heads.to_dense().numpy(), tiny_model.official_heads)


def test_loaded_model_properties_follow_the_model(tiny_model, base_model):
    assert tiny_model.dims is tiny_model.model.dims
    assert (tiny_model.device, tiny_model.dtype) == (tiny_model.model.device, tiny_model.model.dtype)
    assert tiny_model.name == "tiny.en" and tiny_model.source.name == "tiny.en"
    assert not tiny_model.is_multilingual and base_model.is_multilingual
    assert base_model.dims.n_vocab == 51865 and base_model.official_heads.shape == (6, 8)
    assert isinstance(tiny_model.lock, type(threading.Lock())) and not tiny_model.lock.locked()
    assert tiny_model.load_seconds > 0


@pytest.mark.parametrize("multilingual", [False, True])
def test_suppressed_tokens_are_openai_whispers(tiny_model, base_model, multilingual):
    model = base_model if multilingual else tiny_model
    theirs = get_tokenizer(multilingual=multilingual, num_languages=99)
    # openai-whisper's suppress_tokens="-1" plus the control tokens its DecodingTask always suppresses
    expected = {*theirs.non_speech_tokens, theirs.transcribe, theirs.translate, theirs.sot, theirs.sot_prev,
                theirs.sot_lm, theirs.no_speech}
    assert set(model.suppress_ids) == expected
    assert list(model.suppress_ids_begin) == [*theirs.encode(" "), theirs.eot]  # SuppressBlank's tokens


def test_cpu_models_default_to_fp32_and_keep_layer_norms_fp32_under_fp16():
    half = wv.load_model("tiny.en", device="cpu", dtype=torch.float16)
    assert half.dtype == torch.float16 and half.model.encoder.conv1.weight.dtype == torch.float16
    norms = [m for m in half.model.modules() if isinstance(m, LayerNorm)]
    assert norms and all(p.dtype == torch.float32 for m in norms for p in m.parameters())
    assert wv.load_model("tiny.en", device="cpu").dtype == torch.float32


def test_pick_device_choices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu") == pick_device("cpu") == pick_device(torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == torch.device("cuda")
    assert pick_device("cuda:1") == torch.device("cuda", 1)
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "CUDA", ""])
def test_pick_device_unknown_names_are_device_errors(name):
    with pytest.raises(wv.DeviceError, match="Unknown device .*; use one of auto, cpu, cuda"):
        pick_device(name)


def test_cuda_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(wv.DeviceError, match="no NVIDIA GPU"):
        wv.load_model("tiny.en", device="cuda")
    with pytest.raises(wv.DeviceError, match="Unknown device"):
        wv.load_model("tiny.en", device="tpu")


def test_building_the_model_on_the_meta_device_does_not_import_torch_dynamo():
    """Random initialisation on the meta device (nn.Embedding's normal_) imports torch._dynamo, ~3 s of every
    cold start; the model is built with no initialisation since every weight comes from the checkpoint."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = ("import sys, torch\nfrom whisper_viz.engine.loading import load_model\n"
            "load_model('tiny.en', device='cpu')\nprint('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]
