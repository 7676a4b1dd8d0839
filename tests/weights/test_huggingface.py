"""Hugging Face Whisper folders: load them, and match transformers' own model on real clips.

The folders are built in the test from the installed tiny.en and base weights with transformers' classes
(tests/hf_folders.py). Both models get the same log-mel window (openai-whisper's: the mel of the clip, zero
padded to 30 s; transformers' feature extractor pads the audio instead, which changes a token now and then):
the transcripts, encoder outputs, logits and the cross-attention of every head must agree.
"""

import json
import shutil

import numpy as np
import pytest
import torch

import whisper_viz as wv
from whisper_viz.engine.analysis import _Windows
from whisper_viz.engine.audio import load_audio, pad_or_trim
from whisper_viz.engine.model import DecoderState
from whisper_viz.weights.huggingface import huggingface_name, openai_name

pytest.importorskip("transformers")
CROSS_ATTENTION_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, hf_folders):
    return hf_folders.build_hf_folder("tiny.en", tmp_path_factory.mktemp("hf") / "tiny.en")


def first_window(model, audio):
    """The log-mel window analyze() encodes first: (1, n_mels, 3000)."""
    windows = _Windows(model, audio)
    return pad_or_trim(windows.mel[:, : min(3000, windows.content_frames)], 3000).unsqueeze(0)


def assert_matches_transformers(ours, theirs, processor, audio, language=None):
    result = wv.analyze(ours, audio, language=language)
    mel = first_window(ours, audio)
    generate = dict(language=language, task="transcribe") if language else {}
    with torch.inference_mode():
        generated = theirs.generate(mel, return_timestamps=True, **generate)
        assert processor.batch_decode(generated, skip_special_tokens=True)[0].strip() == result.text

        features = ours.model.encoder(mel)
        their_features = theirs.model.encoder(mel).last_hidden_state
        difference = (features - their_features).abs()  # fp32 sums in another order: ~1e-6 of the largest value
        assert difference.max() <= 1e-4 * their_features.abs().max() and difference.mean() <= 1e-5

        capture = result.windows[0]
        tokens = [*capture.sot_sequence, ours.tokenizer.no_timestamps, *(t.id for t in capture.text_tokens),
                  ours.tokenizer.eot]
        logits, cross = ours.model.decoder(torch.tensor([tokens]), DecoderState(ours.model.decoder.start(features).cross_kv),
                                           capture=True)
        out = theirs(input_features=mel, decoder_input_ids=torch.tensor([tokens]), output_attentions=True)
    their_cross = torch.stack(out.cross_attentions, dim=1)  # (1, layers, heads, tokens, 1500)
    attention = cross.float().softmax(dim=-1)
    assert attention.shape == their_cross.shape == (1, *ours.official_heads.shape, len(tokens), 1500)
    assert (attention - their_cross).abs().max().item() <= CROSS_ATTENTION_TOLERANCE
    torch.testing.assert_close(logits, out.logits, atol=1e-3, rtol=1e-4)
    # analyze's capture: fp16, softmax over the real-audio frames only, rows of the text tokens and eot
    first = len(capture.sot_sequence)
    real = their_cross[0, :, :, first:-1, : capture.num_frames]
    real = (real / real.sum(-1, keepdim=True)).numpy()
    assert np.abs(capture.attention.astype(np.float32) - real).max() <= 1e-3
    return result


@pytest.mark.parametrize("clip", ["hello.wav", "pause7.flac", "speech20.flac"])
def test_tiny_en_folder_matches_transformers(tiny_folder, data_dir, clip, hf_folders):
    from transformers import WhisperProcessor

    ours = wv.load_model(tiny_folder, device="cpu")
    assert ours.source.format == "huggingface" and not ours.is_multilingual
    assert np.array_equal(ours.official_heads, wv.load_model("tiny.en", device="cpu").official_heads)
    assert_matches_transformers(ours, hf_folders.transformers_model(tiny_folder),
                                WhisperProcessor.from_pretrained(tiny_folder), load_audio(data_dir / clip))


