"""Export formats of word timings and the CLI's JSON record (words.py)."""

import json

import pytest

from whisper_viz.errors import WhisperVizError
from whisper_viz.export.words import export_words, heads_record, result_to_dict
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
    with pytest.raises(WhisperVizError, match="json, csv, srt, vtt"):
        export_words(WORDS, "docx")


def test_result_json(tiny_model, data_dir):
    import whisper_viz as wv

    result = wv.analyze(tiny_model, data_dir / "hello.wav")
    record = result_to_dict(result)
    assert record["model"] == "tiny.en" and record["text"] == result.text
    assert record["heads"]["shape"] == [4, 6] and len(record["heads"]["selected"]) == 8
    assert record["heads"]["base85"] == "ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00"
    assert [w["word"] for w in record["words"]] == [w.word.strip() for w in result.words]


def test_heads_record_keeps_openai_dump_for_an_official_set():
    from whisper_viz.heads import HeadSet

    record = heads_record(HeadSet.official("base").mask)
    assert record["base85"] == "ABzY8KQ!870{>%RzyTQH3`Q^yNP!>##QT-<FaQ7m" and record["shape"] == [6, 8]
    assert heads_record(HeadSet.from_pairs([(0, 1)], (4, 6)).mask)["selected"] == [[0, 1]]


def test_a_rated_aligners_confidence_is_exported():
    rated = tuple(WordTiming(w.word, w.start, w.end, w.probability, confidence=c) for w, c in zip(WORDS, (0.9, 0.3)))
    records = json.loads(export_words(rated, "json"))
    assert [r["confidence"] for r in records] == [0.9, 0.3]
    assert export_words(rated, "csv").splitlines()[0] == "word,start,end,probability,confidence"
    assert "confidence" not in export_words(WORDS, "csv").splitlines()[0]
