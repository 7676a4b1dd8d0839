"""HeadSet: official dumps decode and re-encode byte for byte; every bad input is a HeadSetError."""

import base64
import gzip

import numpy as np
import pytest
import torch
import whisper

from whisper_viz.errors import HeadSetError
from whisper_viz.heads import (
    OFFICIAL_HEADS,
    HeadSet,
    mask_from_dump,
    official_shape,
    parse_heads,
)

# (layer, head) pairs of every official dump, written out so a changed table is caught
EXPECTED_PAIRS = {
    "tiny.en": [(1, 0), (2, 0), (2, 5), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4)],
    "tiny": [(2, 2), (3, 0), (3, 2), (3, 3), (3, 4), (3, 5)],
    "base.en": [(3, 3), (4, 7), (5, 1), (5, 5), (5, 7)],
    "base": [(3, 1), (4, 2), (4, 3), (4, 7), (5, 1), (5, 2), (5, 4), (5, 6)],
    "turbo": [(2, 4), (2, 11), (3, 3), (3, 6), (3, 11), (3, 14)],
}


@pytest.mark.parametrize("name", list(whisper._ALIGNMENT_HEADS))
def test_official_dump_round_trip_is_byte_identical(name):
    dump = whisper._ALIGNMENT_HEADS[name]
    assert OFFICIAL_HEADS[name][0] == dump
    heads = HeadSet.official(name)
    assert heads.shape == official_shape(name)
    reference = np.frombuffer(gzip.decompress(base64.b85decode(dump)), dtype=bool)
    np.testing.assert_array_equal(heads.mask.ravel(), reference)
    assert heads.mtime > 0
    assert heads.to_dump() == dump
    assert HeadSet(heads.mask).to_dump(mtime=heads.mtime) == dump
    assert HeadSet.from_pairs(heads.pairs(), heads.shape).to_dump(mtime=heads.mtime) == dump


@pytest.mark.parametrize("name", list(EXPECTED_PAIRS))
def test_official_pairs(name):
    assert list(HeadSet.official(name).pairs()) == EXPECTED_PAIRS[name]
    assert HeadSet.official("large").pairs() == HeadSet.official("large-v3").pairs()


def test_new_sets_default_to_mtime_zero_and_decode_back():
    heads = HeadSet.from_text("0:1, 3:5", (4, 6))
    dump = heads.to_dump()
    assert HeadSet.from_dump(dump, 4, 6).mtime == 0
    assert HeadSet.from_dump(dump.decode(), 4, 6) == heads


def test_our_models_heads_buffer_matches_the_reference_buffer(tiny_model):
    # a tiny untrained reference model with tiny.en's decoder grid: 4 layers x 6 heads
    dims = whisper.model.ModelDimensions(
        n_mels=80, n_audio_ctx=8, n_audio_state=6, n_audio_head=1, n_audio_layer=1,
        n_vocab=64, n_text_ctx=8, n_text_state=12, n_text_head=6, n_text_layer=4,
    )
    model = whisper.model.Whisper(dims)
    dump = whisper._ALIGNMENT_HEADS["tiny.en"]
    model.set_alignment_heads(dump)
    ours = tiny_model.model.alignment_heads  # set from the same heads when the model loaded
    assert ours.is_sparse and ours.dtype == torch.bool
    assert torch.equal(ours.indices(), model.alignment_heads.indices())
    assert torch.equal(ours.to_dense(), model.alignment_heads.to_dense())


def test_mask_from_dump_is_a_writable_mask():
    mask = mask_from_dump(whisper._ALIGNMENT_HEADS["base"], 6, 8)
    assert mask.shape == (6, 8) and mask.dtype == bool and mask.flags.writeable
    assert mask.sum() == 8


def test_text_and_pairs():
    heads = HeadSet.from_text("3:1,4:2", (6, 8))
    assert heads.pairs() == ((3, 1), (4, 2))
    assert heads.to_text() == "3:1,4:2"
    assert HeadSet.from_text(heads.to_text(), (6, 8)) == heads
    assert (3, 1) in heads and (0, 0) not in heads and len(heads) == 2
    assert HeadSet.from_text("", (2, 2)).is_empty
    assert heads.toggle(3, 1).pairs() == ((4, 2),)
    assert heads.toggle(0, 0).pairs() == ((0, 0), (3, 1), (4, 2))
    assert hash(heads) == hash(HeadSet.from_pairs([(4, 2), (3, 1)], (6, 8)))


def test_mask_is_read_only_and_copied():
    source = np.zeros((2, 3), bool)
    heads = HeadSet(source)
    source[0, 0] = True
    assert heads.is_empty
    with pytest.raises(ValueError):
        heads.mask[0, 0] = True


def test_parse_heads_spellings():
    shape = (4, 6)
    official = HeadSet.official("tiny.en")
    assert parse_heads("official", shape, official="tiny.en") == official
    assert parse_heads("official", shape, official=official.mask) == official
    assert parse_heads(whisper._ALIGNMENT_HEADS["tiny.en"].decode(), shape) == official
    assert parse_heads(whisper._ALIGNMENT_HEADS["tiny.en"], shape) == official
    assert parse_heads("all", shape).mask.all()
    assert parse_heads("none", shape).is_empty
    assert parse_heads("upper", shape).pairs()[0] == (2, 0) and len(parse_heads("upper", shape)) == 12
    assert parse_heads("1:2", shape).pairs() == ((1, 2),)
    assert parse_heads([(0, 0)], shape).pairs() == ((0, 0),)
    assert parse_heads(official, shape) is official


