"""Greedy window decoding against openai-whisper: timestamp rules, whole windows, language detection, segments."""

import numpy as np
import pytest
import torch
import whisper.decoding
from whisper.tokenizer import get_tokenizer

from whisper_viz.constants import FRAMES_PER_SECOND, TIME_PRECISION
from whisper_viz.engine.decoding import (
    MAX_INITIAL_TIMESTAMP,
    DecodingOptions,
    decode_window,
    detect_language,
    mask_by_timestamp_order,
    mask_text_if_timestamps_win,
    split_segments,
)

TS = 50363  # tiny.en's first timestamp token, <|0.00|>
TEXT_A, TEXT_B, TEXT_C = 400, 500, 600  # ordinary tokens
N_RULE_CASES = 120


@pytest.fixture(scope="module")
def tiny_reference(tiny_model, openai_reference):
    return openai_reference(tiny_model)


def random_sampled(rng: np.random.Generator) -> list[int]:
    """Tokens sampled so far: text and timestamps in any order, often in Whisper's own pattern."""
    sampled, stamp = [], int(rng.integers(0, 60))
    for _ in range(int(rng.integers(0, 9))):
        if rng.random() < 0.45:
            stamp += int(rng.integers(-5, 40)) if rng.random() < 0.2 else int(rng.integers(0, 40))
            sampled.append(TS + max(stamp, 0))
        else:
            sampled.append(int(rng.integers(0, 50256)))
    return sampled


def test_timestamp_rules_equal_openai_apply_timestamp_rules_on_random_logits(tiny_model):
    tokenizer = get_tokenizer(multilingual=False)
    assert tiny_model.tokenizer.timestamp_begin == tokenizer.timestamp_begin == TS
    sot = tiny_model.tokenizer.sot_sequence(None)
    rng = np.random.default_rng(0)
    generator = torch.Generator().manual_seed(0)
    timestamps_won = 0  # cases where the last rule masked text the order rules had left
    for case in range(N_RULE_CASES):
        sampled = random_sampled(rng)
        max_initial = None if case % 3 == 0 else round(MAX_INITIAL_TIMESTAMP / TIME_PRECISION)
        logits = torch.randn(tiny_model.dims.n_vocab, generator=generator) * 3
        logits[TS:] += float(rng.uniform(-2, 6))  # sometimes the timestamps together outweigh every text token
        ours = logits.clone()
        mask_by_timestamp_order(ours, sampled, tiny_model, max_initial)
        ordered = ours.clone()
        mask_text_if_timestamps_win(ours, TS)
        timestamps_won += not torch.equal(ordered, ours)
        theirs = logits.clone()[None]  # (1, vocab)
        rules = whisper.decoding.ApplyTimestampRules(tokenizer, len(sot), max_initial)
        rules.apply(theirs, torch.tensor([[*sot, *sampled]]))
        assert torch.equal(ours, theirs[0]), (case, sampled)
    assert N_RULE_CASES // 10 < timestamps_won < N_RULE_CASES * 9 // 10  # both outcomes of the last rule were met


@pytest.mark.parametrize("clip", ["hello.wav", "pause7.flac", pytest.param("speech20.flac", marks=pytest.mark.slow)])
def test_window_tokens_equal_openai_whisper_greedy_decode(tiny_model, tiny_reference, first_window, data_dir, clip):
    window = first_window(tiny_model, data_dir / clip)
    ours = decode_window(tiny_model, window.state(), tiny_model.tokenizer.sot_sequence(None), [], DecodingOptions())
    theirs = whisper.decoding.decode(tiny_reference, window.mel,
                                     whisper.decoding.DecodingOptions(language="en", fp16=False))
    assert list(ours.tokens) == theirs.tokens
    assert ours.tokens[0] >= TS and ours.tokens[-1] >= TS  # it decoded with timestamps
    assert ours.no_speech_probability == pytest.approx(theirs.no_speech_prob, abs=1e-4)
    assert ours.avg_logprob == pytest.approx(theirs.avg_logprob, abs=1e-3)


