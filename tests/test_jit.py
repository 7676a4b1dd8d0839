"""numba's kernel cache goes to a writable folder (jit.py)."""

import os

from whisper_viz import jit


def test_numba_cache_dir_moves_to_user_cache_when_package_is_read_only(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    jit._ensure_numba_cache_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "whisper-viz" / "numba")
    assert (tmp_path / "whisper-viz" / "numba").is_dir()
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    jit._ensure_numba_cache_dir()  # a user's own setting wins
    assert os.environ["NUMBA_CACHE_DIR"] == "/somewhere/else"
