"""Reference word-timing readers (JSON, CSV, TextGrid, SRT, VTT) and the hypothesis/reference matcher."""

import math

import pytest

from whisper_viz.errors import ReferenceFormatError
from whisper_viz.evaluation.references import (
    ReferenceWord,
    load_reference,
    match_words,
    normalize_word,
    parse_reference,
    split_phrases,
)

EXPECTED = (ReferenceWord("Hello", 0.5, 0.9), ReferenceWord("world.", 1.0, 1.42))

TEXTGRID_LONG = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2.0
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 2.0
        intervals: size = 1
        intervals [1]:
            xmin = 0
            xmax = 2.0
            text = "h"
    item [2]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 2.0
        intervals: size = 4
        intervals [1]:
            xmin = 0
            xmax = 0.5
            text = ""
        intervals [2]:
            xmin = 0.5
            xmax = 0.9
            text = "Hello"
        intervals [3]:
            xmin = 1.0
            xmax = 1.42
            text = "world."
        intervals [4]:
            xmin = 1.42
            xmax = 2.0
            text = "   "
"""

TEXTGRID_SHORT = """File type = "ooTextFile"
Object class = "TextGrid"

0
2.0
<exists>
2
"TextTier"
"clicks"
0
2.0
1
0.3
"click"
"IntervalTier"
"segments"
0
2.0
3
0.5
0.9
"Hello"
0.9
1.0
""
1.0
1.42
"world."
"""

SRT = """1
00:00:00,500 --> 00:00:00,900
Hello

2
00:00:01,000 --> 00:00:01,420
<i>world.</i>
"""

VTT = """WEBVTT
Kind: captions

NOTE a comment
spanning lines

hello-cue
00:00.500 --> 00:00.900 align:start
Hello

00:00:01.000 --> 00:00:01.420
world.
"""


@pytest.mark.parametrize(
    "name, content",
    [
        ("ref.json", '[{"word": "Hello", "start": 0.5, "end": 0.9}, {"word": "world.", "start": "1.0", "end": 1.42}]'),
        ("ref.json", '{"segments": [{"words": [{"word": " Hello", "start": 0.5, "end": 0.9}, '
                     '{"word": " world.", "start": 1.0, "end": 1.42}]}]}'),
        ("ref.csv", "start,end,word,speaker\n0.5,0.9,Hello,A\n\n1.0,1.42,world.,A\n"),
        ("ref.TextGrid", TEXTGRID_LONG),
        ("ref.textgrid", TEXTGRID_SHORT),
        ("ref.srt", SRT),
        ("ref.vtt", VTT),
    ],
)
def test_readers(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert load_reference(path) == EXPECTED


def test_textgrid_utf16_and_quotes(tmp_path):
    content = TEXTGRID_LONG.replace('"Hello"', '"say ""hi"""')
    path = tmp_path / "utf16.TextGrid"
    path.write_bytes(content.encode("utf-16"))
    assert load_reference(path)[0] == ReferenceWord('say "hi"', 0.5, 0.9)


def test_phrase_cues_split_with_unknown_inner_boundaries():
    words = parse_reference("1\n00:00:01,000 --> 00:00:02,500\nthe big dog\n", "srt")
    assert words == (ReferenceWord("the big dog", 1.0, 2.5),)
    split = split_phrases(words)
    assert [w.word for w in split] == ["the", "big", "dog"]
    assert split[0].start == 1.0 and math.isnan(split[0].end)
    assert math.isnan(split[1].start) and math.isnan(split[1].end)
    assert math.isnan(split[2].start) and split[2].end == 2.5


def test_matcher_normalizes_and_aligns():
    assert normalize_word(" Hello,") == "hello"
    assert normalize_word("“Don’t”") == "dont"
    hypothesis = [" Is", " there", " a", " McDonald's", " around", " here?", " I'm", " here", " often."]
    reference = ["is", "there", "a", "mcdonalds", "round", "here", "uh", "i'm", "here", "often"]
    pairs = match_words(hypothesis, reference)
    assert pairs == ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 7), (7, 8), (8, 9))
    assert (4, 4) not in match_words(hypothesis, reference, substitutions=False)


