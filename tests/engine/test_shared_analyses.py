"""Analyses shared by content, values derived from them, and models that go when they are dropped."""

import gc
import threading
import weakref

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz.engine import shared_analyses as shared_module
from whisper_viz.engine.shared_analyses import SharedAnalyses


@pytest.fixture()
def shared():
    return SharedAnalyses(analyses_bytes=1 << 30, derived_bytes=1 << 28)


def test_same_bytes_give_the_same_read_only_result_computed_once(shared, tiny_model, data_dir, monkeypatch):
    audio = (data_dir / "hello.flac").read_bytes()
    calls = []
    real = shared_module.analyze
    monkeypatch.setattr(shared_module, "analyze", lambda *a, **k: calls.append(1) or real(*a, **k))
    results = []
    threads = [threading.Thread(target=lambda: results.append(shared.analyze(tiny_model, audio))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 4 and all(r is results[0] for r in results)
    result = results[0]
    assert shared.cached(tiny_model, bytes(audio)) is result  # equal bytes, another object: same key
    assert shared.cached(tiny_model, audio, text="hello world") is None  # other options: another analysis
    with pytest.raises(ValueError):
        result.windows[0].attention[0, 0, 0, 0] = 1  # one session cannot change what another sees
    with pytest.raises(ValueError):
        result.audio[0] = 1


def test_derived_values_are_computed_once_and_dropped_with_their_result(shared, tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "hello.flac")
    calls = []
    make = lambda: calls.append(1) or np.ones(10)  # noqa: E731
    first = shared.derived(result, ("thumbs", 0), make)
    assert shared.derived(result, ("thumbs", 0), make) is first and len(calls) == 1
    assert len(shared.derived_values) == 1
    del result
    gc.collect()
    assert len(shared.derived_values) == 0


def test_a_dropped_model_is_freed_after_decoding(data_dir):
    """Values built per model (screened vocabulary, suppress mask) live on the model, not in module caches."""
    model = wv.load_model("tiny.en", device="cpu")
    wv.analyze(model, data_dir / "hello.flac")
    assert model._derived  # built on the model
    model_ref, module_ref = weakref.ref(model), weakref.ref(model.model)
    del model
    gc.collect()
    assert model_ref() is None and module_ref() is None
