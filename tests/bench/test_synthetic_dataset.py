"""The synthetic accuracy dataset (bench/accuracy/data): exact boundaries, digital-silence gaps, disjoint splits."""

import json

import pytest
import soundfile as sf


@pytest.fixture(scope="module")
def load_split(bench_module):
    return bench_module("accuracy/dataset.py").load_split


@pytest.fixture(scope="module")
def DATA(repo_dir):
    return repo_dir / "bench" / "accuracy" / "data"


@pytest.mark.parametrize("split", ["train", "test"])
def test_dataset_boundaries_are_exact(split, load_split, DATA):
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


def test_gaps_between_words_are_digital_silence_in_clean_clips(DATA):
    manifest = json.loads((DATA / "train" / "manifest.json").read_text())
    clean = [c for c in manifest["clips"] if c["noise_dbfs"] is None]
    assert clean
    for c in clean[:4]:
        audio, _ = sf.read(DATA / "train" / c["file"], dtype="int16")
        for w, following in zip(c["words"], c["words"][1:]):
            assert not audio[w["end_sample"]: following["start_sample"]].any()
            assert audio[w["start_sample"]] != 0 and audio[w["end_sample"] - 1] != 0


def test_train_and_test_share_no_sentence(load_split, DATA):
    def sentences(split):
        return {s for c in load_split(DATA / split) for s in c.text.replace("? ", "?|").replace(". ", ".|").split("|")}

    assert not sentences("train") & sentences("test")
