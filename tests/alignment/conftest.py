"""Synthetic captures for alignment tests: real tokenizers, attention bumps that walk forward in time."""

import numpy as np
import pytest
import torch
import whisper.timing
from whisper.tokenizer import get_tokenizer

from whisper_viz.heads import HeadSet
from whisper_viz.results import AnalysisResult, Token, WindowCapture

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


def _tokenizer_for(language):
    if language == "en":
        return get_tokenizer(multilingual=False)
    return get_tokenizer(multilingual=True, language=language, task="transcribe")


def _make_tokens(tokenizer, ids, rng):
    tokens = [Token(i, tokenizer.decode([i]), tokenizer.encoding.decode_single_token_bytes(i),
                    float(rng.uniform(0.3, 1.0))) for i in ids]
    tokens.append(Token(tokenizer.eot, "<|endoftext|>", b"", float(rng.uniform(0.5, 1.0)), special=True))
    return tuple(tokens)


def _synthetic_attention(n_rows, n_frames, shape, rng):
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


def _make_capture(text, language, *, n_frames=400, shape=(4, 6), seed=0, offset=0.0, index=0):
    rng = np.random.default_rng(seed)
    tokenizer = _tokenizer_for(language)
    ids = tokenizer.encode(text)
    tokens = _make_tokens(tokenizer, ids, rng)
    attention = _synthetic_attention(len(tokens), n_frames, shape, rng)
    capture = WindowCapture(index=index, offset=offset, num_frames=n_frames, attention=attention, tokens=tokens,
                            sot_sequence=tuple(tokenizer.sot_sequence), text=tokenizer.decode(ids),
                            language=language, no_speech_probability=0.0)
    return capture, tokenizer, ids


def _reference_alignment(capture, mask, tokenizer, ids, medfilt_width=7):
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


def _make_result(captures, shape=(4, 6), official="tiny.en"):
    return AnalysisResult(model_name="synthetic", language=captures[0].language, task="transcribe",
                          text="".join(c.text for c in captures), duration=60.0, windows=tuple(captures),
                          segments=(), words=(), alignment_heads=HeadSet.official(official).mask.copy(),
                          forced=False, no_speech=False)




@pytest.fixture(scope="session")
def alignment_kit():
    """Builders shared by the alignment tests (fixtures, since test modules do not import each other)."""
    class Kit:
        PREPEND, APPEND, TEXTS = PREPEND, APPEND, TEXTS
        tokenizer_for = staticmethod(_tokenizer_for)
        make_tokens = staticmethod(_make_tokens)
        synthetic_attention = staticmethod(_synthetic_attention)
        make_capture = staticmethod(_make_capture)
        reference_alignment = staticmethod(_reference_alignment)
        make_result = staticmethod(_make_result)
    return Kit
