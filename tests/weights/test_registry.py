"""Where models come from: installed names, CTranslate2 folders and .pt files by path, and what is not found."""

import pytest

import whisper_viz as wv
from whisper_viz.weights.registry import (
    INSTALLED_MODELS,
    available_models,
    resolve_source,
)


def test_installed_models_are_listed():
    assert available_models() == {"tiny.en": True, "base": True}


def test_installed_names_resolve_to_their_files_in_order():
    for name in INSTALLED_MODELS:
        source = resolve_source(name)
        assert source.name == name and source.format == "ctranslate2"
        assert all(p.is_file() for p in (*source.weights, source.tokenizer, source.config))
    assert [p.name for p in resolve_source("base").weights] == ["model.bin.part1", "model.bin.part2"]


def test_paths_resolve_by_kind(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    (folder / "tokenizer.json").write_text("{}")
    source = resolve_source(folder)
    assert (source.format, source.weights, source.config) == ("ctranslate2", (folder / "model.bin",), None)
    checkpoint = tmp_path / "small.pt"
    checkpoint.write_bytes(b"")
    source = resolve_source(str(checkpoint))
    assert (source.format, source.weights, source.tokenizer) == ("openai", (checkpoint,), tmp_path / "tokenizer.json")


@pytest.mark.parametrize("name", ["tiny", "large-v9", "", "/no/such/path.pt"])
def test_unknown_model_lists_what_is_available(name):
    with pytest.raises(wv.ModelNotFound, match="Installed models: tiny.en, base"):
        wv.load_model(name, device="cpu")


def test_folder_without_model_bin(tmp_path):
    with pytest.raises(wv.ModelNotFound, match="no model.bin"):
        wv.load_model(str(tmp_path), device="cpu")


def test_folder_without_tokenizer_and_files_of_other_kinds(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(wv.WeightsError, match="no tokenizer.json; copy the model's tokenizer.json beside it"):
        resolve_source(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"")
    with pytest.raises(wv.ModelNotFound, match="only openai-whisper .pt checkpoints and CTranslate2 folders"):
        resolve_source(weights)
