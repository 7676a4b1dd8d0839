"""The converted-checkpoint cache: a second load reads it, a damaged file is rebuilt, it can be bypassed."""

import torch

import whisper_viz as wv
from whisper_viz.weights.cache import cache_dir, load_checkpoint
from whisper_viz.weights.registry import resolve_source


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


def test_damaged_cache_is_rebuilt_and_bypass_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    source = resolve_source("tiny.en")
    checkpoint, tokenizer, from_cache = load_checkpoint(source, use_cache=False)
    assert not from_cache and tokenizer == source.tokenizer and not any(tmp_path.iterdir())
    load_checkpoint(source)
    (cached,) = tmp_path.glob("*.pt")
    cached.write_bytes(b"damaged")
    rebuilt, _, from_cache = load_checkpoint(source)
    assert not from_cache and rebuilt.alignment_heads == checkpoint.alignment_heads
    assert load_checkpoint(source)[2]  # the rebuilt file is read next time
    assert not list(tmp_path.glob("*.tmp"))  # written atomically
