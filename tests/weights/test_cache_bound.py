"""The converted-weights cache stays under its size bound, least recently used files first."""

import os

import pytest

from whisper_viz.weights import cache


@pytest.fixture()
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISPER_VIZ_CACHE", str(tmp_path))
    return tmp_path


def _file(folder, name: str, size: int, used: int):
    path = folder / name
    path.write_bytes(b"\0" * size)
    os.utime(path, (used, used))
    return path


def test_least_recently_used_files_go_until_the_bound_holds(cache_folder):
    old = _file(cache_folder, "old.pt", 400, used=1_000)
    middle = _file(cache_folder, "middle.pt", 400, used=2_000)
    new = _file(cache_folder, "new.pt", 400, used=3_000)
    other = _file(cache_folder, "notes.txt", 10_000, used=0)  # not a cache file: never touched
    assert cache.prune_cache(budget_bytes=900) == [old]
    assert middle.exists() and new.exists() and other.exists()
    assert cache.prune_cache(keep=middle, budget_bytes=0) == [new]  # the file just written stays
    assert middle.exists()


def test_the_bound_comes_from_the_environment(cache_folder, monkeypatch):
    assert cache.cache_budget_bytes() == cache.DEFAULT_CACHE_BYTES
    monkeypatch.setenv("WHISPER_VIZ_CACHE_BYTES", "1000")
    assert cache.cache_budget_bytes() == 1000
    _file(cache_folder, "a.pt", 800, used=1)
    _file(cache_folder, "b.pt", 800, used=2)
    assert [p.name for p in cache.prune_cache()] == ["a.pt"]


def test_a_load_marks_its_file_used_and_a_write_prunes(cache_folder, monkeypatch, tiny_model):
    """Converting tiny.en writes ~75 MB; with a 1-byte bound only that newest file is kept."""
    monkeypatch.setenv("WHISPER_VIZ_CACHE_BYTES", "1")
    stale = _file(cache_folder, "stale.pt", 100, used=1)
    checkpoint, _, from_cache = cache.load_checkpoint(tiny_model.source)
    assert not from_cache and not stale.exists()
    written = list(cache_folder.glob("*.pt"))
    assert len(written) == 1
    os.utime(written[0], (1, 1))
    assert cache.load_checkpoint(tiny_model.source)[2]  # from the cache
    assert written[0].stat().st_mtime > 1  # marked as used
