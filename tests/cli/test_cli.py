"""The whisper-viz command line."""

import json
import subprocess
import sys

import numpy as np

from whisper_viz.cli.main import main


def test_analyze_writes_json_and_npz(tmp_path, data_dir, capsys):
    out_json, out_npz = tmp_path / "out.json", tmp_path / "att.npz"
    assert main(["analyze", str(data_dir / "hello.wav"), "--device", "cpu", "--json", str(out_json),
                 "--npz", str(out_npz)]) == 0
    record = json.loads(out_json.read_text())
    assert set(record) >= {"model", "language", "text", "duration", "words", "heads"}
    assert {"word", "start", "end", "probability"} <= set(record["words"][0])
    assert record["heads"]["selected"] == [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]
    npz = np.load(out_npz)
    assert {"attention", "token_ids", "frame_seconds"} <= set(npz.files)
    assert record["text"] in capsys.readouterr().out


def test_analyze_with_other_heads_and_forced_text(tmp_path, data_dir):
    out_json = tmp_path / "out.json"
    text = "Hello world. This is a test of the whisper visualizer."
    assert main(["analyze", str(data_dir / "hello.wav"), "--device", "cpu", "--text", text, "--heads", "3:1,3:2",
                 "--json", str(out_json)]) == 0
    record = json.loads(out_json.read_text())
    assert record["text"] == text and record["heads"]["selected"] == [[3, 1], [3, 2]]
    assert [w["word"] for w in record["words"]] == text.split()


def test_analyze_preset_tuned_uses_and_records_the_tuned_heads(tmp_path, data_dir):
    from whisper_viz.alignment.tuned import TUNED_HEADS

    out_json = tmp_path / "out.json"
    assert main(["analyze", str(data_dir / "pause7.flac"), "--device", "cpu", "--preset", "tuned",
                 "--json", str(out_json)]) == 0
    record = json.loads(out_json.read_text())
    assert record["preset"] == "tuned"
    assert record["heads"]["selected"] == sorted(list(p) for p in TUNED_HEADS["tiny.en"].heads)
    # no word starts inside the 7 s pause of the clip (speech resumes after it)
    starts = [w["start"] for w in record["words"]]
    gap = max(b - a for a, b in zip(starts, starts[1:]))
    assert gap > 6.0
    resumed = next(w for w in record["words"] if w["start"] > starts[0] + 6.0)
    ended = max(w["end"] for w in record["words"] if w["start"] < resumed["start"])
    assert resumed["start"] - ended > 6.0


def test_user_errors_exit_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    assert main(["analyze", str(bad), "--device", "cpu"]) == 2
    assert "whisper-viz: error:" in capsys.readouterr().err
    assert main(["analyze", str(bad), "--model", "huge"]) == 2
    assert "Installed models" in capsys.readouterr().err


def test_unknown_preset_is_a_clear_error(data_dir, capsys):
    assert main(["analyze", str(data_dir / "hello.wav"), "--device", "cpu", "--preset", "best"]) == 2
    assert "unknown alignment preset 'best'" in capsys.readouterr().err


def test_console_script_help_runs():
    done = subprocess.run([sys.executable, "-m", "whisper_viz", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "analyze" in done.stdout
