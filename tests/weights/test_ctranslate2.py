"""Reading CTranslate2 model.bin files into openai-whisper's layout, and truncated files."""

import shutil

import pytest
import torch
import whisper

import whisper_viz as wv
from whisper_viz.weights.ctranslate2 import read_ctranslate2_whisper
from whisper_viz.weights.registry import resolve_source


@pytest.fixture(scope="module")
def tiny_bin() -> bytes:
    return resolve_source("tiny.en").weights[0].read_bytes()


def test_tiny_en_converts_to_openai_whispers_layout(tiny_bin):
    dims, state_dict = read_ctranslate2_whisper(tiny_bin)
    assert dims == dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
                        n_vocab=51864, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4)
    expected = whisper.model.Whisper(whisper.model.ModelDimensions(**dims)).state_dict()  # no heads: not persistent
    assert {k: tuple(v.shape) for k, v in state_dict.items()} == {k: tuple(v.shape) for k, v in expected.items()}
    # the encoder's positions are openai-whisper's fixed sinusoids: the values landed in the right place
    torch.testing.assert_close(state_dict["encoder.positional_embedding"].float(), whisper.model.sinusoids(1500, 384),
                               atol=1e-3, rtol=0)


def test_load_ctranslate2_folder_by_path(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "my-model"
    shutil.copytree(resolve_source("tiny.en").weights[0].parent, folder)
    model = wv.load_model(str(folder), device="cpu")
    assert model.dims.n_text_layer == 4 and model.official_heads.sum() == 8


@pytest.mark.parametrize("cut", [0, 3, 40, 5000, 1_000_000])
def test_truncated_model_bin_is_a_clear_error(cut, tiny_bin):
    with pytest.raises(wv.WeightsError):
        read_ctranslate2_whisper(tiny_bin[:cut])
