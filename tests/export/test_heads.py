"""Head sets written where each ecosystem reads them (export/heads.py, `whisper-viz heads export`); transformers
gets word timestamps from an exported generation_config.json."""

import json
import shutil

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz.cli.main import main
from whisper_viz.engine.audio import load_audio
from whisper_viz.errors import ExportError, HeadSetError
from whisper_viz.export.heads import export_heads, write_alignment_heads
from whisper_viz.heads import HeadSet

TINY_OFFICIAL = HeadSet.official("tiny.en")


def test_configs_keep_their_other_keys_and_folders_get_the_right_file(tmp_path):
    config = tmp_path / "generation_config.json"
    config.write_text(json.dumps({"max_length": 448, "alignment_heads": [[0, 0]]}))
    assert write_alignment_heads(TINY_OFFICIAL, config, "huggingface") == config
    assert json.loads(config.read_text()) == {"max_length": 448, "alignment_heads": [list(p) for p in TINY_OFFICIAL]}
    folder = tmp_path / "ct2"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"suppress_ids": [1, 2]}))
    assert export_heads(TINY_OFFICIAL, "ctranslate2", folder) == str(folder / "config.json")
    assert json.loads((folder / "config.json").read_text())["suppress_ids"] == [1, 2]
    assert export_heads(TINY_OFFICIAL, "openai") == "ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00"
    export_heads(TINY_OFFICIAL, "openai", tmp_path / "heads.txt")
    assert (tmp_path / "heads.txt").read_text().strip() == TINY_OFFICIAL.to_dump().decode()


def test_export_errors_say_what_to_do(tmp_path):
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text(json.dumps({"model_type": "whisper", "decoder_layers": 2,
                                                "decoder_attention_heads": 6}))
    with pytest.raises(HeadSetError, match="4 layers x 6 heads but .* holds one of 2 x 6"):
        write_alignment_heads(TINY_OFFICIAL, hf, "huggingface")
    with pytest.raises(HeadSetError, match="empty"):
        write_alignment_heads(HeadSet.empty((4, 6)), hf, "huggingface")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ExportError, match="not a model config"):
        write_alignment_heads(TINY_OFFICIAL, tmp_path / "bad.json", "ctranslate2")
    with pytest.raises(ExportError, match="give the generation_config.json"):
        export_heads(TINY_OFFICIAL, "huggingface")


def test_cli_export_from_a_report_and_from_a_spec(tmp_path, capsys):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"shape": [4, 6], "heads": [[2, 5], [3, 2]]}))
    config = tmp_path / "config.json"
    assert main(["heads", "export", "--heads", str(report), "--format", "ctranslate2", "--out", str(config)]) == 0
    assert json.loads(config.read_text())["alignment_heads"] == [[2, 5], [3, 2]]
    assert main(["heads", "export", "--heads", "3:1", "--shape", "4x6", "--format", "openai"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == HeadSet.from_text("3:1", (4, 6)).to_dump().decode()
    assert main(["heads", "export", "--heads", "3:1", "--format", "openai"]) == 2
    assert "give --model" in capsys.readouterr().err
    report.write_text("{}")
    assert main(["heads", "export", "--heads", str(report), "--format", "openai"]) == 2
    assert "not a discovery report" in capsys.readouterr().err


def test_exported_generation_config_gives_word_timestamps_in_transformers(tmp_path, data_dir, capsys, hf_folders):
    pytest.importorskip("transformers")
    from transformers import pipeline

    folder = hf_folders.build_hf_folder("tiny.en", tmp_path / "no-heads", alignment_heads=())
    audio = load_audio(data_dir / "hello.wav")
    with pytest.raises(ValueError, match="no `alignment_heads`"):  # what users of such models run into
        pipeline("automatic-speech-recognition", model=str(folder), device="cpu")(audio.copy(), return_timestamps="word")
    heads = "1:0,2:0,2:5,3:0,3:1,3:2,3:3,3:4"  # shape read from the folder's config.json
    assert main(["heads", "export", "--heads", heads, "--format", "huggingface", "--out", str(folder)]) == 0
    assert "wrote 8 alignment heads" in capsys.readouterr().out
    assert wv.HeadSet(wv.load_model(folder, device="cpu").official_heads) == TINY_OFFICIAL  # and whisper-viz reads it

    out = pipeline("automatic-speech-recognition", model=str(folder), device="cpu")(audio.copy(),
                                                                                    return_timestamps="word")
    chunks = out["chunks"]
    assert [c["text"].strip() for c in chunks] == out["text"].split() and len(chunks) >= 8
    starts = np.array([c["timestamp"][0] for c in chunks])
    ends = np.array([c["timestamp"][1] for c in chunks])
    assert (np.diff(starts) >= 0).all() and (ends >= starts).all() and ends[-1] <= 4.0
    ours = wv.analyze(wv.load_model(folder, device="cpu"), audio, text=out["text"].strip())
    assert [w.word.strip() for w in ours.words] == [c["text"].strip() for c in chunks]
    # transformers' DTW on the same heads lands where ours does (its input pads the audio, not the mel)
    assert np.median(np.abs(starts - [w.start for w in ours.words])) <= 0.1


def test_cli_export_into_an_hf_folder_checks_its_shape(tmp_path, capsys):
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "whisper", "decoder_layers": 2,
                                                    "decoder_attention_heads": 6}))
    (folder / "generation_config.json").write_text(json.dumps({"alignment_heads": [[1, 0]]}))
    assert main(["heads", "export", "--heads", "official", "--format", "huggingface", "--out", str(folder)]) == 0
    assert main(["heads", "export", "--heads", "3:1", "--model", "tiny.en", "--format", "huggingface",
                 "--out", str(folder)]) == 2
    assert "holds one of 2 x 6" in capsys.readouterr().err
    shutil.rmtree(folder)
