"""Reference word timings: read JSON, CSV, Praat TextGrid, SRT and WebVTT; match them to hypothesis words.

Every reader returns `ReferenceWord`s (seconds). A cue or interval holding several words stays
one item; `split_phrases` spreads it over its words for word-level matching, keeping only the
times that are known (the first word's start, the last word's end).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..alignment.word_pairing import match_words, normalize_word  # noqa: F401 - part of this module's API
from ..errors import ReferenceFormatError

FORMATS = ("json", "csv", "textgrid", "srt", "vtt")
_SUFFIXES = {".json": "json", ".csv": "csv", ".textgrid": "textgrid", ".srt": "srt", ".vtt": "vtt"}
_CUE_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_CUE_LINE = re.compile(rf"^\s*{_CUE_TIME}\s*-->\s*{_CUE_TIME}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # <b>, <c.x>, <00:00:01.000>, {\an8}
_TEXTGRID_TOKEN = re.compile(
    r'"(?P<string>(?:[^"]|"")*)"|(?P<index>\[\s*\d*\s*\])|(?P<flag><exists>|<absent>)'
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*\??)|(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<other>\S)"
)


@dataclass(frozen=True)
class ReferenceWord:
    word: str  # the word or phrase as written in the reference
    start: float  # seconds from the start of the audio; NaN when unknown (inside a split phrase)
    end: float  # seconds; NaN when unknown


def load_reference(source: str | Path, format: str | None = None) -> tuple[ReferenceWord, ...]:
    """Read a reference file; the format comes from the suffix unless given ("json", "csv", ...)."""
    path = Path(source)
    _format_of(path.name, format)  # a clear error before reading an unknown kind of file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReferenceFormatError(f"cannot read {path}: {error.strerror or error}") from None
    return read_reference(data, path.name, format)


def read_reference(data: bytes, name: str, format: str | None = None) -> tuple[ReferenceWord, ...]:
    """Reference words from a file's bytes (an upload, say); the format comes from `name`'s suffix
    unless given. UTF-8 (with or without BOM) and UTF-16 with a BOM are read."""
    return parse_reference(_decode(data, name), _format_of(name, format))


def _format_of(name: str, format: str | None) -> str:
    format = (format or _SUFFIXES.get(Path(name).suffix.lower(), "")).lower()
    if format not in FORMATS:
        raise ReferenceFormatError(
            f"cannot tell the format of {name}: use a .json, .csv, .TextGrid, .srt or .vtt file "
            f"or pass format= one of {', '.join(FORMATS)}"
        )
    return format


def parse_reference(text: str, format: str) -> tuple[ReferenceWord, ...]:
    """Parse reference text of a given format."""
    readers = {"json": parse_json, "csv": parse_csv, "textgrid": parse_textgrid, "srt": parse_srt, "vtt": parse_vtt}
    if format not in readers:
        raise ReferenceFormatError(f"unknown reference format {format!r}; use one of {', '.join(FORMATS)}")
    return readers[format](text)


def parse_json(text: str) -> tuple[ReferenceWord, ...]:
    """[{"word", "start", "end"}, ...], or {"words": [...]}, or openai-whisper's {"segments": [{"words"}]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReferenceFormatError(f"JSON line {error.lineno}: {error.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("words"), list):
        items = data["words"]
    elif isinstance(data, dict) and isinstance(data.get("segments"), list):
        items = [w for segment in data["segments"] if isinstance(segment, dict) for w in segment.get("words") or []]
    elif isinstance(data, list):
        items = data
    else:
        raise ReferenceFormatError('JSON must be a list of {"word", "start", "end"} objects')
    words = []
    for number, item in enumerate(items, 1):
        where = f"JSON word {number}"
        if not isinstance(item, dict):
            raise ReferenceFormatError(f'{where}: expected an object with "word", "start" and "end"')
        word = item.get("word", item.get("text"))
        if not isinstance(word, str):
            raise ReferenceFormatError(f'{where}: missing "word" text')
        for key in ("start", "end"):
            if key not in item:
                raise ReferenceFormatError(f'{where} ({word.strip()!r}): missing "{key}"')
        words.append(_word(word, item["start"], item["end"], where))
    return tuple(words)


