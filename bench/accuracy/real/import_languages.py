"""SPPAS's samples of other languages (Mandarin, German, Spanish, Portuguese, Japanese, Polish, Korean, Persian)
for the real-speech DEV split: the phrase (IPU) tiers of their human transcriptions give phrase starts and ends.

    python bench/accuracy/real/build_real.py import-languages GITDIR   # GITDIR: github.com/brigittebigi/sppas

SOURCES.md says where every clip comes from and under which licence.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import soundfile as sf
from build_real import AUDIO, HERE, _sppas_text, to_flac

SPPAS_2020 = "e13c71db3d3ef2ed6caa0b0b8a01e6ce4ecdef95"  # github.com/brigittebigi/sppas: the last with all samples-*/
# (folder, recording, tier with the phrases, Whisper's language code, speaker); each file is one clip (all <= 30 s)
LANGUAGE_CLIPS = (
    ("samples-cmn", "f1_P8", "IPU", "zh", "cmn f1 (read passage 8)"),
    ("samples-cmn", "f2_P7", "IPU", "zh", "cmn f2 (read passage 7)"),
    ("samples-cmn", "f5_P9", "IPU", "zh", "cmn f5 (read passage 9)"),
    ("samples-cmn", "p8", "Transcription pinyin", "zh", "cmn p8 (read passage 8)"),
    ("samples-deu", "DEU_F10_DEU_T02", "IPU", "de", "DEU F10 (female, read passage T02)"),
    ("samples-deu", "DEU_M12_DEU_T33", "Transcription", "de", "DEU M12 (male, read passage T33)"),
    ("samples-spa", "SPA_F23_SPA_T02", "IPU", "es", "SPA F23 (female, read passage T02)"),
    ("samples-spa", "SPA_F23_SPA_T33", "IPU", "es", "SPA F23 (female, read passage T33)"),
    ("samples-por", "POR_F25_POR_T02", "Transcription", "pt", "POR F25 (female, read passage T02)"),
    ("samples-jpn", "JPA_M16_JPA_T02", "IPU", "ja", "JPA M16 (male, read passage T02)"),
    ("samples-pol", "0003", "IPU", "pl", "pol 0003 (read sentence)"),
    ("samples-pol", "0004", "IPU", "pl", "pol 0004 (read sentence)"),
    ("samples-kor", "ipu_1_113_namjaga_yeojalul_minda", "Transcription", "ko", "kor (read sentence)"),
    ("samples-pes", "pes01_m04_t02", "Transcription", "fa", "pes01 m04 (read passage T02)"),
)
LANGUAGE_SOURCES = {f"sppas_{clip[3]}" for clip in LANGUAGE_CLIPS}
# transcripts shipped in a romanization, in the language's own script (what Whisper writes), phrase by phrase
WRITTEN = {
    "p8": ("昨晚", "我打开前门放猫出去的时候", "看到夜色很美", "就走下台阶", "想到花园里", "呼吸呼吸新鲜空气", "当时",
           "只听到身后咔哒一声", "发现自己被锁在门外了", "更糟的是", "当我试图撬开门的时候", "被警察逮捕了"),
    "ipu_1_113_namjaga_yeojalul_minda": ("남자가 여자를 민다",),
    "pes01_m04_t02": ("دستگاه آب‌تصفیه‌کن خانه یک مشکل اساسی دارد",
                      "سطح آب بسیار بالاست و این جریان اضافی آب باعث نشتی دستگاه می‌شود",
                      "آیا شما می‌توانید روز سه‌شنبه یک تکنسین برای بررسی دستگاه بفرستید",
                      "سه‌شنبه تنها روزی است که من می‌توانم برای انجام این کار اختصاص دهم",
                      "ممنون خواهم شد اگر این قرار را کتباً", "به اطلاع من برسانید"),
}
SPACELESS = {"zh": "，", "ja": ""}  # languages written without spaces: what joins their phrases in the transcript


def _textgrid_tiers(data: bytes) -> dict[str, list[tuple[float, float, str]]]:
    """Interval tiers of a Praat TextGrid (long or short text format, UTF-8 or UTF-16): name -> intervals."""
    text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    tokens = [m.group(1).replace('""', '"') if m.group(1) is not None else float(m.group(2))
              for m in re.finditer(r'"((?:[^"]|"")*)"|\[\s*\d*\s*\]|([-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)', text)
              if m.group(1) is not None or m.group(2) is not None]  # strings and numbers; [n] indices dropped
    tiers = {}
    for at, token in enumerate(tokens):
        if token == "IntervalTier":
            count = int(tokens[at + 4])
            values = tokens[at + 5:at + 5 + 3 * count]
            tiers[tokens[at + 1]] = [tuple(values[i:i + 3]) for i in range(0, len(values), 3)]
    return tiers


def _sppas_phrase(text: str, language: str) -> str:
    """The words of an SPPAS IPU as Whisper would write them: `_sppas_text`, no BOM, no space before punctuation,
    no apostrophe opening a word ('mal -> mal); Chinese and Japanese without spaces."""
    text = _sppas_text(text.replace("\ufeff", ""))
    text = re.sub(r"\s+([?!.,;:])", r"\1", re.sub(r"(?<!\w)'(?=\w)", "", text))
    return text.replace(" ", "") if language in SPACELESS else text


def _whisper_units(phrases: list[str], language: str) -> list[str]:
    """Chinese and Japanese phrases as the units Whisper's word timing splits their forced transcript into
    (openai-whisper's `split_tokens_on_unicode` of " " + transcript, as analyze() encodes it), space-separated:
    the benchmark matches words, so a phrase's first and last unit then pair with the aligner's."""
    from whisper.tokenizer import get_tokenizer  # noqa: PLC0415 - openai-whisper (requirements-dev.txt)

    tokenizer = get_tokenizer(True, language=language, task="transcribe")
    joiner = SPACELESS[language]
    owner = [-1]  # per character of the forced text: its phrase, -1 for the leading space and the joiners
    for number, phrase in enumerate(phrases):
        owner += [-1] * len(joiner) * (number > 0) + [number] * len(phrase)
    units, _ = tokenizer.split_tokens_on_unicode(tokenizer.encode(" " + joiner.join(phrases)) + [tokenizer.eot])
    words: list[list[str]] = [[] for _ in phrases]
    at = 0
    for unit in units[:-1]:  # the last one is end-of-text
        owners = set(owner[at:at + len(unit)]) - {-1}
        if len(owners) > 1:
            raise ValueError(f"{unit!r} runs across two phrases of {phrases}")
        if owners and re.search(r"\w", unit):  # punctuation-only units (。，) have no time of their own
            words[owners.pop()].append(unit.strip())
        at += len(unit)
    if at != len(owner):
        raise ValueError(f"the units do not spell {phrases}")
    return [" ".join(w) for w in words]


def _read_snapshot(root: Path, path: str) -> bytes:
    """A file of the SPPAS snapshot: from a (bare) git directory at SPPAS_2020, or from a folder of copies."""
    if (root / "objects").is_dir():
        return subprocess.run(["git", f"--git-dir={root}", "show", f"{SPPAS_2020}:{path}"], check=True,
                              capture_output=True).stdout
    return (root / path).read_bytes()


def import_languages(root: Path) -> None:
    """SPPAS's Mandarin, German, Spanish, Portuguese, Japanese, Polish, Korean and Persian samples (the IPU tiers
    of their transcriptions: phrase start and end) -> audio/sppas_<language>/ and sources.json, dev split only.

    root: the git directory of github.com/brigittebigi/sppas (any clone holding SPPAS_2020), or a folder with
    that commit's samples/ copied into it. An edge at the very start or end of a file is no boundary anybody placed
    (the recording was cut there): null.
    """
    records = []
    for folder, name, tier, language, speaker in LANGUAGE_CLIPS:
        source = f"sppas_{language}"
        samples, rate = sf.read(io.BytesIO(_read_snapshot(root, f"samples/{folder}/{name}.wav")), dtype="float32")
        seconds = to_flac(samples, rate, AUDIO / source / f"{name}.flac")
        if seconds > 30:
            raise SystemExit(f"{folder}/{name}: {seconds:.1f} s, longer than one Whisper window")
        grid = _textgrid_tiers(_read_snapshot(root, f"samples/{folder}/{name}.TextGrid"))[tier]
        phrases = [(start, end, _sppas_phrase(text, language)) for start, end, text in grid]
        phrases = [p for p in phrases if p[2]]
        if name in WRITTEN:  # the romanization's phrases, one for one, in the language's script
            if len(WRITTEN[name]) != len(phrases):
                raise SystemExit(f"{folder}/{name}: {len(phrases)} phrases, {len(WRITTEN[name])} written")
            phrases = [(start, end, written) for (start, end, _), written in zip(phrases, WRITTEN[name])]
        texts = [p[2] for p in phrases]
        words = _whisper_units(texts, language) if language in SPACELESS else texts
        records.append(dict(
            source=source, id=name, file=f"audio/{source}/{name}.flac", seconds=round(seconds, 3), split="dev",
            kind="other language", language=language, speaker=speaker,
            text=SPACELESS.get(language, " ").join(texts),
            words=[dict(word=word, start=None if start <= 0.001 else round(start, 4),
                        end=None if end >= seconds - 0.001 else round(end, 4))
                   for (start, end, _), word in zip(phrases, words)],
            timing="human (IPU phrases of the transcription: first start and last end)"))
    kept = [r for r in json.loads((HERE / "sources.json").read_text()) if r["source"] not in LANGUAGE_SOURCES]
    (HERE / "sources.json").write_text(json.dumps(kept + records, indent=1, ensure_ascii=False) + "\n")
    timed = sum((w["start"] is not None) + (w["end"] is not None) for r in records for w in r["words"])
    print(f"{len(records)} recordings in {len(LANGUAGE_SOURCES)} languages into {AUDIO}: {timed} phrase edges")
