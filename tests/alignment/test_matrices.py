"""Per-head matrices (matrices.py): the normalizations, the cache and the context rows of the z-score."""

import gc

import numpy as np
import pytest
import torch
import whisper.timing

from whisper_viz.alignment.matrices import MATRIX_CACHE, normalize_attention
from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.window import align_window, clear_cache, head_matrices
from whisper_viz.heads import HeadSet


@pytest.mark.parametrize("normalization", ["reference", "ct2", "l2", "none"])
def test_normalizations(normalization, alignment_kit):
    kit = alignment_kit
    capture, _, _ = kit.make_capture(" Some words to align here.", "en", seed=5)
    aligned = align_window(capture, "all", AlignmentOptions(normalization=normalization))
    assert aligned.matrix.dtype == np.float32 and aligned.matrix.shape == capture.attention.shape[2:]
    assert np.isfinite(aligned.matrix).all()
    assert [w.word for w in aligned.words] == [" Some", " words", " to", " align", " here."]
    starts = [w.start for w in aligned.words]
    assert starts == sorted(starts)


def test_normalize_attention_formulas():
    rng = np.random.default_rng(0)
    w = rng.random((2, 5, 9)).astype(np.float32)
    w /= w.sum(-1, keepdims=True)
    z = normalize_attention(w, "reference")
    np.testing.assert_allclose(z.mean(-2), 0, atol=1e-6)
    np.testing.assert_allclose(z.std(-2), 1, atol=1e-5)
    np.testing.assert_allclose(normalize_attention(w, "ct2"), z, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(normalize_attention(w, "l2"), axis=-2), 1, atol=1e-6)
    np.testing.assert_allclose(normalize_attention(w, "none"), w, atol=1e-7)
    flat = np.full((3, 4), 0.25, np.float32)  # every token the same: 0, not NaN
    assert (normalize_attention(flat, "reference") == 0).all()


def test_toggle_uses_cache_and_matches_fresh_computation(alignment_kit):
    kit = alignment_kit
    capture, _, _ = kit.make_capture(" Cache me if you can.", "en", seed=6, shape=(4, 6))
    heads = HeadSet.official("tiny.en")
    first = align_window(capture, heads)
    toggled = align_window(capture, heads.toggle(0, 0))
    back = align_window(capture, heads)
    assert back.words == first.words
    np.testing.assert_array_equal(back.matrix, first.matrix)
    clear_cache()
    fresh = align_window(capture, heads.toggle(0, 0))
    np.testing.assert_array_equal(fresh.matrix, toggled.matrix)
    per_head = head_matrices(capture, heads)
    assert per_head.shape == (len(heads), *capture.attention.shape[2:])
    np.testing.assert_allclose(per_head.mean(0), first.matrix, atol=1e-6)


def test_cache_forgets_dead_captures(alignment_kit):
    kit = alignment_kit
    clear_cache()
    capture, _, _ = kit.make_capture(" Short lived.", "en", seed=7)
    align_window(capture, "all")
    assert len(MATRIX_CACHE.entries) == 1
    del capture
    gc.collect()
    assert len(MATRIX_CACHE.entries) == 0


def test_context_rows_join_the_statistics_like_find_alignment(alignment_kit):
    kit = alignment_kit
    """With the sot-sequence rows (and the row after eot) present, z-scores use them as whisper does."""
    capture, tokenizer, ids = kit.make_capture(" Context rows matter here.", "en", seed=11)
    rng = np.random.default_rng(11)
    context = kit.synthetic_attention(5, capture.attention.shape[-1], (4, 6), rng)  # (layers, heads, rows, frames)
    object.__setattr__(capture, "context_attention", context)  # the optional field a capture may carry
    mask = HeadSet.official("tiny.en").mask
    weights = torch.from_numpy(np.concatenate([capture.attention, context], axis=2)[mask].astype(np.float32))
    weights = weights / weights.sum(-1, keepdim=True)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))  # float16 zeros, as in reference_alignment
    expected = whisper.timing.median_filter((weights - mean) / std, 7).mean(0)[: len(capture.tokens)]
    clear_cache()
    aligned = align_window(capture, mask, AlignmentOptions(postprocess=False))
    np.testing.assert_allclose(aligned.matrix, expected.numpy(), rtol=0, atol=1e-6)




def test_filling_one_capture_does_not_block_another(monkeypatch, alignment_kit):
    """The cache's lock guards its table only: a slow capture (one session's 10-minute clip) being normalized
    does not hold up another capture's heads (another session's toggle)."""
    import threading

    from whisper_viz.alignment import matrices

    cache = matrices._HeadMatrixCache(1 << 30)
    options = AlignmentOptions("reference", 1)
    slow, _, _ = alignment_kit.make_capture(" A long clip.", "en", seed=1)
    fast, _, _ = alignment_kit.make_capture(" A short one.", "en", seed=2)
    entered, release = threading.Event(), threading.Event()
    real = matrices.normalize_attention

    def normalize(weights, normalization, context=None):
        if threading.current_thread().name == "slow":
            entered.set()
            release.wait(10)
        return real(weights, normalization, context)

    monkeypatch.setattr(matrices, "normalize_attention", normalize)
    thread = threading.Thread(target=cache.rows, args=(slow, options, np.arange(4)), name="slow")
    thread.start()
    try:
        assert entered.wait(10)
        rows = cache.rows(fast, options, np.arange(2))  # returns while the slow capture is mid-fill
        assert rows.shape[0] == 2 and thread.is_alive()
    finally:
        release.set()
        thread.join()
