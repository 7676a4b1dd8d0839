"""Converted checkpoints cached on disk (fp16), so a second load of a model skips the conversion.

Files live under $WHISPER_VIZ_CACHE or ~/.cache/whisper-viz, named by the source's path, size and mtime.
Hugging Face folders are not cached: their safetensors load as fast as a cache file would, and their heads
live in generation_config.json, which `whisper-viz heads export` may rewrite.
The folder is kept under $WHISPER_VIZ_CACHE_BYTES (default 4 GiB): after a write, the least recently
used files go (a load marks its file used).
"""

import hashlib
import os
import tempfile
from pathlib import Path

import torch

from .checkpoint import Checkpoint, convert_ctranslate2, convert_huggingface, convert_openai
from .registry import ModelSource

CACHE_FORMAT = 1  # bump when the cached layout changes
DEFAULT_CACHE_BYTES = 4 << 30  # tiny.en takes ~75 MB, base ~145 MB, large-v3 ~3.1 GB
CACHE_SUFFIX = ".pt"


def cache_dir() -> Path:
    return Path(os.environ.get("WHISPER_VIZ_CACHE", Path.home() / ".cache" / "whisper-viz"))


def cache_budget_bytes() -> int:
    """The cache folder's size bound: $WHISPER_VIZ_CACHE_BYTES, else DEFAULT_CACHE_BYTES."""
    try:
        return max(0, int(os.environ["WHISPER_VIZ_CACHE_BYTES"]))
    except (KeyError, ValueError):
        return DEFAULT_CACHE_BYTES


def prune_cache(keep: Path | None = None, budget_bytes: int | None = None) -> list[Path]:
    """Delete the least recently used cache files until the folder holds at most `budget_bytes`
    (default: cache_budget_bytes()); `keep` (the file just written) is never deleted. Returns the deleted."""
    budget = cache_budget_bytes() if budget_bytes is None else budget_bytes
    try:
        files = [(p, p.stat()) for p in cache_dir().glob("*" + CACHE_SUFFIX) if p.is_file()]
    except OSError:
        return []
    total = sum(stat.st_size for _, stat in files)
    deleted = []
    for path, stat in sorted(files, key=lambda item: item[1].st_mtime):  # least recently used first
        if total <= budget:
            break
        if keep is not None and path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= stat.st_size
        deleted.append(path)
    return deleted


def _cache_path(source: ModelSource) -> Path:
    key = hashlib.sha1(f"{CACHE_FORMAT}|{source.name}".encode())
    for p in source.weights:
        stat = p.stat()
        key.update(f"|{p.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    slug = "".join(c if c.isalnum() or c in ".-" else "_" for c in Path(source.name).name)[:40]
    return cache_dir() / f"{slug}-{key.hexdigest()[:16]}{CACHE_SUFFIX}"


def _save_cache(path: Path, checkpoint: Checkpoint, tokenizer: Path) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"dims": checkpoint.dims, "alignment_heads": [list(p) for p in checkpoint.alignment_heads],
                   "model_state_dict": {k: v.half() if v.is_floating_point() else v for k, v in checkpoint.state_dict.items()},
                   "suppress_ids": list(checkpoint.suppress_ids), "suppress_ids_begin": list(checkpoint.suppress_ids_begin),
                   "tokenizer": str(tokenizer)}
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
            try:
                torch.save(payload, tmp)
            except BaseException:
                os.unlink(tmp.name)  # a full disk leaves no partial file behind
                raise
        os.replace(tmp.name, path)
    except OSError:
        return
    prune_cache(keep=path)


def _load_cache(path: Path) -> tuple[Checkpoint, Path] | None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        checkpoint = Checkpoint(payload["dims"], payload["model_state_dict"],
                                tuple(tuple(p) for p in payload["alignment_heads"]),
                                tuple(payload["suppress_ids"]), tuple(payload["suppress_ids_begin"]))
        return checkpoint, Path(payload["tokenizer"])
    except Exception:  # a stale or damaged cache file is simply rebuilt
        return None


def load_checkpoint(source: ModelSource, use_cache: bool = True) -> tuple[Checkpoint, Path, bool]:
    """(checkpoint, tokenizer.json path, whether it came from the cache)."""
    if source.format == "huggingface":
        checkpoint, tokenizer = convert_huggingface(source, cache_dir())
        return checkpoint, tokenizer, False
    path = _cache_path(source)
    if use_cache and path.is_file():
        cached = _load_cache(path)
        if cached is not None and cached[1].is_file():
            try:
                os.utime(path)  # most recently used: pruned last
            except OSError:
                pass
            return cached[0], cached[1], True
    if source.format == "ctranslate2":
        checkpoint, tokenizer = convert_ctranslate2(source), source.tokenizer
    else:
        checkpoint, tokenizer = convert_openai(source)
    if use_cache:
        _save_cache(path, checkpoint, tokenizer)
    return checkpoint, tokenizer, False
