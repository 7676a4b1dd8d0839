"""screened_vocabulary: the int8 screen's bound holds, and greedy decoding picks exactly what the full
fp32 projection picks (tokens and log-probabilities) on real audio."""

import pytest
import torch

import whisper_viz as wv
from whisper_viz.engine import analysis, decoding
from whisper_viz.engine.audio import load_audio
from whisper_viz.engine.model import DecoderState
from whisper_viz.engine.screened_vocabulary import ScreenedVocabulary


@pytest.fixture(scope="module")
def screen(tiny_model) -> ScreenedVocabulary:
    return decoding._screened_vocabulary(tiny_model)


@pytest.fixture(scope="module")
def decoded_hidden_states(tiny_model, data_dir) -> torch.Tensor:
    """Final-layer-norm states (steps, state) along a real transcript, teacher-forced."""
    samples = load_audio(str(data_dir / "speech20.flac"))
    window = wv.analyze(tiny_model, samples).windows[0]
    with torch.inference_mode():
        state, _ = analysis._Windows(tiny_model, samples).encode(0)
        tokens = torch.tensor([[*window.sot_sequence, *(t.id for t in window.tokens)]])
        hidden, _ = tiny_model.model.decoder(tokens, DecoderState(state.cross_kv), project=False)
    return hidden[0]


def test_screen_is_used_on_cpu(screen):
    assert screen is not None


def test_timestamp_and_vocabulary_logits_use_packed_fp16_weights_and_equal_fp32(screen, decoded_hidden_states):
    assert screen.packed_vocabulary is not None and screen.packed_timestamps is not None
    hidden = decoded_hidden_states[:4]  # (4, state)
    expected = (hidden.double() @ screen.weight.double().T).float()  # (4, vocab)
    torch.testing.assert_close(screen.all_logits(hidden), expected, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(screen.timestamp_logits(hidden[0]), expected[0, screen.timestamp_begin:],
                               atol=1e-4, rtol=1e-5)


def test_bound_holds_for_real_and_extreme_states(screen, decoded_hidden_states):
    generator = torch.Generator().manual_seed(0)
    scaled = torch.randn(8, decoded_hidden_states.shape[1], generator=generator) * torch.tensor(
        [0.01, 1, 10, 100, 300, 1000, 3000, 10000])[:, None]
    for hidden in [*decoded_hidden_states, *scaled]:
        approx, bound = screen.screen(hidden)
        exact = (screen.weight[:screen.timestamp_begin].double() @ hidden.double()).numpy()  # text rows
        assert (abs(exact - approx) <= bound).all()


def test_choose_equals_full_argmax_under_every_mask(screen, decoded_hidden_states, tiny_model):
    """Against the reference rules (mask, timestamp rule, argmax over all fp32 logits)."""
    ts_begin = tiny_model.tokenizer.timestamp_begin
    generator = torch.Generator().manual_seed(1)
    for i, hidden in enumerate(decoded_hidden_states):
        for masking in ("none", "text", "timestamps", "random", "all"):
            bias = torch.zeros(tiny_model.dims.n_vocab)
            if masking == "text":
                bias[:ts_begin] = float("-inf")
            elif masking == "timestamps":
                bias[ts_begin:] = float("-inf")
            elif masking == "random":
                bias[torch.rand(bias.shape, generator=generator) < 0.5] = float("-inf")
            elif masking == "all":
                bias[:] = float("-inf")
            reference = screen.weight @ hidden + bias
            decoding.mask_text_if_timestamps_win(reference, ts_begin)
            token, _ = screen.choose(hidden, bias)
            assert token == int(reference.argmax()), (i, masking)


@pytest.mark.parametrize("clip", ["speech20.flac", "long45.flac", "pause7.flac", "hello.wav"])
def test_decoding_equals_the_full_projection(tiny_model, data_dir, clip, monkeypatch):
    decoded = []
    original = decoding.decode_window

    def recording(*args, **kwargs):
        decoded.append(original(*args, **kwargs))
        return decoded[-1]

    monkeypatch.setattr(analysis, "decode_window", recording)
    screened = wv.analyze(tiny_model, str(data_dir / clip))
    screened_windows = [(d.tokens, d.avg_logprob, d.no_speech_probability) for d in decoded]
    decoded.clear()
    monkeypatch.setattr(decoding, "_screened_vocabulary", lambda model: None)
    full = wv.analyze(tiny_model, str(data_dir / clip))
    assert full.text == screened.text
    for (tokens, avg_logprob, no_speech), reference in zip(screened_windows, decoded, strict=True):
        assert tokens == reference.tokens
        assert avg_logprob == pytest.approx(reference.avg_logprob, abs=1e-4)
        assert no_speech == pytest.approx(reference.no_speech_probability, abs=1e-5)


def test_multilingual_base_decodes_as_with_the_full_projection(data_dir, monkeypatch):
    base = wv.load_model("base", device="cpu")
    screened = wv.analyze(base, str(data_dir / "speech20.flac"))
    monkeypatch.setattr(decoding, "_screened_vocabulary", lambda model: None)
    full = wv.analyze(base, str(data_dir / "speech20.flac"))
    assert screened.language == full.language == "en"
    assert screened.text == full.text and [t.id for t in screened.windows[0].tokens] == \
        [t.id for t in full.windows[0].tokens]
