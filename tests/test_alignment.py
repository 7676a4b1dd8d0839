"""Alignment: word grouping and timings equal openai-whisper's own functions on the same attention."""

import gc
import string

import numpy as np
import pytest
import torch
import whisper.timing
from whisper.tokenizer import get_tokenizer

from whisper_viz.alignment import (
    PRESETS,
    AlignmentOptions,
    align_window,
    align_words,
    clear_cache,
    head_matrices,
    normalize_attention,
    split_tokens,
)
from whisper_viz.errors import AlignmentError, HeadSetError
from whisper_viz.heads import HeadSet
from whisper_viz.results import AnalysisResult, Segment, Token, WindowCapture

PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"

TEXTS = [
    ("en", " Hello, world! It's 3.5 \"quoted\" (paren) - dash... what? Mr. O'Neil's café—naïve."),
    ("en", " I ❤️ NY 🗽! Über-cool, ¿sí? «Bien»"),
    ("es", " ¿Qué tal? «Bien», gracias. ¡Hola!"),
    ("zh", "你好，世界。我们今天去哪里？😀"),
    ("ja", "こんにちは、世界！🎌「東京」です。"),
    ("th", "สวัสดีครับ ผมชื่อสมชาย"),
    ("en", " a"),
]


def tokenizer_for(language):
    if language == "en":
        return get_tokenizer(multilingual=False)
    return get_tokenizer(multilingual=True, language=language, task="transcribe")


def make_tokens(tokenizer, ids, rng):
    tokens = [Token(i, tokenizer.decode([i]), tokenizer.encoding.decode_single_token_bytes(i),
                    float(rng.uniform(0.3, 1.0))) for i in ids]
    tokens.append(Token(tokenizer.eot, "<|endoftext|>", b"", float(rng.uniform(0.5, 1.0)), special=True))
    return tuple(tokens)


def synthetic_attention(n_rows, n_frames, shape, rng):
    """float16 (layers, heads, tokens, frames): softmax of bumps that walk forward in time, plus noise."""
    n_layers, n_heads = shape
    centres = np.sort(rng.uniform(5, n_frames - 5, n_rows))  # (tokens,)
    frames = np.arange(n_frames)
    shift = rng.normal(0, 3, (n_layers, n_heads, 1, 1))
    widths = rng.uniform(1.5, 6, (n_layers, n_heads, 1, 1))
    logits = -(((frames - centres[:, None] - shift) / widths) ** 2)  # (layers, heads, tokens, frames)
    logits = logits + rng.normal(0, 1.5, (n_layers, n_heads, n_rows, n_frames))
    logits = logits - logits.max(-1, keepdims=True)
    probs = np.exp(logits)
    return (probs / probs.sum(-1, keepdims=True)).astype(np.float16)


def make_capture(text, language, *, n_frames=400, shape=(4, 6), seed=0, offset=0.0, index=0):
    rng = np.random.default_rng(seed)
    tokenizer = tokenizer_for(language)
    ids = tokenizer.encode(text)
    tokens = make_tokens(tokenizer, ids, rng)
    attention = synthetic_attention(len(tokens), n_frames, shape, rng)
    capture = WindowCapture(index=index, offset=offset, num_frames=n_frames, attention=attention, tokens=tokens,
                            sot_sequence=tuple(tokenizer.sot_sequence), text=tokenizer.decode(ids),
                            language=language, no_speech_probability=0.0)
    return capture, tokenizer, ids