@pytest.mark.parametrize(
    "format, content, message",
    [
        ("json", "[{", "JSON line 1"),
        ("json", '{"foo": 1}', "list of"),
        ("json", '[{"word": "a", "start": 1}]', 'JSON word 1.*missing "end"'),
        ("json", '[{"word": "a", "start": 1, "end": 2}, {"start": 1, "end": 2}]', 'JSON word 2: missing "word"'),
        ("json", '[{"word": "a", "start": "x", "end": 2}]', "start 'x' is not a number"),
        ("json", '[{"word": "a", "start": 3, "end": 2}]', "before start"),
        ("json", '[{"word": "a", "start": -1, "end": 2}]', ">= 0"),
        ("csv", "", "empty"),
        ("csv", "word,begin,end\n", "header lacks start"),
        ("csv", "word,start,end\na,0,1\nb,1\n", "CSV line 3: expected 3 fields"),
        ("csv", "word,start,end\na,0,1\nb,one,2\n", "CSV line 3: start 'one'"),
        ("textgrid", "hello", "ends early"),
        ("textgrid", 'File type = "ooTextFile"\nObject class = "Tier"\n', "TextGrid"),
        ("textgrid", TEXTGRID_LONG.replace("xmax = 0.9", 'xmax = "x"'), "TextGrid line 31: expected interval xmax"),
        ("textgrid", TEXTGRID_SHORT.replace('"IntervalTier"', '"TextTier"').replace('"Hello"', "1"), "point mark"),
        ("srt", "1\n00:00:01,000 -> 00:00:02,000\nhi\n", "SRT line 1: expected a cue time line"),
        ("srt", "1\n00:00:01,000 --> 00:00:xx,000\nhi\n", "SRT line 2: cannot read cue times"),
        ("srt", "1\n00:00:03,000 --> 00:00:02,000\nhi\n", "SRT line 2: end 2.0 is before start 3.0"),
        ("vtt", "00:00.500 --> 00:00.900\nHello\n", "start with WEBVTT"),
        ("xml", "", "unknown reference format"),
    ],
)
def test_malformed_input_names_the_place(format, content, message):
    with pytest.raises(ReferenceFormatError, match=message):
        parse_reference(content, format)


def test_textgrid_without_interval_tier():
    only_points = TEXTGRID_SHORT.split('"IntervalTier"')[0].replace("\n2\n", "\n1\n", 1)
    with pytest.raises(ReferenceFormatError, match="no interval tier"):
        parse_reference(only_points, "textgrid")


def test_load_reference_errors(tmp_path):
    with pytest.raises(ReferenceFormatError, match="cannot tell the format"):
        load_reference(tmp_path / "words.txt")
    with pytest.raises(ReferenceFormatError, match="cannot read"):
        load_reference(tmp_path / "missing.json")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("word,start,end\ncaf\xe9,0,1\n".encode("latin-1"))
    with pytest.raises(ReferenceFormatError, match="not UTF-8"):
        load_reference(bad)


def test_uploaded_bytes_decode_or_give_a_clear_error():
    from whisper_viz.evaluation.references import read_reference

    words = read_reference('[{"word": "héllo", "start": 0.1, "end": 0.4}]'.encode("utf-16"), "ref.json")
    assert words[0].word == "héllo"
    with pytest.raises(ReferenceFormatError, match="not UTF-8 or UTF-16"):
        read_reference(b"\xff\xfe\x00", "ref.json")  # a BOM and an odd byte
    with pytest.raises(ReferenceFormatError, match="not UTF-8 or UTF-16"):
        read_reference(b"\xc3\x28 words", "ref.csv")
    with pytest.raises(ReferenceFormatError, match="cannot tell the format"):
        read_reference(b"hello", "ref.docx")
