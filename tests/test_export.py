"""Export formats of word timings and attention."""

import io
import json

import numpy as np
import pytest

from whisper_viz.export import attention_npz, export_words, result_to_dict
from whisper_viz.results import WordTiming

WORDS = (WordTiming(" Hello", 0.0, 0.52, 0.9), WordTiming(" world.", 0.52, 3661.2346, 0.8))


def test_json_and_csv_round_trip_the_words():
    records = json.loads(export_words(WORDS, "json"))
    assert records == [{"word": "Hello", "start": 0.0, "end": 0.52, "probability": 0.9},
                       {"word": "world.", "start": 0.52, "end": 3661.235, "probability": 0.8}]
    lines = export_words(WORDS, "csv").splitlines()
    assert lines[0] == "word,start,end,probability" and lines[2] == "world.,0.52,3661.235,0.8"


def test_srt_and_vtt_timestamps():
    srt = export_words(WORDS, "srt")
    assert "1\n00:00:00,000 --> 00:00:00,520\nHello\n" in srt
    assert "2\n00:00:00,520 --> 01:01:01,235\nworld.\n" in srt
    vtt = export_words(WORDS, "vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.520\nHello\n")


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="json, csv, srt, vtt"):
        export_words(WORDS, "docx")


def test_result_json_and_npz(tiny_model, data_dir):
    import whisper_viz as wv

    result = wv.analyze(tiny_model, data_dir / "hello.wav")
    record = result_to_dict(result)
    assert record["model"] == "tiny.en" and record["text"] == result.text
    assert record["heads"]["shape"] == [4, 6] and len(record["heads"]["selected"]) == 8
    assert record["heads"]["base85"] == "ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00"
    npz = np.load(io.BytesIO(attention_npz(result)))
    assert npz["attention"].shape == result.attention.shape and npz["attention"].dtype == np.float16
    assert list(npz["token_ids"]) == [t.id for t in result.windows[0].tokens]
    assert npz["frame_seconds"][1] == pytest.approx(0.02) and len(npz["frame_seconds"]) == result.attention.shape[-1]