def reference_alignment(capture, mask, tokenizer, ids, medfilt_width=7):
    """openai-whisper's find_alignment from `matrix` on, fed our capture's rows."""
    weights = torch.from_numpy(capture.attention[mask].astype(np.float32))  # (heads, tokens, frames)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    # float16 captures underflow to 0 far from speech; a frame where every token is 0 has std 0,
    # which whisper (float32 softmax) never meets: both sides map it to 0 instead of NaN
    weights = (weights - mean) / torch.where(std > 0, std, torch.ones_like(std))
    weights = whisper.timing.median_filter(weights, medfilt_width)
    matrix = weights.mean(axis=0)
    text_indices, time_indices = whisper.timing.dtw(-matrix)
    words, word_tokens = tokenizer.split_to_word_tokens(ids + [tokenizer.eot])
    boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / whisper.audio.TOKENS_PER_SECOND
    probs = [t.probability for t in capture.tokens[:-1]]
    return [
        whisper.timing.WordTiming(word, list(toks), jump_times[i], jump_times[j], np.mean(probs[i:j]))
        for word, toks, i, j in zip(words, word_tokens, boundaries[:-1], boundaries[1:])
    ], matrix.numpy()


@pytest.mark.parametrize("language, text", TEXTS)
def test_split_tokens_equals_openai_tokenizer(language, text):
    tokenizer = tokenizer_for(language)
    ids = tokenizer.encode(text)
    tokens = make_tokens(tokenizer, ids, np.random.default_rng(0))
    expected_words, expected_tokens = tokenizer.split_to_word_tokens(ids + [tokenizer.eot])
    ours = split_tokens(tokens, language)
    assert [w for w, _ in ours] == expected_words
    assert [[tokens[r].id for r in rows] for _, rows in ours] == expected_tokens


def test_split_keeps_characters_split_across_tokens():
    tokenizer = get_tokenizer(multilingual=True, language="zh", task="transcribe")
    ids = tokenizer.encode("😀🎌")
    assert any(b"\xef\xbf\xbd" in tokenizer.decode([i]).encode() for i in ids)  # some token is half a character
    tokens = make_tokens(tokenizer, ids, np.random.default_rng(0))
    assert [w for w, _ in split_tokens(tokens, "zh")][:2] == ["😀", "🎌"]


