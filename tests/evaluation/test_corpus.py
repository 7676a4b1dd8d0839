"""Discovery corpora (corpus.py): manifests, reference files, the held-out split and content keys."""

import json
import shutil

import pytest

from whisper_viz.errors import ReferenceFormatError
from whisper_viz.evaluation.corpus import (
    HELD_OUT,
    TRAIN,
    CorpusClip,
    assign_splits,
    clips_from_files,
    content_key,
    hash_share,
    read_manifest,
)
from whisper_viz.evaluation.references import ReferenceWord

WORDS = [{"word": "Hello", "start": 0.2, "end": 0.6}, {"word": "world.", "start": 0.7, "end": 1.2}]


def write_manifest(path, entries):
    path.write_text("\n".join(json.dumps(e) for e in entries) + "\n\n")
    return path


def test_manifest_lines_with_words_refs_and_splits(tmp_path, data_dir):
    shutil.copy(data_dir / "hello.wav", tmp_path / "hello.wav")
    (tmp_path / "hello.json").write_text(json.dumps(WORDS))
    manifest = write_manifest(tmp_path / "corpus.jsonl", [
        {"audio": "hello.wav", "words": WORDS, "split": "train"},
        {"id": "again", "audio": "hello.wav", "refs": "hello.json", "text": "Hello world.", "split": "test"},
        {"id": "third", "audio": str(data_dir / "pause7.flac"), "words": WORDS},
    ])
    first, second, third = read_manifest(manifest)
    assert (first.id, first.audio, first.text, first.split) == ("hello", tmp_path / "hello.wav", "Hello world.", TRAIN)
    assert first.reference == (ReferenceWord("Hello", 0.2, 0.6), ReferenceWord("world.", 0.7, 1.2))
    assert (second.id, second.split, second.reference) == ("again", HELD_OUT, first.reference)
    assert third.audio == data_dir / "pause7.flac" and third.split is None


@pytest.mark.parametrize("line, message", [
    ("not json", "expected a JSON object"),
    ('{"words": []}', "expected a JSON object with \\\"audio\\\""),
    ('{"audio": "a.wav"}', "as \\\"words\\\" or a \\\"refs\\\" file"),
    ('{"audio": "a.wav", "words": [{"word": "x"}]}', "needs word, start and end"),
    ('{"audio": "a.wav", "words": [], "split": "dev"}', "split 'dev'"),
])
def test_manifest_errors_name_the_line(tmp_path, line, message):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"audio": "ok.wav", "words": []}\n' + line + "\n")
    with pytest.raises(ReferenceFormatError, match="line 2") as error:
        read_manifest(manifest)
    assert message.replace("\\", "") in str(error.value)


def test_repeated_ids_and_empty_manifests_are_errors(tmp_path):
    with pytest.raises(ReferenceFormatError, match="repeated: a"):
        read_manifest(write_manifest(tmp_path / "m.jsonl", [{"audio": "x/a.wav", "words": []}, {"audio": "a.wav",
                                                                                                  "words": []}]))
    with pytest.raises(ReferenceFormatError, match="lists no clips"):
        read_manifest(write_manifest(tmp_path / "e.jsonl", []))


def test_clips_from_reference_files(tmp_path, data_dir):
    (tmp_path / "hello.json").write_text(json.dumps(WORDS))
    (clip,) = clips_from_files([data_dir / "hello.wav"], [tmp_path / "hello.json"])
    assert clip.text == "Hello world." and clip.split is None
    with pytest.raises(ReferenceFormatError, match="one per clip"):
        clips_from_files([data_dir / "hello.wav"], [])


def test_splits_are_fixed_by_ids_and_both_parts_get_a_clip():
    clips = [CorpusClip(f"clip{i}", None, "", ()) for i in range(40)]
    split = assign_splits(clips, 0.25)
    assert [c.held_out for c in split] == [hash_share(f"clip{i}") < 0.25 for i in range(40)]
    assert 4 <= sum(c.held_out for c in split) <= 16
    assert assign_splits(list(reversed(clips)), 0.25) == tuple(reversed(split))  # order does not matter
    given = [CorpusClip("a", None, "", (), TRAIN), CorpusClip("b", None, "", (), TRAIN)]
    assert [c.split for c in assign_splits(given, 0.5)] == [TRAIN, TRAIN]  # given splits are kept
    few = assign_splits([CorpusClip("a", None, "", ()), CorpusClip("b", None, "", ())], 0.01)
    assert sorted(c.split for c in few) == [HELD_OUT, TRAIN]
    assert [c.split for c in assign_splits(few[:1], 0.0)] == [few[0].split]
    assert assign_splits([CorpusClip("only", None, "", ())], 0.5)[0].split == TRAIN


def test_content_key_covers_audio_text_reference_and_settings(tmp_path, data_dir):
    audio = tmp_path / "a.wav"
    shutil.copy(data_dir / "hello.wav", audio)
    clip = CorpusClip("a", audio, "Hello world.", (ReferenceWord("Hello", 0.2, 0.6),))
    key = content_key(clip, "model", "pass")
    assert key == content_key(CorpusClip("renamed", audio, clip.text, clip.reference), "model", "pass")
    assert key != content_key(clip, "other model", "pass")
    assert key != content_key(CorpusClip("a", audio, "Hello there.", clip.reference), "model", "pass")
    assert key != content_key(CorpusClip("a", audio, clip.text, (ReferenceWord("Hello", 0.2, 0.7),)), "model", "pass")
    audio.write_bytes(audio.read_bytes()[:-2] + b"\x01\x00")
    assert key != content_key(clip, "model", "pass")