@pytest.mark.parametrize(
    "spec, message",
    [
        ("9:0", "out of range"),
        ("0:6", "out of range"),
        ("-1:0", "out of range"),
        ("1-2", "layer:head"),
        ("a:b", "layer:head"),
        ("not a dump", "base85"),
        ("ABzY8", "gzip"),
        (whisper._ALIGNMENT_HEADS["base"], "48 heads"),
        ("official", "official="),
        (HeadSet.all((6, 8)), "shape"),
        (3.5, "float"),
    ],
)
def test_bad_specs_raise_head_set_error(spec, message):
    with pytest.raises(HeadSetError, match=message):
        parse_heads(spec, (4, 6))


def test_bad_masks_and_shapes():
    with pytest.raises(HeadSetError, match="2-D"):
        HeadSet(np.zeros(5, bool))
    with pytest.raises(HeadSetError, match="True/False"):
        HeadSet(np.full((2, 2), 3))
    with pytest.raises(HeadSetError, match="shape"):
        HeadSet.all((0, 3))
    with pytest.raises(HeadSetError, match="known"):
        HeadSet.official("huge")
    with pytest.raises(HeadSetError, match="shapes"):
        HeadSet.all((2, 2)) | HeadSet.all((2, 3))
    not_bool = base64.b85encode(gzip.compress(bytes([0, 2, 1, 0])))
    with pytest.raises(HeadSetError, match="0 and 1"):
        HeadSet.from_dump(not_bool, 2, 2)
    with pytest.raises(HeadSetError, match="ASCII"):
        HeadSet.from_dump("ÄBC", 2, 2)


# --- whisper-viz heads CLI --------------------------------------------------------------------


def run_heads_cli(argv, capsys):
    import argparse

    from whisper_viz.cli.heads import add_heads_parser
    from whisper_viz.errors import WhisperVizError

    parser = argparse.ArgumentParser(prog="whisper-viz")
    add_heads_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["heads", *argv])
    try:
        code = args.run(args)
    except WhisperVizError as error:
        return 2, str(error)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", ["tiny.en", "base", "large-v3", "turbo"])
def test_cli_encode_official_is_byte_identical(name, capsys):
    code, out = run_heads_cli(["encode", "--model", name, "--preset", "official"], capsys)
    assert code == 0 and out.strip().encode() == whisper._ALIGNMENT_HEADS[name]


def test_cli_decode_show_and_custom_sets(capsys):
    code, out = run_heads_cli(["decode", whisper._ALIGNMENT_HEADS["base"].decode(), "--model", "base"], capsys)
    assert code == 0 and "pairs: 3:1,4:2,4:3,4:7,5:1,5:2,5:4,5:6" in out
    assert "layer 5       . # # . # . # ." in out
    code, out = run_heads_cli(["show", "--model", "tiny.en"], capsys)
    assert "8 of 24 heads" in out and "layer 3       # # # # # ." in out
    code, out = run_heads_cli(["encode", "--shape", "2x3", "--heads", "1:2"], capsys)
    assert HeadSet.from_dump(out.strip(), 2, 3).pairs() == ((1, 2),) and HeadSet.from_dump(out.strip(), 2, 3).mtime == 0
    code, out = run_heads_cli(["show", "--shape", "2x3", "--heads", "upper"], capsys)
    assert "pairs: 1:0,1:1,1:2" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["decode", "xyz", "--model", "base"], "too short"),
        (["decode", whisper._ALIGNMENT_HEADS["tiny"].decode(), "--model", "base"], "24 heads"),
        (["show", "--model", "huge"], "unknown model"),
        (["show", "--shape", "six"], "6x8"),
        (["encode", "--preset", "all", "--heads", "1:1"], "not both"),
        (["show", "--heads", "9:9"], "out of range"),
    ],
)
def test_cli_errors(argv, message, capsys):
    code, out = run_heads_cli(argv, capsys)
    assert code == 2 and message in out


def test_cli_discover_writes_json(tmp_path, capsys, data_dir):
    import json

    reference = tmp_path / "hello.json"
    words = "Hello world. This is a test of the whisper visualizer.".split()
    reference.write_text(json.dumps([{"word": w, "start": 0.3 * i, "end": 0.3 * i + 0.25} for i, w in enumerate(words)]))
    out_json = tmp_path / "discovery.json"
    code, out = run_heads_cli(["discover", str(data_dir / "hello.wav"), "--refs", str(reference),
                               "--json", str(out_json), "--max-heads", "2", "--cache", str(tmp_path / "cache")],
                              capsys)
    assert code == 0 and "dump: " in out
    record = json.loads(out_json.read_text())
    assert record["target"] == "reference" and 1 <= len(record["heads"]) <= 2
    assert HeadSet.from_dump(record["dump"], 4, 6).to_text() == record["heads_text"]
    code, out = run_heads_cli(["discover", str(data_dir / "hello.wav"), "--refs", str(reference), str(reference),
                               "--json", str(out_json)], capsys)
    assert code == 2 and "one per clip" in out