@pytest.mark.parametrize("language, text", TEXTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_raw_alignment_equals_openai_functions(language, text, seed):
    capture, tokenizer, ids = make_capture(text, language, seed=seed, offset=12.34)
    mask = HeadSet.official("tiny.en").mask
    expected, matrix = reference_alignment(capture, mask, tokenizer, ids)
    whisper.timing.merge_punctuations(expected, PREPEND, APPEND)
    expected = [w for w in expected if w.word]
    aligned = align_window(capture, mask, AlignmentOptions(postprocess=False))
    np.testing.assert_allclose(aligned.matrix, matrix, rtol=0, atol=1e-6)
    assert [w.word for w in aligned.words] == [w.word for w in expected]
    assert [w.start for w in aligned.words] == [round(12.34 + w.start, 2) for w in expected]
    assert [w.end for w in aligned.words] == [round(12.34 + w.end, 2) for w in expected]
    np.testing.assert_allclose([w.probability for w in aligned.words], [w.probability for w in expected])
    assert [[capture.tokens[r].id for r in w.token_indices] for w in aligned.words] == [w.tokens for w in expected]
    assert all(w.window == 0 for w in aligned.words)


def test_postprocess_equals_add_word_timestamps(monkeypatch):
    """Feed our raw alignment through openai-whisper's add_word_timestamps and compare."""
    text = " One. Two! Three? Four five six seven eight nine ten. Eleven"
    moved = 0
    for seed in range(6):
        capture, tokenizer, ids = make_capture(text, "en", seed=seed, n_frames=600, offset=30.0)
        # stretch a few tokens so the heuristics have something to cut
        mask = HeadSet.official("tiny.en").mask
        expected, _ = reference_alignment(capture, mask, tokenizer, ids)
        monkeypatch.setattr(whisper.timing, "find_alignment", lambda *a, **k: [
            whisper.timing.WordTiming(w.word, list(w.tokens), w.start, w.end, w.probability) for w in expected])
        half = len(ids) // 2
        segments = [dict(seek=3000, start=30.5, end=35.0, tokens=ids[:half]),
                    dict(seek=3000, start=35.0, end=41.0, tokens=ids[half:])]
        whisper.timing.add_word_timestamps(segments=segments, model=None, tokenizer=tokenizer, mel=None,
                                           num_frames=1200, last_speech_timestamp=28.0)
        reference = [w for s in segments for w in s["words"]]
        ours_segments = (Segment(30.5, 35.0, tokenizer.decode(ids[:half]), 0),
                         Segment(35.0, 41.0, tokenizer.decode(ids[half:]), 0))
        ours = align_window(capture, mask, AlignmentOptions(), last_speech=28.0, segments=ours_segments).words
        assert [(w.word, w.start, w.end) for w in ours] == [(w["word"], w["start"], w["end"]) for w in reference]
        # and as one segment without segment timestamps: only the pause rule and sentence cuts
        raw = align_window(capture, mask, AlignmentOptions(postprocess=False)).words
        assert [w.word for w in raw] == [w["word"] for w in reference]
        moved += sum((a.start, a.end) != (b.start, b.end) for a, b in zip(ours, raw))
    assert moved > 0  # the heuristics did move some edges


def test_segments_that_do_not_spell_the_words_form_one_group():
    capture, _, _ = make_capture(" Two segments here.", "en", seed=2, offset=5.0)
    mask = HeadSet.official("tiny.en").mask
    plain = align_window(capture, mask, last_speech=5.0).words
    odd = align_window(capture, mask, last_speech=5.0, segments=(Segment(5.0, 9.0, "other text", 0),)).words
    assert odd == plain


def make_result(captures, shape=(4, 6), official="tiny.en"):
    return AnalysisResult(model_name="synthetic", language=captures[0].language, task="transcribe",
                          text="".join(c.text for c in captures), duration=60.0, windows=tuple(captures),
                          segments=(), words=(), alignment_heads=HeadSet.official(official).mask.copy(),
                          forced=False, no_speech=False)


def test_align_words_over_windows_with_offsets():
    first, _, _ = make_capture(" The first window.", "en", seed=3)
    second, _, _ = make_capture(" And the second.", "en", seed=4, offset=30.0, index=1)
    result = make_result([first, second])
    words = align_words(result)
    assert [w.word for w in words] == [" The", " first", " window.", " And", " the", " second."]
    assert [w.window for w in words] == [0, 0, 0, 1, 1, 1]
    assert all(0 <= w.start <= w.end <= 8.0 for w in words[:3])
    assert all(30.0 <= w.start <= w.end <= 38.0 for w in words[3:])
    assert align_words(result, preset="reference") == align_words(result, heads="official")
    assert align_words(result, heads=result.alignment_heads) == words
    upper = align_words(result, heads="upper", normalization="l2", medfilt_width=3, postprocess=False)
    assert [w.word for w in upper] == [w.word for w in words]


@pytest.mark.parametrize("normalization", ["reference", "ct2", "l2", "none"])
def test_normalizations(normalization):
    capture, _, _ = make_capture(" Some words to align here.", "en", seed=5)
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


def test_toggle_uses_cache_and_matches_fresh_computation():
    capture, _, _ = make_capture(" Cache me if you can.", "en", seed=6, shape=(4, 6))
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


def test_cache_forgets_dead_captures():
    from whisper_viz import alignment

    clear_cache()
    capture, _, _ = make_capture(" Short lived.", "en", seed=7)
    align_window(capture, "all")
    assert len(alignment._CACHE.entries) == 1
    del capture
    gc.collect()
    assert len(alignment._CACHE.entries) == 0


def test_empty_window_gives_no_words():
    tokenizer = get_tokenizer(multilingual=False)
    capture = WindowCapture(0, 0.0, 50, np.full((4, 6, 1, 50), 0.02, np.float16),
                            make_tokens(tokenizer, [], np.random.default_rng(0)), (), "", "en", 0.9)
    assert align_window(capture, "all").words == ()


def test_alignment_errors():
    capture, _, _ = make_capture(" Errors are clear.", "en", seed=8, n_frames=50)
    with pytest.raises(AlignmentError, match="empty"):
        align_window(capture, "none")
    with pytest.raises(AlignmentError, match="shape"):
        align_window(capture, HeadSet.all((6, 8)))
    with pytest.raises(HeadSetError, match="official"):
        align_window(capture, "official")
    short, _, _ = make_capture(" " + " ".join(["word"] * 30), "en", seed=9, n_frames=20)
    with pytest.raises(AlignmentError, match="frames"):
        align_window(short, "all")
    bad = WindowCapture(0, 0.0, 50, capture.attention[0], capture.tokens, (), "", "en", 0.0)
    with pytest.raises(AlignmentError, match="4-D"):
        align_window(bad, "all")
    with pytest.raises(AlignmentError, match="odd"):
        AlignmentOptions(medfilt_width=4)
    with pytest.raises(AlignmentError, match="normalization"):
        AlignmentOptions(normalization="softmax")
    with pytest.raises(AlignmentError, match="preset"):
        align_words(make_result([capture]), preset="nope")
    assert set(PRESETS) >= {"reference"}
    assert string.punctuation  # the split rule relies on it


def test_context_rows_join_the_statistics_like_find_alignment():
    """With the sot-sequence rows (and the row after eot) present, z-scores use them as whisper does."""
    capture, tokenizer, ids = make_capture(" Context rows matter here.", "en", seed=11)
    rng = np.random.default_rng(11)
    context = synthetic_attention(5, capture.attention.shape[-1], (4, 6), rng)  # (layers, heads, rows, frames)
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


# --- real model (tiny.en) ---------------------------------------------------------------------


def openai_reference(model):
    """openai-whisper's model with our converted tiny.en weights and its official heads."""
    from whisper.model import ModelDimensions, Whisper

    reference = Whisper(ModelDimensions(**model.dims.to_dict()))
    reference.load_state_dict({k: v for k, v in model.model.state_dict().items() if k != "alignment_heads"})
    reference.set_alignment_heads(whisper._ALIGNMENT_HEADS["tiny.en"])
    return reference.eval()


@pytest.mark.parametrize("clip", ["hello.wav", "pause7.flac"])
def test_real_words_match_openai_find_alignment(tiny_model, data_dir, clip):
    import whisper_viz as wv
    from whisper_viz.audio import log_mel_spectrogram, pad_or_trim

    result = wv.analyze(tiny_model, data_dir / clip)
    assert align_words(result) == result.words  # analyze aligns with the same function
    window = result.windows[0]
    tokenizer = get_tokenizer(multilingual=False)
    mel = pad_or_trim(log_mel_spectrogram(result.audio), 3000)
    expected = whisper.timing.find_alignment(openai_reference(tiny_model), tokenizer,
                                             [t.id for t in window.text_tokens], mel, window.num_frames * 2)
    whisper.timing.merge_punctuations(expected, PREPEND, APPEND)
    expected = [(w.word, round(float(w.start), 2), round(float(w.end), 2)) for w in expected if w.word]
    ours = [(w.word, w.start, w.end) for w in align_window(window, result.alignment_heads,
                                                           AlignmentOptions(postprocess=False)).words]
    assert [w for w, _, _ in ours] == [w for w, _, _ in expected]
    if getattr(window, "context_attention", None) is not None:
        assert ours == expected
    else:
        # the capture lacks the sot-sequence rows that find_alignment's z-score also averages
        # over: a boundary may move by one 20 ms frame, never more
        differences = [max(abs(a[1] - b[1]), abs(a[2] - b[2])) for a, b in zip(ours, expected)]
        assert max(differences) <= 0.02 + 1e-9
        assert sum(d == 0 for d in differences) >= 0.75 * len(differences)
