"""The real-speech manifests (bench/accuracy/real): transcripts a model can be forced on, sane times, disjoint splits."""

import json
import re

import pytest


@pytest.fixture(scope="module")
def build_real(bench_module):
    return bench_module("accuracy/real/build_real.py")


@pytest.fixture(scope="module")
def manifests(repo_dir):
    real = repo_dir / "bench" / "accuracy" / "real"
    return {split: json.loads((real / f"{split}.json").read_text())["clips"] for split in ("dev", "test")}


@pytest.mark.parametrize("raw, clean", [
    ('tout d\'un coup <cut from="13.644" to="13.815" comment="pause"/> que', "tout d'un coup que"),
    ("dehors ! gpd_5 le comble", "dehors ! le comble"),
    ("alors <euh,et> ils m'ont", "alors euh ils m'ont"),
    ("ipu_3 un [example,eczap] i(l) dit", "un example il dit"),
    ("sil", ""),
])
def test_sppas_markup_is_taken_out_of_transcripts(build_real, raw, clean):
    assert build_real._sppas_text(raw) == clean
    assert build_real._sppas_text(clean) == clean  # cleaning twice changes nothing


MARKUP = re.compile(r"[<>{}\[\]]|\bgp[a-z]_\d+\b|\bipu_\d+\b")


def test_every_transcript_is_plain_speech_with_ordered_times(manifests):
    for split, clips in manifests.items():
        for clip in clips:
            where = f"{split} {clip['source']}/{clip['id']}"
            assert not MARKUP.search(clip["text"]), where
            timed = [w for w in clip["words"] if w["start"] is not None or w["end"] is not None]
            assert timed, where  # a phrase may know only one edge (None: unknown)
            for word in timed:
                assert not MARKUP.search(word["word"]), where
                start = 0.0 if word["start"] is None else word["start"]
                end = clip.get("seconds", float("inf")) if word["end"] is None else word["end"]
                assert 0 <= start < end <= clip.get("seconds", float("inf")) + 0.01, where


def test_dev_and_test_share_no_recording(manifests):
    dev = {(c["source"], c["id"]) for c in manifests["dev"]}
    test = {(c["source"], c["id"]) for c in manifests["test"]}
    assert dev and test and not dev & test
