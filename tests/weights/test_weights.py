"""Loading models: installed names, CTranslate2 folders, openai .pt files, the cache, and bad inputs."""

import shutil

import numpy as np
import pytest
import torch

import whisper_viz as wv
from whisper_viz.weights.checkpoint import official_model_name
from whisper_viz.weights.ctranslate2 import read_ctranslate2_whisper
from whisper_viz.weights.registry import available_models, resolve_source

TINY_EN_HEADS = [(1, 0), (2, 0), (2, 5), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4)]


def test_installed_models_are_listed():
    assert available_models() == {"tiny.en": True, "base": True}


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


def test_second_load_comes_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path))
    first = wv.load_model("tiny.en", device="cpu")
    second = wv.load_model("tiny.en", device="cpu")
    assert not first.from_cache and second.from_cache
    for name, value in first.model.state_dict().items():
        other = second.model.state_dict()[name]
        if value.is_sparse:
            value, other = value.to_dense(), other.to_dense()
        assert torch.equal(value, other), name


def test_load_ctranslate2_folder_by_path(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "my-model"
    shutil.copytree(resolve_source("tiny.en").weights[0].parent, folder)
    model = wv.load_model(str(folder), device="cpu")
    assert model.dims.n_text_layer == 4 and model.official_heads.sum() == 8


def test_load_openai_checkpoint_by_path(tmp_path, monkeypatch, tiny_model, data_dir):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    state = {k: v for k, v in tiny_model.model.state_dict().items() if k != "alignment_heads"}
    path = tmp_path / "tiny.en.pt"
    torch.save({"dims": tiny_model.dims.to_dict(), "model_state_dict": state}, path)
    model = wv.load_model(str(path), device="cpu")
    assert np.array_equal(model.official_heads, tiny_model.official_heads)  # official table by dims
    assert wv.analyze(model, data_dir / "hello.wav").text == wv.analyze(tiny_model, data_dir / "hello.wav").text


def test_official_model_names_from_dims(tiny_model):
    assert official_model_name(tiny_model.dims.to_dict()) == "tiny.en"


@pytest.mark.parametrize("name", ["tiny", "large-v9", "", "/no/such/path.pt"])
def test_unknown_model_lists_what_is_available(name):
    with pytest.raises(wv.ModelNotFound, match="Installed models: tiny.en, base"):
        wv.load_model(name, device="cpu")


def test_folder_without_model_bin(tmp_path):
    with pytest.raises(wv.ModelNotFound, match="no model.bin"):
        wv.load_model(str(tmp_path), device="cpu")


@pytest.mark.parametrize("cut", [0, 3, 40, 5000, 1_000_000])
def test_truncated_model_bin_is_a_clear_error(cut):
    data = resolve_source("tiny.en").weights[0].read_bytes()[:cut]
    with pytest.raises(wv.WeightsError):
        read_ctranslate2_whisper(data)


def test_garbage_files_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\x06\x00\x00\x00not a model at all" * 10)
    shutil.copy(resolve_source("tiny.en").tokenizer, folder / "tokenizer.json")
    with pytest.raises(wv.WeightsError):
        wv.load_model(str(folder), device="cpu")
    pt = tmp_path / "x.pt"
    pt.write_bytes(b"not a pickle")
    with pytest.raises(wv.WeightsError, match="not a readable PyTorch checkpoint"):
        wv.load_model(str(pt), device="cpu")
    torch.save({"weights": 1}, pt)
    with pytest.raises(wv.WeightsError, match="not an openai-whisper checkpoint"):
        wv.load_model(str(pt), device="cpu")


def test_cuda_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(wv.DeviceError, match="no NVIDIA GPU"):
        wv.load_model("tiny.en", device="cuda")
    with pytest.raises(wv.DeviceError, match="Unknown device"):
        wv.load_model("tiny.en", device="tpu")
