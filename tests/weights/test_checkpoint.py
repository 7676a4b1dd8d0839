"""Converted checkpoints: openai .pt files, official heads by model shape, and unreadable files."""

import shutil

import numpy as np
import pytest
import torch
import whisper

import whisper_viz as wv
from whisper_viz.weights.checkpoint import (
    heads_mask,
    official_model_name,
    official_pairs_for_dims,
)
from whisper_viz.weights.registry import resolve_source

TINY_DIMS = dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
                 n_vocab=51864, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4)


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
    assert official_model_name({**TINY_DIMS, "n_vocab": 51865}) == "tiny"
    large = {**TINY_DIMS, "n_text_layer": 32, "n_text_head": 20, "n_vocab": 51866}
    assert official_model_name({**large, "n_mels": 128}) == "large-v3"
    assert official_model_name(large) == "large-v2"
    assert official_model_name({**large, "n_text_layer": 4}) == "turbo"
    assert official_model_name({**TINY_DIMS, "n_text_head": 7}) is None


def test_heads_from_dims_and_openai_whispers_default(tiny_model):
    assert np.array_equal(heads_mask(official_pairs_for_dims(TINY_DIMS), 4, 6), tiny_model.official_heads)
    assert official_pairs_for_dims({**TINY_DIMS, "n_text_head": 7}) == ()
    # no known heads: the upper half of the decoder layers, as an openai-whisper model starts with
    reference = whisper.model.Whisper(whisper.model.ModelDimensions(
        n_mels=80, n_audio_ctx=8, n_audio_state=8, n_audio_head=1, n_audio_layer=1,
        n_vocab=64, n_text_ctx=8, n_text_state=14, n_text_head=7, n_text_layer=5))
    assert np.array_equal(heads_mask((), 5, 7), reference.alignment_heads.to_dense().numpy())


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


def test_checkpoint_without_a_tokenizer_for_its_vocabulary(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    pt = tmp_path / "odd.pt"
    torch.save({"dims": {**TINY_DIMS, "n_vocab": 1000}, "model_state_dict": {}}, pt)
    with pytest.raises(wv.WeightsError, match="no tokenizer.json beside it .* vocabulary of 1000 tokens"):
        wv.load_model(str(pt), device="cpu")