def parse_csv(text: str) -> tuple[ReferenceWord, ...]:
    """CSV with a header naming word, start and end columns (any order; other columns ignored)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ReferenceFormatError("CSV is empty: expected a header line word,start,end")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in ("word", "start", "end") if name not in header]
    if missing:
        raise ReferenceFormatError(f"CSV line 1: header lacks {', '.join(missing)} (expected word,start,end)")
    columns = [header.index(name) for name in ("word", "start", "end")]
    words = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(columns):
            raise ReferenceFormatError(f"CSV line {number}: expected {len(header)} fields, got {len(row)}")
        word, start, end = (row[c] for c in columns)
        words.append(_word(word, start, end, f"CSV line {number}"))
    return tuple(words)


def parse_textgrid(text: str) -> tuple[ReferenceWord, ...]:
    """Praat TextGrid, long or short text format: the tier named "words", else the first interval tier.

    Empty intervals (silences) are skipped.
    """
    tokens = _textgrid_tokens(text)
    stream = iter(tokens)

    def take(kind: str, what: str):
        try:
            line, token_kind, value = next(stream)
        except StopIteration:
            raise ReferenceFormatError(f"TextGrid ends early: expected {what}") from None
        if token_kind != kind:
            raise ReferenceFormatError(f"TextGrid line {line}: expected {what}, found {value!r}")
        return float(value) if kind == "number" else value

    if take("string", 'File type "ooTextFile"') != "ooTextFile" or take("string", "object class") != "TextGrid":
        raise ReferenceFormatError('TextGrid line 1-2: expected File type = "ooTextFile" and Object class = "TextGrid"')
    take("number", "xmin")
    take("number", "xmax")
    if take("flag", "<exists>") != "<exists>":
        return ()
    tiers = []
    for _ in range(int(take("number", "the number of tiers"))):
        tier_class = take("string", "a tier class")
        name = take("string", "a tier name")
        take("number", "tier xmin")
        take("number", "tier xmax")
        count = int(take("number", "the number of intervals"))
        if tier_class == "IntervalTier":
            items = [(take("number", "interval xmin"), take("number", "interval xmax"), take("string", "interval text"))
                     for _ in range(count)]
            tiers.append((name, items))
        elif tier_class == "TextTier":
            for _ in range(count):
                take("number", "point time")
                take("string", "point mark")
        else:
            raise ReferenceFormatError(f"TextGrid: unknown tier class {tier_class!r}")
    if not tiers:
        raise ReferenceFormatError("TextGrid has no interval tier to read words from")
    name, items = next((t for t in tiers if t[0].strip().lower() == "words"), tiers[0])
    return tuple(_word(label, start, end, f"TextGrid tier {name!r}") for start, end, label in items if label.strip())


def parse_srt(text: str) -> tuple[ReferenceWord, ...]:
    """SubRip: each cue (index line, "00:00:01,000 --> 00:00:02,000", text lines) is one word or phrase."""
    return _parse_cues(text, "SRT")


def parse_vtt(text: str) -> tuple[ReferenceWord, ...]:
    """WebVTT: "WEBVTT" header, then cues; NOTE, STYLE and REGION blocks are skipped."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise ReferenceFormatError("VTT line 1: a WebVTT file must start with WEBVTT")
    return _parse_cues(text, "VTT", skip_first_block=True)


def split_phrases(words: Sequence[ReferenceWord]) -> tuple[ReferenceWord, ...]:
    """One item per whitespace-separated word; inside a phrase, unknown boundaries become NaN."""
    result = []
    for item in words:
        parts = item.word.split()
        if len(parts) <= 1:
            result.append(item)
            continue
        for i, part in enumerate(parts):
            start = item.start if i == 0 else math.nan
            end = item.end if i == len(parts) - 1 else math.nan
            result.append(ReferenceWord(part, start, end))
    return tuple(result)


def _word(word, start, end, where: str) -> ReferenceWord:
    values = []
    for name, value in (("start", start), ("end", end)):
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError, AttributeError):
            raise ReferenceFormatError(f"{where}: {name} {value!r} is not a number of seconds") from None
        if isinstance(value, bool) or not math.isfinite(number) or number < 0:
            raise ReferenceFormatError(f"{where}: {name} {value!r} must be a finite number of seconds >= 0")
        values.append(number)
    if values[1] < values[0]:
        raise ReferenceFormatError(f"{where}: end {values[1]} is before start {values[0]}")
    return ReferenceWord(str(word).strip(), values[0], values[1])


def _cue_seconds(hours, minutes, seconds, fraction) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _parse_cues(text: str, kind: str, skip_first_block: bool = False) -> tuple[ReferenceWord, ...]:
    words = []
    block: list[tuple[int, str]] = []
    lines = text.lstrip("\ufeff").splitlines() + [""]
    first = True
    for number, line in enumerate(lines, 1):
        if line.strip():
            block.append((number, line))
            continue
        if block:
            if not (first and skip_first_block):
                word = _cue(block, kind)
                if word is not None:
                    words.append(word)
            first = False
            block = []
    return tuple(words)


def _cue(block: list[tuple[int, str]], kind: str) -> ReferenceWord | None:
    head = block[0][1].strip()
    if kind == "VTT" and head.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
        return None
    timing = next((i for i, (_, line) in enumerate(block) if "-->" in line), None)
    if timing is None or timing > 1:
        raise ReferenceFormatError(f"{kind} line {block[0][0]}: expected a cue time line like 00:00:01,000 --> 00:00:02,000")
    number, line = block[timing]
    match = _CUE_LINE.match(line)
    if match is None:
        raise ReferenceFormatError(f"{kind} line {number}: cannot read cue times {line.strip()!r}")
    start, end = _cue_seconds(*match.groups()[:4]), _cue_seconds(*match.groups()[4:])
    text = " ".join(_TAG.sub("", line).strip() for _, line in block[timing + 1:]).strip()
    return _word(text, start, end, f"{kind} line {number}") if text else None


def _textgrid_tokens(text: str) -> list[tuple[int, str, str]]:
    """(line, kind, value) of every string, number and flag; labels and [n] indices dropped."""
    tokens = []
    line = 1
    position = 0
    for match in _TEXTGRID_TOKEN.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        kind = match.lastgroup
        if kind == "string":
            tokens.append((line, "string", match.group("string").replace('""', '"')))
        elif kind in ("number", "flag"):
            tokens.append((line, kind, match.group(kind)))
    return tokens


def _decode(data: bytes, name: str) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")  # Praat writes UTF-16 when labels need it
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ReferenceFormatError(f"{name} is not UTF-8 or UTF-16 text (byte {error.start})") from None
