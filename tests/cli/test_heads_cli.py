"""`whisper-viz heads` (cli/heads.py): encode, decode and show head sets, discover heads, and its errors."""

import argparse
import json

import pytest
import whisper

from whisper_viz.cli.heads import add_heads_parser
from whisper_viz.errors import WhisperVizError
from whisper_viz.heads import HeadSet


def run_heads_cli(argv, capsys):
    """(exit code, stdout or the error's message) of `whisper-viz heads ARGV`."""
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
