"""A corpus for head discovery: clips with their transcripts and reference word timings, split into a part
that chooses the heads (train) and a held-out part that measures them.

Two ways in: audio files with one reference file each (JSON, CSV, TextGrid, SRT, VTT), or a JSONL manifest,
one clip a line:
  {"audio": "clips/a.flac", "text": "the words", "words": [{"word": "the", "start": 0.5, "end": 0.7}, ...]}
with "refs": "a.TextGrid" instead of "words", optional "id" and "split" ("train" or "held_out"). Relative
paths are relative to the manifest. Clips without a split are held out by a hash of their id, so every
engine and every re-run splits alike.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ..errors import ReferenceFormatError
from .references import ReferenceWord, load_reference

TRAIN, HELD_OUT = "train", "held_out"
SPLIT_NAMES = {"train": TRAIN, "held_out": HELD_OUT, "heldout": HELD_OUT, "test": HELD_OUT}
DEFAULT_HELD_OUT = 0.25  # share of the clips without a split that measure the chosen heads
CONTENT_HASH_CHUNK = 1 << 20  # bytes read at a time when hashing audio


@dataclass(frozen=True)
class CorpusClip:
    id: str  # unique within the corpus (the manifest's "id", else the audio file's stem)
    audio: Path
    text: str  # transcript the model is forced to (forced mode)
    reference: tuple[ReferenceWord, ...]  # true word timings, seconds
    split: str | None = None  # TRAIN or HELD_OUT; None until assign_splits

    @property
    def held_out(self) -> bool:
        return self.split == HELD_OUT


def clips_from_files(audio: Sequence[Path], references: Sequence[Path]) -> tuple[CorpusClip, ...]:
    """One clip per audio file, its transcript taken from its reference file's words."""
    if len(audio) != len(references):
        raise ReferenceFormatError(f"{len(references)} reference files for {len(audio)} clips; give one per clip")
    clips = []
    for path, ref_path in zip(audio, references):
        reference = load_reference(ref_path)
        clips.append(CorpusClip(Path(path).stem, Path(path), " ".join(w.word for w in reference), reference))
    return _unique(clips)


def read_manifest(path: Path) -> tuple[CorpusClip, ...]:
    """Clips of a JSONL manifest (see the module docstring)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise ReferenceFormatError(f"cannot read the manifest {path}: {e.strerror or e}") from None
    clips = [_manifest_clip(line, path, number) for number, line in enumerate(lines, 1) if line.strip()]
    if not clips:
        raise ReferenceFormatError(f"the manifest {path} lists no clips")
    return _unique(clips)


def _manifest_clip(line: str, manifest: Path, number: int) -> CorpusClip:
    where = f"{manifest} line {number}"
    try:
        entry = json.loads(line)
        audio = Path(os.path.normpath(manifest.parent / Path(entry["audio"]).expanduser()))
    except (ValueError, KeyError, TypeError) as e:
        raise ReferenceFormatError(f"{where}: expected a JSON object with \"audio\" ({e!r})") from None
    if "words" in entry:
        try:
            reference = tuple(ReferenceWord(str(w["word"]), float(w["start"]), float(w["end"])) for w in entry["words"])
        except (KeyError, TypeError, ValueError) as e:
            raise ReferenceFormatError(f"{where}: each of \"words\" needs word, start and end ({e!r})") from None
    elif "refs" in entry:
        reference = load_reference(Path(os.path.normpath(manifest.parent / Path(entry["refs"]).expanduser())))
    else:
        raise ReferenceFormatError(f"{where}: give the reference timings as \"words\" or a \"refs\" file")
    split = entry.get("split")
    if split is not None and split not in SPLIT_NAMES:
        raise ReferenceFormatError(f"{where}: split {split!r} is not one of {', '.join(SPLIT_NAMES)}")
    text = entry.get("text") or " ".join(w.word for w in reference)
    return CorpusClip(str(entry.get("id") or audio.stem), audio, text, reference, SPLIT_NAMES.get(split))


def _unique(clips: list[CorpusClip]) -> tuple[CorpusClip, ...]:
    seen: dict[str, int] = {}
    for clip in clips:
        seen[clip.id] = seen.get(clip.id, 0) + 1
    repeated = [i for i, n in seen.items() if n > 1]
    if repeated:
        raise ReferenceFormatError(f"clip ids must be unique; repeated: {', '.join(repeated[:5])} "
                                   "(give manifest lines an \"id\")")
    return tuple(clips)


def hash_share(text: str) -> float:
    """A number in [0, 1) fixed by `text`: the same on every machine and run."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16) / 16**12


def assign_splits(clips: Sequence[CorpusClip], held_out: float = DEFAULT_HELD_OUT) -> tuple[CorpusClip, ...]:
    """Give every clip without a split one: held out when hash_share(id) < held_out. When some clips are
    unsplit and none of the corpus would be held out (or none trained on), the unsplit clip with the lowest
    (highest) share moves, so both parts have a clip."""
    unsplit = sorted((c for c in clips if c.split is None), key=lambda c: hash_share(c.id))
    decided = {c.id: (HELD_OUT if hash_share(c.id) < held_out else TRAIN) for c in unsplit}
    splits = [c.split or decided[c.id] for c in clips]
    if unsplit and held_out > 0 and HELD_OUT not in splits:
        decided[unsplit[0].id] = HELD_OUT
    if unsplit and TRAIN not in [c.split or decided[c.id] for c in clips]:
        decided[unsplit[-1].id] = TRAIN
    return tuple(c if c.split else replace(c, split=decided[c.id]) for c in clips)


def content_key(clip: CorpusClip, *parts: str) -> str:
    """sha256 of the clip's audio bytes, transcript and reference timings, and `parts` (model, settings)."""
    digest = hashlib.sha256()
    try:
        with open(clip.audio, "rb") as f:
            while chunk := f.read(CONTENT_HASH_CHUNK):
                digest.update(chunk)
    except OSError as e:  # an unreadable clip is reported by the worker that tries it
        digest.update(f"unreadable:{clip.audio}:{e.strerror}".encode())
    reference = [(w.word, _time(w.start), _time(w.end)) for w in clip.reference]
    digest.update(json.dumps([clip.text, reference, *parts]).encode())
    return digest.hexdigest()


def _time(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds, 6)