@pytest.mark.slow
def test_base_folder_matches_transformers(tmp_path, data_dir, hf_folders):
    from transformers import WhisperProcessor

    folder = hf_folders.build_hf_folder("base", tmp_path / "base")
    ours = wv.load_model(folder, device="cpu")
    assert ours.is_multilingual and ours.official_heads.shape == (6, 8) and ours.official_heads.sum() == 8
    result = assert_matches_transformers(ours, hf_folders.transformers_model(folder),
                                         WhisperProcessor.from_pretrained(folder), load_audio(data_dir / "hello.wav"),
                                         language="en")
    assert "world" in result.text.lower()


def test_shallower_decoder_loads_runs_and_matches_transformers(tmp_path, data_dir, hf_folders):
    """A distil-whisper-like student: all 4 encoder layers, decoder layers 0 and 3 of tiny.en only."""
    from transformers import WhisperProcessor

    folder = hf_folders.build_hf_folder("tiny.en", tmp_path / "student", decoder_layers=(0, 3))
    ours = wv.load_model(folder, device="cpu")
    assert (ours.dims.n_audio_layer, ours.dims.n_text_layer) == (4, 2)
    assert ours.official_heads.tolist() == [[False] * 6, [True] * 6]  # no heads in its config: the upper half
    result = assert_matches_transformers(ours, hf_folders.transformers_model(folder),
                                         WhisperProcessor.from_pretrained(folder), load_audio(data_dir / "hello.wav"))
    assert result.windows[0].attention.shape[:2] == (2, 6)
    forced = wv.analyze(ours, data_dir / "hello.wav", text="Hello world.")
    assert [w.word.strip() for w in forced.words] == ["Hello", "world."]
    assert wv.align_words(forced, heads="1:2,1:3")[-1].end > 0


def test_alignment_heads_come_from_generation_config(tmp_path, hf_folders):
    folder = hf_folders.build_hf_folder("tiny.en", tmp_path / "m", decoder_layers=(1, 2, 3), alignment_heads=[(2, 1)])
    model = wv.load_model(folder, device="cpu")
    assert wv.HeadSet(model.official_heads).pairs() == ((2, 1),)
    config = json.loads((folder / "generation_config.json").read_text())
    config["alignment_heads"] = [[3, 0]]
    (folder / "generation_config.json").write_text(json.dumps(config))
    with pytest.raises(wv.WeightsError, match="outside the decoder's 3 layers x 6 heads"):
        wv.load_model(folder, device="cpu")


def test_vocabulary_files_without_tokenizer_json(tmp_path, tiny_folder, monkeypatch, hf_folders):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "vocab"
    shutil.copytree(tiny_folder, folder)
    hf_folders._vocabulary_files(folder / "tokenizer.json", folder)
    assert not (folder / "tokenizer.json").exists()
    model, reference = wv.load_model(folder, device="cpu"), wv.load_model(tiny_folder, device="cpu")
    text = "Hello world, it's 10:30 — naïve café ♪"
    assert model.tokenizer.encode(text) == reference.tokenizer.encode(text)
    for name in ("eot", "sot", "no_timestamps", "timestamp_begin", "no_speech"):
        assert getattr(model.tokenizer, name) == getattr(reference.tokenizer, name)


def test_names_map_both_ways(tiny_model):
    for name in tiny_model.model.state_dict():
        if name != "alignment_heads":
            assert openai_name(huggingface_name(name)) == name
    assert openai_name("proj_out.weight") is None


def test_unsafe_or_broken_folders_are_clear_errors(tmp_path, tiny_folder):
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    shutil.copy(tiny_folder / "config.json", pickled)
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(wv.WeightsError, match="safe_serialization=True"):
        wv.load_model(pickled, device="cpu")
    (pickled / "pytorch_model.bin").unlink()
    with pytest.raises(wv.WeightsError, match="no model.safetensors"):
        wv.load_model(pickled, device="cpu")
    (pickled / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(wv.WeightsError, match="not a readable safetensors file"):
        wv.load_model(pickled, device="cpu")
    config = json.loads((tiny_folder / "config.json").read_text())
    config["decoder_layers"] = 5  # more layers than the weights hold
    shutil.copy(tiny_folder / "model.safetensors", pickled)
    shutil.copy(tiny_folder / "tokenizer.json", pickled)
    (pickled / "config.json").write_text(json.dumps(config))
    with pytest.raises(wv.WeightsError, match="no weights for decoder layer 4"):
        wv.load_model(pickled, device="cpu")
    with pytest.raises(wv.ModelNotFound, match="nor a Whisper config.json"):
        wv.load_model(tmp_path, device="cpu")
