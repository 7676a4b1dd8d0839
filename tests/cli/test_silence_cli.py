"""`whisper-viz silence` (cli/silence.py): JSON output and its errors."""

import argparse
import json

import pytest

from whisper_viz.errors import AudioError


def test_cli_writes_json(tiny_model, data_dir, tmp_path, monkeypatch, capsys):
    from whisper_viz.cli import silence as cli_silence

    monkeypatch.setattr("whisper_viz.engine.loading.load_model", lambda *a, **k: tiny_model)
    parser = argparse.ArgumentParser()
    cli_silence.add_silence_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "shifts.json"
    args = parser.parse_args(["silence", str(data_dir / "pause7.flac"), "--at", "2.5", "--durations", "1",
                              "--text", (data_dir / "pause7.txt").read_text().strip(), "--json", str(out)])
    assert args.run(args) == 0
    record = json.loads(out.read_text())
    assert record["points"] == [2.5] and record["durations"] == [1.0]
    assert [s["expected"] for s in record["shifts"]] == [0.0] * 6 + [1.0] * 3
    assert "MAE" in capsys.readouterr().out


def test_cli_needs_an_insertion_point(data_dir):
    from whisper_viz.cli import silence as cli_silence

    parser = argparse.ArgumentParser()
    cli_silence.add_silence_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["silence", str(data_dir / "pause7.flac")])
    with pytest.raises(AudioError, match="--at-word"):
        args.run(args)
