"""The attention NPZ (attention.py) holds what is needed to rebuild the app's matrices."""

import io

import numpy as np
import pytest

from whisper_viz.alignment.matrices import normalize_attention
from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.window import head_matrices
from whisper_viz.export.attention import attention_npz


def test_npz_holds_attention_ids_times_and_context(tiny_model, data_dir):
    import whisper_viz as wv

    result = wv.analyze(tiny_model, data_dir / "hello.wav")
    window = result.windows[0]
    npz = np.load(io.BytesIO(attention_npz(result)))
    assert npz["attention"].shape == result.attention.shape and npz["attention"].dtype == np.float16
    assert list(npz["token_ids"]) == [t.id for t in window.tokens]
    assert npz["frame_seconds"][1] == pytest.approx(0.02) and len(npz["frame_seconds"]) == result.attention.shape[-1]
    assert npz["context_attention"].shape[:2] == result.attention.shape[:2]
    assert list(npz["context_ids"]) == [*window.sot_sequence, window.tokens[-1].id]


def test_npz_reproduces_the_apps_normalized_matrices(tiny_model, data_dir):
    import whisper_viz as wv

    result = wv.analyze(tiny_model, data_dir / "pause7.flac")
    npz = np.load(io.BytesIO(attention_npz(result)))
    options = AlignmentOptions(medfilt_width=1)  # the "normalized" view: no median filter
    app = head_matrices(result.windows[0], "all", options)  # (layers * heads, tokens, frames)
    layers, heads, tokens, frames = npz["attention"].shape
    rebuilt = normalize_attention(npz["attention"].reshape(-1, tokens, frames), "reference",
                                  npz["context_attention"].reshape(layers * heads, -1, frames))
    np.testing.assert_allclose(rebuilt, app, atol=1e-6)
    without_context = normalize_attention(npz["attention"].reshape(-1, tokens, frames), "reference")
    assert np.abs(without_context - app).max() > 1e-3  # the context rows matter
