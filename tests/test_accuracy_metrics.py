"""Word-boundary metrics on hand-made references, and the committed benchmark dataset's exactness."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whisper_viz.references import ReferenceWord
from whisper_viz.results import WordTiming
from whisper_viz.boundary_accuracy import WITHIN_SECONDS, boundary_errors, load_split, score_words, summarize_errors

DATA = Path(__file__).resolve().parents[1] / "bench" / "accuracy" / "data"
REFERENCE = (ReferenceWord("The", 0.50, 0.70), ReferenceWord("old", 0.80, 1.10), ReferenceWord("man.", 1.10, 1.60))


def words(*spans, texts=(" The", " old", " man.")):
    return tuple(WordTiming(t, s, e, 1.0) for t, (s, e) in zip(texts, spans))


def test_exact_words_score_zero():
    acc = score_words(words((0.5, 0.7), (0.8, 1.1), (1.1, 1.6)), REFERENCE)
    assert acc.words == acc.reference_words == 3 and acc.coverage == 1.0
    assert acc.start_mae == acc.end_mae == acc.mae == 0.0
    assert acc.within == (1.0, 1.0, 1.0)


def test_signed_errors_and_tolerances():
    predicted = words((0.53, 0.70), (0.74, 1.20), (1.10, 1.60))  # +30 ms start; -60 ms start, +100 ms end
    errors, flags = boundary_errors(predicted, REFERENCE)
    assert np.allclose(errors, [[0.03, 0.0], [-0.06, 0.10], [0.0, 0.0]])
    assert not flags.any()
    acc = score_words(predicted, REFERENCE)
    assert acc.start_mae == pytest.approx(0.03) and acc.end_mae == pytest.approx(0.1 / 3)
    # boundaries 30, 0, 60, 100, 0, 0 ms: within 20 ms 3, within 50 ms 4, within 100 ms all 6
    assert acc.within == pytest.approx((3 / 6, 4 / 6, 1.0))
    assert WITHIN_SECONDS == (0.02, 0.05, 0.1)


def test_recognised_words_are_matched_despite_case_punctuation_and_errors():
    # recognition dropped "old", added "uh", and wrote "Man" without the period
    predicted = words((0.5, 0.7), (0.7, 0.8), (1.1, 1.6), texts=(" the", " uh", " Man"))
    errors, _ = boundary_errors(predicted, REFERENCE)
    assert errors.shape == (3, 2)  # "uh" pairs with "old" as a one-for-one substitution
    acc = score_words(words((0.5, 0.7), (1.1, 1.6), texts=(" the", " Man")), REFERENCE)
    assert acc.words == 2 and acc.coverage == pytest.approx(2 / 3) and acc.mae == 0.0


def test_words_after_a_pause_are_tracked_separately():
    predicted = words((0.5, 0.7), (0.8, 1.1), (1.5, 1.6))  # the last word starts 0.4 s late
    acc = score_words(predicted, REFERENCE, after_pause=(False, False, True))
    assert acc.pause_words == 1 and acc.pause_max_error == pytest.approx(0.4)
    assert score_words(predicted, REFERENCE).pause_max_error == 0.0


def test_pooling_weights_every_word_equally():
    a, fa = boundary_errors(words((0.6, 0.7), (0.8, 1.1), (1.1, 1.6)), REFERENCE)  # one 100 ms start error
    b, fb = boundary_errors(words((0.5, 0.7)), REFERENCE[:1])
    acc = summarize_errors([a, b], [fa, fb], reference_words=4)
    assert acc.words == 4 and acc.start_mae == pytest.approx(0.1 / 4)
    empty = summarize_errors([], [], reference_words=3)
    assert empty.words == 0 and np.isnan(empty.mae)


@pytest.mark.parametrize("split", ["train", "test"])
def test_dataset_boundaries_are_exact(split):
    clips = load_split(DATA / split)
    assert len(clips) >= 15
    assert {c.pause for c in clips if c.pause} == {2.0, 7.0, 13.0}
    for clip in clips:
        audio, rate = sf.read(clip.path, dtype="int16")
        assert rate == 16000 and audio.ndim == 1
        assert " ".join(w.word for w in clip.words) == clip.text
        for w, following in zip(clip.words, clip.words[1:] + (None,)):
            start, end = round(w.start * 16000), round(w.end * 16000)
            assert start / 16000 == w.start and end / 16000 == w.end  # whole samples
            assert 0 < start < end <= len(audio)
            if following is not None:
                assert end <= round(following.start * 16000)
        flags = [f for f in clip.after_pause]
        assert any(flags) == bool(clip.pause)


def test_gaps_between_words_are_digital_silence_in_clean_clips():
    import json

    manifest = json.loads((DATA / "train" / "manifest.json").read_text())
    clean = [c for c in manifest["clips"] if c["noise_dbfs"] is None]
    assert clean
    for c in clean[:4]:
        audio, _ = sf.read(DATA / "train" / c["file"], dtype="int16")
        for w, following in zip(c["words"], c["words"][1:]):
            assert not audio[w["end_sample"]: following["start_sample"]].any()
            assert audio[w["start_sample"]] != 0 and audio[w["end_sample"] - 1] != 0


def test_train_and_test_share_no_sentence():
    def sentences(split):
        return {s for c in load_split(DATA / split) for s in c.text.replace("? ", "?|").replace(". ", ".|").split("|")}

    assert not sentences("train") & sentences("test")
