"""Per-clip discovery results on disk, keyed by content hash, so a stopped or repeated run resumes.

One small JSON file per clip and pass under the cache folder (default $WHISPER_VIZ_CACHE/discovery). A key
covers the audio bytes, transcript, reference timings, model files and scoring settings (corpus.content_key),
so a changed clip or model is scored again and nothing stale is read.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .clip_scoring import ClipScores


def default_cache_folder() -> Path:
    return Path(os.environ.get("WHISPER_VIZ_CACHE", Path.home() / ".cache" / "whisper-viz")) / "discovery"


class ScoreCache:
    """ClipScores by key; a folder of None keeps nothing."""

    def __init__(self, folder: Path | None):
        self.folder = None if folder is None else Path(folder).expanduser()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> ClipScores | None:
        if self.folder is None:
            return None
        try:
            return ClipScores.from_dict(json.loads(self._path(key).read_text()))
        except (OSError, ValueError, KeyError, TypeError):  # missing, partly written by another version: score again
            return None

    def put(self, key: str, scores: ClipScores) -> None:
        """Write atomically; a cache that cannot be written only costs time on the next run."""
        if self.folder is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
                json.dump(scores.to_dict(), tmp)
            os.replace(tmp.name, path)
        except OSError:
            pass

    def __len__(self) -> int:
        return 0 if self.folder is None or not self.folder.is_dir() else sum(1 for _ in self.folder.glob("*/*.json"))
