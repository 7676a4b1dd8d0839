"""Our PyTorch Whisper against openai-whisper's, loaded with the same converted weights."""

import numpy as np
import pytest
import torch
from whisper.model import ModelDimensions as OpenAIDims
from whisper.model import Whisper as OpenAIWhisper
from whisper.model import disable_sdpa

import whisper_viz as wv
from whisper_viz.engine.audio import load_audio, log_mel_spectrogram, pad_or_trim

FP32_ATOL = 2e-4


def openai_model(model: wv.LoadedModel) -> OpenAIWhisper:
    reference = OpenAIWhisper(OpenAIDims(**model.dims.to_dict()))
    state = {k: v for k, v in model.model.state_dict().items() if k != "alignment_heads"}
    reference.load_state_dict(state)
    return reference.eval()


@pytest.fixture(scope="module")
def reference(tiny_model):
    return openai_model(tiny_model)


def test_encoder_matches_openai_whisper(tiny_model, reference, data_dir):
    mel = pad_or_trim(log_mel_spectrogram(load_audio(data_dir / "hello.wav")), 3000)[None]
    with torch.no_grad():
        ours, theirs = tiny_model.model.encoder(mel), reference.encoder(mel)
    assert torch.allclose(ours, theirs, atol=FP32_ATOL)


def test_cross_attention_matches_openai_whisper_for_same_tokens(tiny_model, reference, data_dir):
    result = wv.analyze(tiny_model, data_dir / "hello.wav")
    window = result.windows[0]
    tokens = [*window.sot_sequence, tiny_model.tokenizer.no_timestamps, *[t.id for t in window.tokens]]
    mel = pad_or_trim(log_mel_spectrogram(result.audio), 3000)[None]
    qks = [None] * tiny_model.dims.n_text_layer
    hooks = [block.cross_attn.register_forward_hook(
        lambda _, ins, outs, index=i: qks.__setitem__(index, outs[-1][0])) for i, block in enumerate(reference.decoder.blocks)]
    with torch.no_grad(), disable_sdpa():
        logits = reference(mel, torch.tensor([tokens]))[0]
    for hook in hooks:
        hook.remove()
    first = len(window.sot_sequence)
    theirs = torch.stack(qks)[:, :, first:-1, : window.num_frames].float().softmax(dim=-1)  # (layers, heads, tokens, frames)
    assert window.attention.shape == tuple(theirs.shape)
    assert np.allclose(window.attention.astype(np.float32), theirs.numpy(), atol=2e-3)  # float16 storage
    probs = logits[first:-1, : tiny_model.tokenizer.eot].softmax(-1)
    text_ids = [t.id for t in window.text_tokens]
    expected = probs[torch.arange(len(text_ids)), text_ids].numpy()
    assert np.allclose([t.probability for t in window.text_tokens], expected, atol=1e-4)


def test_greedy_logits_match_openai_whisper_decoder(tiny_model, reference):
    torch.manual_seed(0)
    audio_features = torch.randn(1, 1500, tiny_model.dims.n_audio_state)
    tokens = torch.tensor([[tiny_model.tokenizer.sot, tiny_model.tokenizer.no_timestamps, 440, 1049, 13]])
    with torch.no_grad():
        state = tiny_model.model.decoder.start(audio_features)
        ours, _ = tiny_model.model.decoder(tokens[:, :2], state)
        ours_next, _ = tiny_model.model.decoder(tokens[:, 2:], state)  # through the KV cache
        theirs = reference.decoder(tokens, audio_features)
    assert torch.allclose(torch.cat([ours, ours_next], dim=1), theirs, atol=FP32_ATOL)


def test_cpu_model_multiplies_with_packed_fp16_copies_of_its_weights(tiny_model):
    """tiny.en's weights are fp16 values, so every CPU product uses fbgemm's fp16 copies; the openai-whisper
    parity tests above therefore check the packed path."""
    from whisper_viz.engine.model import Linear

    linears = [m for m in tiny_model.model.modules() if isinstance(m, Linear)]
    assert linears and all(m.packed is not None for m in linears)
    blocks = [*tiny_model.model.encoder.blocks, *tiny_model.model.decoder.blocks]
    assert all(block.attn.fused_qkv[2] is not None for block in blocks)


def test_packed_linear_equals_fp32_product_and_skips_weights_that_are_not_fp16():
    from whisper_viz.engine.model import Linear

    torch.manual_seed(0)
    layer = Linear(384, 1536)
    with torch.no_grad():
        layer.weight.copy_(layer.weight.half().float())  # fp16 values, as Whisper's published weights
    x = torch.randn(2, 7, 384)
    expected = (x.double() @ layer.weight.double().T + layer.bias.double()).float()
    assert layer.pack_fp16()
    torch.testing.assert_close(layer(x), expected, atol=1e-5, rtol=1e-5)
    assert set(layer.state_dict()) == {"weight", "bias"}  # the packed copy stays out of checkpoints

    fp32_layer = Linear(384, 384)  # fp32 values: packing would round them, so the fp32 product stays
    assert not fp32_layer.pack_fp16() and fp32_layer.packed is None
    torch.testing.assert_close(fp32_layer(x), torch.nn.functional.linear(x, fp32_layer.weight, fp32_layer.bias))