def test_prompted_window_equals_openai_whisper(tiny_model, tiny_reference, first_window, data_dir):
    window = first_window(tiny_model, data_dir / "hello.wav")
    sot = tiny_model.tokenizer.sot_sequence(None)
    prompt = tiny_model.tokenizer.encode(" HELLO, WORLD! THIS IS A TEST OF THE WHISPER VISUALISER")
    ours = decode_window(tiny_model, window.state(), sot, prompt, DecodingOptions())
    theirs = whisper.decoding.decode(tiny_reference, window.mel,
                                     whisper.decoding.DecodingOptions(language="en", fp16=False, prompt=prompt))
    assert list(ours.tokens) == theirs.tokens
    unprompted = decode_window(tiny_model, window.state(), sot, [], DecodingOptions())
    assert ours.tokens != unprompted.tokens  # the prompt's capitals carry over: the prompt was used


def test_sample_len_caps_the_sampled_tokens(tiny_model, first_window, data_dir):
    window = first_window(tiny_model, data_dir / "speech20.flac")
    sot = tiny_model.tokenizer.sot_sequence(None)
    full = decode_window(tiny_model, window.state(), sot, [], DecodingOptions())
    capped = decode_window(tiny_model, window.state(), sot, [], DecodingOptions(sample_len=5))
    assert len(full.tokens) > 5 and capped.tokens == full.tokens[:5]


def test_detect_language_equals_openai_whisper(base_model, openai_reference, first_window, data_dir):
    window = first_window(base_model, data_dir / "speech20.flac")
    language, probabilities = detect_language(base_model, window.state())
    _, theirs = whisper.decoding.detect_language(openai_reference(base_model), window.mel)
    assert language == max(theirs, key=theirs.get) == "en"
    assert list(probabilities) == sorted(probabilities, key=probabilities.get, reverse=True)  # likeliest first
    assert set(probabilities) == set(base_model.tokenizer.language_ids)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    for code in list(probabilities)[:5]:
        assert probabilities[code] == pytest.approx(theirs[code], abs=1e-3), code


def test_split_segments_cuts_at_timestamp_pairs_and_ends_on_a_single_timestamp():
    tokens = (TS, TEXT_A, TEXT_B, TS + 50, TS + 50, TEXT_C, TS + 100)
    segments, advance, single_ending = split_segments(tokens, TS, 1000)
    assert segments == [(0.0, 1.0, [TS, TEXT_A, TEXT_B, TS + 50]), (1.0, 2.0, [TS + 50, TEXT_C, TS + 100])]
    assert single_ending and advance == 1000  # the whole window was heard: move on by all of it


def test_split_segments_ending_on_a_pair_seeks_to_the_last_timestamp():
    tokens = (TS, TEXT_A, TS + 40, TS + 40, TEXT_B, TS + 80, TS + 80)
    segments, advance, single_ending = split_segments(tokens, TS, 3000)
    assert segments == [(0.0, 0.8, [TS, TEXT_A, TS + 40]), (0.8, 1.6, [TS + 40, TEXT_B, TS + 80])]
    assert not single_ending
    assert advance == 160  # 1.6 s in mel frames of 10 ms: the next window starts where the last segment ended


def test_split_segments_without_a_timestamp_pair_is_one_segment():
    segments, advance, single_ending = split_segments((TS, TEXT_A, TEXT_B, TS + 60), TS, 500)
    assert segments == [(0.0, 1.2, [TS, TEXT_A, TEXT_B, TS + 60])] and advance == 500 and single_ending
    # no closing timestamp (or only <|0.00|>): the segment spans the window's audio, 250 mel frames = 2.5 s
    for tokens in ((TEXT_A, TEXT_B), (TS, TEXT_A), ()):
        segments, advance, single_ending = split_segments(tokens, TS, 250)
        assert segments == [(0.0, 250 / FRAMES_PER_SECOND, list(tokens))] and advance == 250 and not single_ending
