"""Reader of the synthetic accuracy split written by make_dataset.py (manifest.json + FLAC files)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from whisper_viz.evaluation.references import ReferenceWord


@dataclass(frozen=True)
class BenchmarkClip:
    id: str
    path: Path  # 16 kHz FLAC
    text: str  # the transcript, for forced alignment
    words: tuple[ReferenceWord, ...]  # true voiced spans, seconds
    after_pause: tuple[bool, ...]  # per word: True when a long pause comes before it
    pause: float | None  # seconds of the long pause between its sentences, None if it has none


def load_split(folder: str | Path) -> tuple[BenchmarkClip, ...]:
    """Read a split written by bench/accuracy/make_dataset.py (manifest.json + FLAC files)."""
    folder = Path(folder)
    clips = []
    for c in json.loads((folder / "manifest.json").read_text())["clips"]:
        pause = c.get("pause_seconds")
        words = tuple(ReferenceWord(w["word"], float(w["start"]), float(w["end"])) for w in c["words"])
        flags = tuple(bool(pause) and w["sentence"] > 0 for w in c["words"])
        clips.append(BenchmarkClip(c["id"], folder / c["file"], c["text"], words, flags, pause))
    return tuple(clips)
