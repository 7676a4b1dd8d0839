"""Write word timings (JSON, CSV, SRT, WebVTT), the head set that aligned them, and the CLI's JSON record."""

import csv
import io
import json

import numpy as np

from ..errors import ExportError
from ..heads import OFFICIAL_HEADS, HeadSet
from ..results import AnalysisResult, WordTiming

EXPORT_FORMATS = ("json", "csv", "srt", "vtt")


def words_to_records(words) -> list[dict]:
    """[{"word", "start", "end", "probability"}] with times rounded to the millisecond, and "confidence" when the
    aligner rated its words (the tuned aligner)."""
    return [{"word": w.word.strip(), "start": round(float(w.start), 3), "end": round(float(w.end), 3),
             "probability": round(float(w.probability), 4)}
            | ({} if getattr(w, "confidence", None) is None else {"confidence": round(float(w.confidence), 3)})
            for w in words]


def heads_record(mask: np.ndarray) -> dict:
    """{"shape", "selected": [[layer, head], ...], "base85"} for a bool (layers, heads) mask.

    A mask equal to an official set keeps that set's gzip header, so its dump is openai-whisper's string.
    """
    heads = HeadSet(np.asarray(mask, dtype=bool))
    for name, (_, shape) in OFFICIAL_HEADS.items():
        if shape == heads.shape and HeadSet.official(name) == heads:
            heads = HeadSet.official(name)
            break
    return {"shape": list(heads.shape), "selected": [list(p) for p in heads.pairs()],
            "base85": heads.to_dump().decode("ascii")}


def result_to_dict(result: AnalysisResult, words=None, heads_mask: np.ndarray | None = None) -> dict:
    """The CLI's JSON: model, language, text, duration, words and the head set that aligned them."""
    mask = result.alignment_heads if heads_mask is None else heads_mask
    return {"model": result.model_name, "language": result.language, "text": result.text,
            "duration": round(result.duration, 3), "forced": result.forced,
            "words": words_to_records(result.words if words is None else words), "heads": heads_record(mask),
            "segments": [{"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip()}
                         for s in result.segments]}


def words_to_json(words) -> str:
    return json.dumps(words_to_records(words), indent=2, ensure_ascii=False)


def words_to_csv(words) -> str:
    out = io.StringIO()
    records = words_to_records(words)
    fields = ["word", "start", "end", "probability"] + (["confidence"] if records and "confidence" in records[0] else [])
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _timestamp(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def words_to_srt(words: tuple[WordTiming, ...]) -> str:
    """One SubRip cue per word."""
    cues = [f"{i}\n{_timestamp(w.start, ',')} --> {_timestamp(w.end, ',')}\n{w.word.strip()}\n"
            for i, w in enumerate(words, start=1)]
    return "\n".join(cues)


def words_to_vtt(words: tuple[WordTiming, ...]) -> str:
    """One WebVTT cue per word."""
    cues = [f"{_timestamp(w.start, '.')} --> {_timestamp(w.end, '.')}\n{w.word.strip()}\n" for w in words]
    return "WEBVTT\n\n" + "\n".join(cues)


def export_words(words, fmt: str) -> str:
    """Word timings in one of EXPORT_FORMATS."""
    writers = {"json": words_to_json, "csv": words_to_csv, "srt": words_to_srt, "vtt": words_to_vtt}
    if fmt not in writers:
        raise ExportError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    return writers[fmt](tuple(words))
