"""numba, with its on-disk kernel cache pointed at a writable folder before numba is first imported.

Modules that compile kernels import `numba` from here, so a read-only install (a system site-packages)
still caches compiled kernels, in $NUMBA_CACHE_DIR, ~/.cache/whisper-viz/numba or the temp folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _ensure_numba_cache_dir() -> None:
    """Point numba's on-disk cache at a user cache dir when the package dir is read-only."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    package_dir = Path(__file__).resolve().parent
    if os.access(package_dir, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cache_dir = os.path.join(base, "whisper-viz", "numba")
    try:
        os.makedirs(cache_dir, exist_ok=True)
    except OSError:
        cache_dir = os.path.join(tempfile.gettempdir(), "whisper-viz-numba")
        os.makedirs(cache_dir, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = cache_dir


_ensure_numba_cache_dir()

import numba  # noqa: E402  (after the cache dir is chosen)

if os.environ.get("NUMBA_CACHE_DIR") and not numba.config.CACHE_DIR:
    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]  # numba was imported before us

__all__ = ["numba"]
