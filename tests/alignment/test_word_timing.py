"""Word grouping and openai-whisper's word heuristics (word_timing.py), against openai-whisper's own functions."""

import numpy as np
import pytest
import whisper.timing
from whisper.tokenizer import get_tokenizer

from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.window import align_window
from whisper_viz.alignment.word_timing import split_tokens
from whisper_viz.heads import HeadSet
from whisper_viz.results import Segment


@pytest.mark.parametrize("case", range(7))
def test_split_tokens_equals_openai_tokenizer(case, alignment_kit):
    kit = alignment_kit
    language, text = kit.TEXTS[case]
    tokenizer = kit.tokenizer_for(language)
    ids = tokenizer.encode(text)
    tokens = kit.make_tokens(tokenizer, ids, np.random.default_rng(0))
    expected_words, expected_tokens = tokenizer.split_to_word_tokens(ids + [tokenizer.eot])
    ours = split_tokens(tokens, language)
    assert [w for w, _ in ours] == expected_words
    assert [[tokens[r].id for r in rows] for _, rows in ours] == expected_tokens


def test_split_keeps_characters_split_across_tokens(alignment_kit):
    kit = alignment_kit
    tokenizer = get_tokenizer(multilingual=True, language="zh", task="transcribe")
    ids = tokenizer.encode("😀🎌")
    assert any(b"\xef\xbf\xbd" in tokenizer.decode([i]).encode() for i in ids)  # some token is half a character
    tokens = kit.make_tokens(tokenizer, ids, np.random.default_rng(0))
    assert [w for w, _ in split_tokens(tokens, "zh")][:2] == ["😀", "🎌"]


def test_postprocess_equals_add_word_timestamps(monkeypatch, alignment_kit):
    kit = alignment_kit
    """Feed our raw alignment through openai-whisper's add_word_timestamps and compare."""
    text = " One. Two! Three? Four five six seven eight nine ten. Eleven"
    moved = 0
    for seed in range(6):
        capture, tokenizer, ids = kit.make_capture(text, "en", seed=seed, n_frames=600, offset=30.0)
        # stretch a few tokens so the heuristics have something to cut
        mask = HeadSet.official("tiny.en").mask
        expected, _ = kit.reference_alignment(capture, mask, tokenizer, ids)
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


def test_segments_that_do_not_spell_the_words_form_one_group(alignment_kit):
    kit = alignment_kit
    capture, _, _ = kit.make_capture(" Two segments here.", "en", seed=2, offset=5.0)
    mask = HeadSet.official("tiny.en").mask
    plain = align_window(capture, mask, last_speech=5.0).words
    odd = align_window(capture, mask, last_speech=5.0, segments=(Segment(5.0, 9.0, "other text", 0),)).words
    assert odd == plain


