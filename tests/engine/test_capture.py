"""capture_window: every head's cross-attention and the token probabilities, against openai-whisper's decoder."""

import numpy as np
import pytest
import torch
from whisper.model import disable_sdpa

from whisper_viz.constants import SECONDS_PER_ENCODER_FRAME
from whisper_viz.engine.capture import capture_window


@pytest.fixture(scope="module")
def pause7(tiny_model, first_window, data_dir):
    """The first window of pause7.flac and its transcript's tokens."""
    text = (data_dir / "pause7.txt").read_text().strip()
    return first_window(tiny_model, data_dir / "pause7.flac"), tiny_model.tokenizer.encode(" " + text)


def capture(model, window, text_tokens, num_frames=None, sot_sequence=None, **kwargs):
    """capture_window on `window` with tiny.en's start sequence and the real-audio frames unless told otherwise."""
    options = dict(index=0, offset=0.0, language="en", no_speech_probability=0.0) | kwargs
    return capture_window(model, window.state(), text_tokens,
                          num_frames=window.mel_frames // 2 if num_frames is None else num_frames,
                          sot_sequence=sot_sequence or model.tokenizer.sot_sequence(None), **options)


def openai_pass(reference, mel: torch.Tensor, tokens: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (tokens, vocab), pre-softmax cross-attention (layers, heads, tokens, 1500)) of openai-whisper."""
    qks = [None] * len(reference.decoder.blocks)
    hooks = [block.cross_attn.register_forward_hook(lambda _, ins, outs, i=i: qks.__setitem__(i, outs[-1][0]))
             for i, block in enumerate(reference.decoder.blocks)]
    try:
        with torch.no_grad(), disable_sdpa():
            logits = reference(mel[None], torch.tensor([tokens]))[0]
    finally:
        for hook in hooks:
            hook.remove()
    return logits, torch.stack(qks)


def test_shapes_rows_and_context(tiny_model, pause7):
    window, text_tokens = pause7
    result = capture(tiny_model, window, text_tokens, index=2, offset=31.5, no_speech_probability=0.25)
    layers, heads = tiny_model.dims.n_text_layer, tiny_model.dims.n_text_head
    frames = window.mel_frames // 2  # 20 ms encoder frames of real audio
    assert result.attention.shape == (layers, heads, len(text_tokens) + 1, frames)  # text tokens, then eot
    assert result.attention.dtype == np.float16 and result.num_frames == frames
    assert result.duration == pytest.approx(frames * SECONDS_PER_ENCODER_FRAME)
    # softmax over the real-audio frames only: every row sums to 1 over them
    np.testing.assert_allclose(result.attention.astype(np.float32).sum(-1), 1.0, atol=1e-2)
    # the start-sequence rows and the row at end-of-text, for Whisper's per-frame normalization
    assert result.context_attention.shape == (layers, heads, len(result.sot_sequence) + 1, frames)
    np.testing.assert_allclose(result.context_attention.astype(np.float32).sum(-1), 1.0, atol=1e-2)
    assert (result.index, result.offset, result.language, result.no_speech_probability) == (2, 31.5, "en", 0.25)


def test_tokens_carry_ids_text_bytes_and_end_of_text(tiny_model, pause7):
    window, text_tokens = pause7
    result = capture(tiny_model, window, text_tokens)
    tok = tiny_model.tokenizer
    assert [t.id for t in result.tokens] == [*text_tokens, tok.eot]
    assert [t.id for t in result.text_tokens] == text_tokens
    assert [t.raw for t in result.text_tokens] == [tok.token_bytes(i) for i in text_tokens]
    assert b"".join(t.raw for t in result.tokens).decode() == result.text == tok.decode(text_tokens)
    assert result.tokens[-1].special and result.tokens[-1].text == "<|endoftext|>" and result.tokens[-1].raw == b""
    assert not any(t.special for t in result.text_tokens)


def test_attention_and_probabilities_equal_openai_whisper(tiny_model, pause7, openai_reference):
    window, text_tokens = pause7
    result = capture(tiny_model, window, text_tokens)
    tok = tiny_model.tokenizer
    sequence = [*result.sot_sequence, tok.no_timestamps, *text_tokens, tok.eot]
    logits, qk = openai_pass(openai_reference(tiny_model), window.mel, sequence)
    first = len(result.sot_sequence)  # the row at no_timestamps predicts the first text token
    weights = qk[..., : result.num_frames].float().softmax(dim=-1)  # (layers, heads, all rows, frames)
    np.testing.assert_allclose(result.attention.astype(np.float32), weights[:, :, first:-1].numpy(), atol=2e-3)
    context = torch.cat([weights[:, :, :first], weights[:, :, -1:]], dim=2)
    np.testing.assert_allclose(result.context_attention.astype(np.float32), context.numpy(), atol=2e-3)
    # text tokens: probability among ordinary tokens (as openai-whisper's word probabilities); eot: among all
    text_probs = logits[first: first + len(text_tokens), : tok.eot].softmax(-1)
    expected = text_probs[torch.arange(len(text_tokens)), text_tokens].numpy()
    np.testing.assert_allclose([t.probability for t in result.text_tokens], expected, atol=1e-4)
    eot_prob = logits[first + len(text_tokens)].softmax(-1)[tok.eot].item()
    assert result.tokens[-1].probability == pytest.approx(eot_prob, abs=1e-4)


def test_frames_are_clamped_to_the_window_and_empty_text_keeps_the_eot_row(tiny_model, pause7):
    window, text_tokens = pause7
    assert capture(tiny_model, window, text_tokens, num_frames=0).attention.shape[-1] == 1
    whole = capture(tiny_model, window, text_tokens[:3], num_frames=5000)
    assert whole.num_frames == whole.attention.shape[-1] == tiny_model.dims.n_audio_ctx
    empty = capture(tiny_model, window, [])
    assert empty.attention.shape[2] == 1 and empty.text == "" and empty.text_tokens == ()


def test_multilingual_start_sequence_adds_context_rows(base_model, first_window, data_dir):
    window = first_window(base_model, data_dir / "hello.wav")
    sot = base_model.tokenizer.sot_sequence("en", "transcribe")
    result = capture(base_model, window, base_model.tokenizer.encode(" Hello world."), sot_sequence=sot)
    assert len(sot) == 3 and result.sot_sequence == sot
    assert result.context_attention.shape[:3] == (6, 8, 4)  # sot, language, task, then the eot row
    assert result.attention.shape[:3] == (6, 8, 4)  # " Hello", " world", ".", then eot
